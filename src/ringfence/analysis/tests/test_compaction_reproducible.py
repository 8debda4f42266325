"""A computed campaign stays reproducible after compaction merges its files (with late logs) into new ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from ringfence.analysis.services.campaigns import create_campaign, run_campaign, verify_frozen
from ringfence.analysis.services.pinning import Pin, resolve_pin
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.logs.lake import append, compact
from ringfence.logs.tests.test_lake_support import make_events
from ringfence.registry.models import InformationSystem, SystemVersion

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 10, 19)


def _batch(first_line: int, count: int, ingested_at: dt.datetime, name: str) -> None:
    rows = [{"system": "AAA", "source": "aaa-log", "source_line": first_line + n, "ingested_at": ingested_at,
             "time": dt.datetime(2026, 10, 20, 9 + n % 8, n % 60, tzinfo=JST)} for n in range(count)]  # fmt: skip
    append(make_events(rows, source_file=f"/logs/{name}.log"), origin=name, actor="test")


def test_verification_follows_compaction(data_dir: Path) -> None:
    system = InformationSystem.objects.create(code="AAA")
    SystemVersion.objects.create(
        entity=system, name_ja="顧客情報", valid_from=start_of_day_jst(dt.date(2020, 4, 1))
    )
    earlier = timezone.now() - dt.timedelta(hours=1)
    _batch(1, 30, earlier, "first")
    _batch(1, 20, earlier, "second")  # a second file in the same partition (day 2026-10-20)
    start = start_of_day_jst(MONDAY)
    campaign = run_campaign(create_campaign(name="c", start=start, end=start + dt.timedelta(days=7), actor="t"),
                            actor="t", detect=False)  # fmt: skip
    assert campaign.figures["systems"]["AAA"]["statistics"]["events"] == 50
    _batch(1, 7, timezone.now() + dt.timedelta(minutes=1), "late")  # arrives after the campaign ran
    merged = compact(system="AAA")
    assert len(merged) == 1
    pin = Pin.from_json(campaign.pinned_files)
    resolution = resolve_pin(pin)
    assert resolution.plain == [] and len(resolution.compacted) == 1 and not resolution.problems
    result = verify_frozen(campaign, actor="t")
    assert result.identical, result.differences
    # A fresh campaign reads the merged file whole: the late events are there.
    fresh = run_campaign(create_campaign(name="d", start=start, end=start + dt.timedelta(days=7), actor="t"),
                         actor="t", detect=False)  # fmt: skip
    assert fresh.figures["systems"]["AAA"]["statistics"]["events"] == 57

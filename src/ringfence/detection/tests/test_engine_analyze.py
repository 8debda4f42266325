"""Batch analysis end to end: registry snapshot, lake, enrichment, rules, findings, alerts, run record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from ringfence.alerts.models import Alert
from ringfence.audit.models import AuditEvent
from ringfence.core.errors import BadInput
from ringfence.core.timeutil import start_of_day_jst
from ringfence.detection.engine import analyze
from ringfence.detection.models import AnalysisRun
from ringfence.detection.services import change_rule_setting

from .analyze_support import AFF, BURST, DAY, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Assertions read the English messages."""
    with translation.override("en"):
        yield


START = start_of_day_jst(DAY)
END = start_of_day_jst(DAY + dt.timedelta(days=1))


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> dict[str, Any]:
    return make_world(settings, tmp_path)


def test_a_day_is_analysed_alerts_raised_and_the_run_recorded(world: dict[str, Any]) -> None:
    result = analyze(START, END, ruleset=world["ruleset"](), actor="tester")
    by_rule = {f.rule_id: f for f in result.findings}
    assert set(by_rule) == {AFF, BURST}
    affiliate = by_rule[AFF]
    assert (affiliate.entity, affiliate.person, affiliate.system) == ("CIS/u001", "E003", "CIS")
    assert len(affiliate.evidence) == 3  # the three accesses of u001; svc01 has no owner, so no person
    burst = by_rule[BURST]
    assert burst.entity == "192.168.5.10" and burst.detail["corr_value"] == 4.0
    assert result.events == 9 and result.matched_events == 3 + 5
    assert (result.alerts_new, result.alerts_updated) == (2, 0)
    assert set(Alert.objects.values_list("key", flat=True)) == {affiliate.key, burst.key}
    assert result.run_id is not None
    run = AnalysisRun.objects.get(pk=result.run_id)
    assert (run.events, run.findings, run.alerts_new, run.actor) == (9, 2, 2, "tester")
    assert run.per_rule == {AFF: 1, BURST: 1} and run.ruleset_digest == result.ruleset.digest
    assert AuditEvent.objects.filter(target_type="detection.analysis", target_ref=str(run.pk)).exists()


def test_a_second_run_updates_the_same_alerts(world: dict[str, Any]) -> None:
    first = analyze(START, END, ruleset=world["ruleset"]())
    again = analyze(START, END, ruleset=world["ruleset"]())
    assert [f.key for f in again.findings] == [f.key for f in first.findings]
    assert (again.alerts_new, again.alerts_updated) == (0, 2)
    assert Alert.objects.count() == 2


def test_without_alerts_and_without_record_nothing_is_written(world: dict[str, Any]) -> None:
    runs = AnalysisRun.objects.count()
    result = analyze(START, END, ruleset=world["ruleset"](), raise_alerts=False, record_run=False)
    assert len(result.findings) == 2 and result.run_id is None
    assert not Alert.objects.exists() and AnalysisRun.objects.count() == runs


def test_a_disabled_rule_raises_nothing_and_a_period_outside_the_events_finds_nothing(
    world: dict[str, Any],
) -> None:
    change_rule_setting(AFF, actor="officer", reason="test", enabled=False)
    result = analyze(START, END, ruleset=world["ruleset"](), raise_alerts=False)
    assert [f.rule_id for f in result.findings] == [BURST]
    later = analyze(END, END + dt.timedelta(days=1), ruleset=world["ruleset"](), raise_alerts=False)
    assert later.events == 0 and later.findings == []


def test_bad_period_and_unknown_system_are_refused(world: dict[str, Any]) -> None:
    with pytest.raises(BadInput, match="empty period"):
        analyze(END, START, ruleset=world["ruleset"]())
    with pytest.raises(BadInput, match="unknown system") as caught:
        analyze(START, END, systems=["NOPE"], ruleset=world["ruleset"]())
    assert caught.value.problems[0].field == "system"
    only_cis = analyze(START, END, systems=["CIS"], ruleset=world["ruleset"](), raise_alerts=False)
    assert only_cis.systems == ("CIS",) and len(only_cis.findings) == 2

"""The log pages on the demo week: permissions, health figures, silent source, event search and its audit.

The search's answers are checked against an independent full scan of the lake filtered in Python.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from ringfence.audit.models import AuditEvent
from ringfence.authz.services import create_login
from ringfence.core.timeutil import JST
from ringfence.demo.generate import generate_demo
from ringfence.demo.load import load_registry
from ringfence.logs.ingest.batch import BatchIngest
from ringfence.logs.ingest.routing import SourceRouter, load_definitions
from ringfence.logs.lake.query import connect
from ringfence.logs.selectors import EventQuery, search_events, source_health
from ringfence.registry.models import AccountVersion

SAMPLES = Path(__file__).parents[2] / "demo" / "sources"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, seed=5, size="small")
    return out


@pytest.fixture
def loaded(demo: Path, settings: Any, tmp_path: Path) -> Path:
    settings.LAKE_DIR = tmp_path / "lake"
    settings.DATA_DIR = tmp_path
    load_registry(demo)
    BatchIngest(SourceRouter(load_definitions(SAMPLES))).run([demo / "logs"])
    return tmp_path / "lake"


def _all_events(lake: Path) -> list[dict[str, Any]]:
    cursor = connect(root=lake).execute("SELECT * FROM events")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _week(demo: Path) -> tuple[dt.datetime, dt.datetime]:
    start = dt.date.fromisoformat(json.loads((demo / "demo.json").read_text())["week_start"])
    begin = dt.datetime.combine(start, dt.time.min, tzinfo=JST)
    return begin, begin + dt.timedelta(days=7)


@pytest.mark.django_db
def test_search_answers_match_a_full_scan_for_each_filter(demo: Path, loaded: Path) -> None:
    events = _all_events(loaded)
    begin, end = _week(demo)
    sample = next(e for e in events if e["record_ids"] and e["account"] and e["src_host"])

    def expected(pred: Any) -> set[str]:
        return {e["event_id"] for e in events if begin <= e["time"] < end and pred(e)}

    cases = [
        (EventQuery(begin, end, system=sample["system"], limit=100_000), lambda e: e["system"] == sample["system"]),
        (EventQuery(begin, end, account=sample["account"], limit=100_000),
         lambda e: (e["account"] or "").lower() == sample["account"].lower()),
        (EventQuery(begin, end, record_id=sample["record_ids"][0], limit=100_000),
         lambda e: sample["record_ids"][0] in (e["record_ids"] or [])),
        (EventQuery(begin, end, terminal=sample["src_host"], limit=100_000),
         lambda e: sample["src_host"] in (e["terminal"], e["src_host"], e["src_ip"])),
    ]  # fmt: skip
    for query, pred in cases:
        found = {row["event_id"] for row in search_events(query, root=loaded).rows}
        assert found == expected(pred) and found, query

    # A narrow time range reads only that day's partition files.
    day = sample["time"].astimezone(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    narrow = search_events(EventQuery(day, day + dt.timedelta(hours=1), system=sample["system"]), root=loaded)
    assert narrow.files_read == 1

    # The newest first, across several days' windows: the same as the newest of a full scan.
    for limit in (10, 3000):
        limited = search_events(EventQuery(begin, end, limit=limit), root=loaded)
        assert len(limited.rows) == limit and limited.more
        newest = sorted((e["time"] for e in events if begin <= e["time"] < end), reverse=True)[:limit]
        assert [r["time"] for r in limited.rows] == newest


@pytest.mark.django_db
def test_person_search_follows_account_ownership_at_each_events_time(demo: Path, loaded: Path) -> None:
    events = _all_events(loaded)
    begin, end = _week(demo)
    owned = list(
        AccountVersion.objects.filter(owner__isnull=False, superseded_at__isnull=True).values_list(
            "owner__employee_number", "entity__system__code", "entity__account_id", "valid_from", "valid_to"
        )
    )
    active = {(e["system"], e["account"]) for e in events}
    person = next(p for p, s, a, _f, _t in owned if (s, a) in active)
    intervals = [(s, a, f, t) for p, s, a, f, t in owned if p == person]
    expected = {
        e["event_id"]
        for e in events
        if begin <= e["time"] < end
        and any(e["system"] == s and e["account"] == a and f <= e["time"] and (t is None or e["time"] < t)
                for s, a, f, t in intervals)
    }  # fmt: skip
    found = {
        r["event_id"]
        for r in search_events(EventQuery(begin, end, person=person, limit=100_000), loaded).rows
    }
    assert found == expected and found
    nobody = search_events(EventQuery(begin, end, person="NO-SUCH-PERSON"), root=loaded)
    assert nobody.unknown_person and not nobody.rows


@pytest.mark.django_db
def test_health_shows_every_demo_source_and_the_silent_one(demo: Path, loaded: Path) -> None:
    health = {h.source: h for h in source_health(root=loaded)}
    assert len(health) == 23
    assert (
        sum(h.events_total for h in health.values()) == json.loads((demo / "demo.json").read_text())["events"]
    )
    labels = [json.loads(line) for line in (demo / "labels.jsonl").read_text().splitlines()]
    silent_systems = {label.get("system") for label in labels if label.get("kind") == "silent_log_source"}
    flagged = {h.system: h.silent_days for h in health.values() if h.silent}
    gap_days = {
        dt.date.fromisoformat(label["day"]) for label in labels if label.get("kind") == "silent_log_source"
    }
    # Exactly the labelled gap: weekends and the holiday, when the office systems all stop, are not gaps.
    assert silent_systems and set(flagged) == silent_systems
    assert {d for days in flagged.values() for d in days} == gap_days
    assert all(h.events_per_hour > 0 for h in health.values())


@pytest.mark.django_db
def test_pages_require_their_permission_and_searches_are_audited(
    demo: Path, loaded: Path, client: Any
) -> None:
    create_login("analyst1", PASSWORD, ["analyst"])
    create_login("manager1", PASSWORD, ["line_manager"], units=["B100"])
    client.login(username="manager1", password=PASSWORD)
    assert client.get(reverse("logs:sources")).status_code == 403
    assert client.get(reverse("logs:search")).status_code == 403
    client.logout()
    client.login(username="analyst1", password=PASSWORD)
    page = client.get(reverse("logs:sources"))
    assert page.status_code == 200 and "TAKUSO" in page.content.decode()
    assert reverse("logs:definitions") in page.content.decode()  # the definitions are reachable from here
    api = client.get(reverse("logs:api_health")).json()
    assert len(api["sources"]) == 23 and api["silent"]

    begin, end = _week(demo)
    before = AuditEvent.objects.filter(target_type="log_events").count()
    response = client.get(
        reverse("logs:search"),
        {
            "start": begin.strftime("%Y-%m-%dT%H:%M"),
            "end": end.strftime("%Y-%m-%dT%H:%M"),
            "system": "TAKUSO",
        },
    )
    assert response.status_code == 200
    assert "events-table" in response.content.decode()
    audit = AuditEvent.objects.filter(target_type="log_events").order_by("-id").first()
    assert AuditEvent.objects.filter(target_type="log_events").count() == before + 1
    assert audit is not None and audit.actor == "analyst1" and audit.detail["query"]["system"] == "TAKUSO"
    assert audit.detail["count"] > 0


@pytest.mark.django_db
def test_the_daily_source_check_records_the_silent_source(demo: Path, loaded: Path) -> None:
    from ringfence.logs.tasks import check_sources

    labels = [json.loads(line) for line in (demo / "labels.jsonl").read_text().splitlines()]
    gap = next(label for label in labels if label.get("kind") == "silent_log_source")
    silent = check_sources()
    assert len(silent) == 1 and silent[0].startswith(gap["system"].lower())
    entry = AuditEvent.objects.filter(actor="system:check-log-sources").get()
    assert entry.detail["silent"] == {silent[0]: [gap["day"]]}

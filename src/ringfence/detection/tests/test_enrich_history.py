"""First-seen flags and baselines (with and without history), bounds and systems, the real lake as source,
and registry snapshots: reused while the registry is unchanged, refreshed when it changes."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from django.utils import timezone

from ringfence.audit.models import AuditAction, AuditEvent
from ringfence.detection.enrich import (
    ENRICHED_FIELDS,
    create_enriched_view,
    enriched_columns,
    snapshot_registry,
)
from ringfence.logs import lake
from ringfence.logs.tests.test_lake_support import lake_root, make_events
from ringfence.registry import services as s
from ringfence.registry.tests.conftest import ACTOR, build_world, day

from .enrich_support import connection, enrich_rows, event, jst, take_snapshot

pytestmark = pytest.mark.django_db

__all__ = ["lake_root"]  # the fixture, used by test_the_lake_is_a_source


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    build_world()
    s.register_account("CIS", "u003", owner_employee_number="E003", effective=day("2024-01-01"), actor=ACTOR)
    return take_snapshot(tmp_path)


SOURCE = [
    event("first-from-pc", jst(2024, 6, 3, 9), terminal="PC-0001"),
    event("again-from-pc", jst(2024, 6, 3, 10), src_host="td-pc-0001"),
    event("from-new-address", jst(2024, 6, 3, 11), src_ip="10.30.0.1"),
    event("other-account", jst(2024, 6, 3, 12), account="e002", terminal="PC-0001"),
]


def test_first_seen_within_the_source(snapshot: Path) -> None:
    rows = enrich_rows(connection(snapshot), SOURCE)
    flags = {k: (r["first_seen_account_terminal"], r["first_seen_account_system"]) for k, r in rows.items()}
    assert flags == {
        "first-from-pc": (True, True),
        "again-from-pc": (False, False),  # the same terminal, found by host name this time
        "from-new-address": (True, False),
        "other-account": (True, True),
    }
    assert all(r["baseline_hourly_records"] is None for r in rows.values())  # no history, no baseline


def test_first_seen_looks_at_earlier_history(snapshot: Path) -> None:
    history = [
        event("old", jst(2024, 5, 20, 9), account="CORP\\U001", src_ip="10.20.1.5"),  # PC-0001 by address
        event(
            "later", jst(2024, 6, 10, 9), account="e002", src_ip="10.99.0.1"
        ),  # after the source: no effect
    ]
    rows = enrich_rows(connection(snapshot), SOURCE, history=history)
    flags = {k: (r["first_seen_account_terminal"], r["first_seen_account_system"]) for k, r in rows.items()}
    assert flags == {
        "first-from-pc": (False, False),
        "again-from-pc": (False, False),
        "from-new-address": (True, False),
        "other-account": (True, True),
    }


def _p95(values: Sequence[float]) -> float:
    """Linear interpolation between closest ranks (what quantile_cont computes)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * 0.95
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_baselines_are_the_larger_of_person_and_unit_p95(snapshot: Path) -> None:
    # E001 (u001, unit NSALES since 2024-04-01) and E003 (u003, NSALES): records per hour and per day.
    history = [
        event("h1", jst(2024, 5, 1, 9), record_count=10),
        event("h2", jst(2024, 5, 1, 10), record_count=20),
        event("h3", jst(2024, 5, 2, 9), record_count=25),
        event("h3b", jst(2024, 5, 2, 9, 30), record_count=5),  # same hour as h3: summed
        event("h4", jst(2024, 5, 2, 10), record_count=40),
        event("h-logon", jst(2024, 5, 2, 11), record_count=None, activity="logon"),
        event("p1", jst(2024, 5, 1, 9), account="u003", record_count=100),
        event("p2", jst(2024, 5, 3, 9), account="u003", record_count=200),
        event("e002", jst(2024, 5, 3, 9), account="e002", record_count=7),  # E002 in DPLAN
    ]
    rows = enrich_rows(
        connection(snapshot),
        [
            event("e001", jst(2024, 6, 3, 9)),
            event("e003", jst(2024, 6, 3, 9), account="u003"),
            event("nobody", jst(2024, 6, 3, 9), account="svc01"),
        ],
        history=history,
    )
    e001_hours, e003_hours = [10, 20, 30, 40], [100, 200]
    e001_days, e003_days = [30, 70], [100, 200]
    unit_hours, unit_days = e001_hours + e003_hours, e001_days + e003_days
    assert rows["e001"]["baseline_hourly_records"] == pytest.approx(max(_p95(e001_hours), _p95(unit_hours)))
    assert rows["e001"]["baseline_daily_records"] == pytest.approx(max(_p95(e001_days), _p95(unit_days)))
    assert rows["e003"]["baseline_hourly_records"] == pytest.approx(max(_p95(e003_hours), _p95(unit_hours)))
    assert rows["e003"]["baseline_daily_records"] == pytest.approx(max(_p95(e003_days), _p95(unit_days)))
    assert rows["e001"]["baseline_daily_records"] != rows["e001"]["baseline_hourly_records"]
    assert rows["nobody"]["baseline_hourly_records"] is None  # no owner, no baseline


def test_bounds_and_systems_limit_the_rows(snapshot: Path) -> None:
    con = connection(snapshot)
    rows = [
        event("before", jst(2024, 6, 2, 23, 59, 59)),
        event("start", jst(2024, 6, 3)),
        event("mdms", jst(2024, 6, 3, 12), system="MDMS"),
        event("last", jst(2024, 6, 4) - dt.timedelta(microseconds=1)),
        event("end", jst(2024, 6, 4)),
    ]
    got = enrich_rows(con, rows, start=jst(2024, 6, 3), end=jst(2024, 6, 4), systems=["CIS"])
    assert sorted(got) == ["last", "start"]
    got = enrich_rows(con, rows, name="everything", materialize=True)
    assert len(got) == 5
    kinds = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name = 'everything'"
    ).fetchall()
    assert kinds == [("everything",)]
    columns = [d[0] for d in con.execute("SELECT * FROM everything LIMIT 0").description]
    assert columns == enriched_columns()
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE everything)").fetchall())
    for field, (sql_type, _en, _ja) in ENRICHED_FIELDS.items():
        expected = "TIMESTAMP WITH TIME ZONE" if sql_type == "TIMESTAMPTZ" else sql_type
        assert types[field] == expected, field


def test_a_source_without_the_event_columns_is_refused(snapshot: Path) -> None:
    con = connection(snapshot)
    con.execute("CREATE TEMP TABLE not_events AS SELECT 1 AS x")
    with pytest.raises(ValueError, match="not_events: not an event relation, columns missing: event_id"):
        create_enriched_view(con, "not_events")


def test_the_lake_is_a_source(lake_root: Path, settings, tmp_path: Path) -> None:
    settings.RINGFENCE_DETECTION_DIR = tmp_path / "detection"
    build_world()
    batch = make_events(
        [
            {"time": jst(2024, 6, 2, 23), "account": "u001", "message": "sunday"},
            {"time": jst(2024, 6, 3, 9), "account": "u001", "message": "monday"},
            {"time": jst(2024, 6, 3, 10), "account": "ghost", "message": "ghost"},
            {"time": jst(2024, 6, 4, 9), "account": "u001", "message": "tuesday"},
        ]
    )
    lake.append(batch)
    con = lake.connect()
    # No snapshot attached: the current registry is snapshotted into the detection folder and attached.
    create_enriched_view(con, start=jst(2024, 6, 3), end=jst(2024, 6, 4))
    got = con.execute("SELECT message, day, owner, account_known FROM enriched ORDER BY time").fetchall()
    assert got == [("monday", dt.date(2024, 6, 3), "E001", True), ("ghost", dt.date(2024, 6, 3), None, False)]
    assert len(list((tmp_path / "detection" / "registry").iterdir())) == 1


def test_snapshot_is_reused_until_the_registry_changes(settings, tmp_path: Path) -> None:
    settings.RINGFENCE_DETECTION_DIR = tmp_path / "detection"
    build_world()
    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT, target_type="registry.lake")
    first = snapshot_registry()
    assert first.parent == tmp_path / "detection" / "registry"
    assert (first / "accounts.parquet").exists()
    assert snapshot_registry() == first
    assert exports.count() == 1  # the second call exported nothing

    before_change = timezone.now()
    s.transfer_person("E003", "DPLAN", effective=day("2024-06-01"), actor=ACTOR)
    second = snapshot_registry()
    assert second != first
    assert exports.count() == 2
    assert snapshot_registry() == second

    # Superseding alone (no new row in this table) also counts as a change: revoking closes a grant.
    s.revoke_entitlement("CIS", employee_number="E001", effective=day("2024-12-01"), actor=ACTOR)
    third = snapshot_registry()
    assert third not in (first, second)

    # As known before the transfer: the old unit, exported afresh each time.
    as_known = snapshot_registry(tmp_path / "as-known", known_at=before_change)
    events = [event("june", jst(2024, 6, 3), account="u003")]
    s.register_account("CIS", "u003", owner_employee_number="E003", effective=day("2024-01-01"), actor=ACTOR)
    now_rows = enrich_rows(connection(snapshot_registry()), events)
    then_rows = enrich_rows(connection(as_known), events)
    assert now_rows["june"]["person_unit"] == "DPLAN"
    assert then_rows["june"]["account_known"] is False  # u003 did not exist in the registry back then
    assert snapshot_registry(tmp_path / "as-known", known_at=before_change) == tmp_path / "as-known"
    assert exports.count() == 6


def test_the_view_follows_a_source_that_is_replaced(snapshot: Path) -> None:
    """Live monitoring re-registers its batch under one name: the view reads whatever the name holds."""
    con = connection(snapshot)
    con.register("batch", make_events([event("one", jst(2024, 6, 3, 9))], source_file="a.log"))
    create_enriched_view(con, "batch", "live")
    assert con.execute("SELECT message, owner, first_seen_account_system FROM live").fetchall() == [
        ("one", "E001", True)
    ]
    con.register(
        "batch", make_events([event("two", jst(2024, 9, 3, 9)), event("three", jst(2024, 9, 3, 10))])
    )
    assert con.execute(
        "SELECT message, owner, first_seen_account_system FROM live ORDER BY time"
    ).fetchall() == [
        ("two", "E003", True),
        ("three", "E003", False),
    ]


@pytest.mark.parametrize("name", ["enriched; DROP TABLE x", "1st", "a-b", ""])
def test_the_name_must_be_an_identifier(snapshot: Path, name: str) -> None:
    con = connection(snapshot)
    con.register("batch", make_events([event("one", jst(2024, 6, 3, 9))]))
    with pytest.raises(ValueError, match="plain SQL identifier"):
        create_enriched_view(con, "batch", name)


def test_old_snapshots_are_pruned_but_recent_ones_kept(settings, tmp_path: Path) -> None:
    settings.RINGFENCE_DETECTION_DIR = tmp_path / "detection"
    root = tmp_path / "detection" / "registry"
    old = (timezone.now() - dt.timedelta(days=3)).timestamp()
    names = [f"2020010{i}T000000000000Z-abcdef" for i in range(1, 6)]
    for name in names:
        (root / name).mkdir(parents=True)
        if name != names[1]:  # the second oldest was used an hour ago: a running analysis may read it
            os.utime(root / name, (old, old))
    build_world()
    newest = snapshot_registry()
    assert sorted(p.name for p in root.iterdir()) == sorted([newest.name, names[4], names[3], names[1]])

"""Evaluation: one scan for all detections, correlations over the matches, grouping into findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest

from ringfence.alerts.findings import incident_key
from ringfence.core.timeutil import JST
from ringfence.detection.engine import evaluate, evaluate_detailed, findings_from, load_ruleset, window_start

from .engine_support import AFFILIATE, FAILED, at, rows, write_rules

pytestmark = pytest.mark.django_db
AFF = "6b1f1c52-0000-4000-8000-000000000001"
BURST = "6b1f1c52-0000-4000-8000-000000000003"


@pytest.fixture
def ruleset(tmp_path: Path):
    folder = write_rules(tmp_path / "rules", affiliate=AFFILIATE, failed=FAILED)
    return load_ruleset(rules_dir=folder, include_builtin=False, with_settings=False, placeholders={})


def _events() -> list[dict[str, object]]:
    events: list[dict[str, object]] = [
        {"event_id": "a1", "time": at(13, 9), "system": "CIS", "account": "x1", "owner": "A1",
         "person_employment_type": "affiliate", "terminal_tag": "PC1"},
        {"event_id": "a2", "time": at(13, 23, 59), "system": "CIS", "account": "x1", "owner": "A1",
         "person_employment_type": "affiliate", "terminal_tag": "PC1"},
        {"event_id": "a3", "time": at(14, 0, 1), "system": "CIS", "account": "x1", "owner": "A1",
         "person_employment_type": "affiliate"},
        {"event_id": "a4", "time": at(13, 10), "system": "CALL", "account": "x1",
         "person_employment_type": "affiliate", "outcome": "failure"},
        {"event_id": "n1", "time": at(13, 9), "system": "CIS", "account": "u1", "person_employment_type": "own_employee"},
    ]  # fmt: skip
    for minute in range(4):  # four failures from one address within 10 minutes
        events.append({"event_id": f"f{minute}", "time": at(15, 12, minute * 3), "system": "AD",
                       "account": f"v{minute}", "activity": "logon", "outcome": "failure", "src_ip": "10.0.0.9"})  # fmt: skip
    events.append({"event_id": "g1", "time": at(15, 13), "system": "AD", "account": "w", "activity": "logon",
                   "outcome": "failure", "src_ip": "10.0.0.10"})  # fmt: skip
    return events


def test_one_scan_flags_all_detections_and_keeps_only_matched_rows(ruleset) -> None:
    con = duckdb.connect()
    con.register("enriched", rows(_events()))
    evaluation = evaluate_detailed(con, ruleset, keep=True)
    # a1-a3 (affiliate success) + f0-f3 and g1 (failed logons); n1 and a4 match nothing
    assert evaluation.matched_events == 8
    columns = con.sql("SELECT * FROM rf_matches LIMIT 0").columns
    assert {c for c in columns if c.startswith("m_")} == {"m_" + AFF.replace("-", "_"),
                                                          "m_6b1f1c52_0000_4000_8000_000000000002"}  # fmt: skip
    plan = con.sql("EXPLAIN SELECT 1").fetchall()  # the connection is still usable
    assert plan


def test_evaluate_returns_alerting_detections_and_correlation_triggers(ruleset) -> None:
    con = duckdb.connect()
    con.register("enriched", rows(_events()))
    result = evaluate(con, ruleset)
    found = sorted(
        zip(result.column("rule_id").to_pylist(), result.column("event_id").to_pylist(), strict=True)
    )
    assert found == sorted([(AFF, "a1"), (AFF, "a2"), (AFF, "a3"), (BURST, "f2"), (BURST, "f3")])
    burst = result.filter(pc.equal(result.column("rule_id"), BURST))
    assert burst.column("corr_value").to_pylist() == [3.0, 4.0]
    assert set(burst.column("src_ip").to_pylist()) == {"10.0.0.9"}
    # temporary tables are gone
    assert not con.sql("SELECT * FROM duckdb_tables() WHERE table_name LIKE 'rf_%'").fetchall()


def test_findings_one_per_rule_entity_and_jst_day_with_deterministic_keys(ruleset) -> None:
    con = duckdb.connect()
    con.register("enriched", rows(_events()))
    findings = findings_from(evaluate(con, ruleset), ruleset, "batch")
    affiliate = [f for f in findings if f.rule_id == AFF]
    # a1 and a2 fall on 10-13 JST (23:59 still that day), a3 on 10-14: two incidents for CIS/x1
    assert [(f.entity, f.window_start.astimezone(JST).date(), len(f.evidence)) for f in affiliate] == [
        ("CIS/x1", dt.date(2026, 10, 13), 2),
        ("CIS/x1", dt.date(2026, 10, 14), 1),
    ]
    first = affiliate[0]
    assert first.key == incident_key(AFF, "CIS/x1", dt.datetime(2026, 10, 13, tzinfo=JST))
    assert (first.person, first.terminal, first.severity, first.system) == ("A1", "PC1", "critical", "CIS")
    assert first.window_end - first.window_start == dt.timedelta(days=1)
    assert [e.event_id for e in first.evidence] == ["a1", "a2"]
    burst = [f for f in findings if f.rule_id == BURST]
    assert len(burst) == 1 and burst[0].entity == "10.0.0.9" and burst[0].detail["corr_value"] == 4.0
    again = findings_from(evaluate(con, ruleset), ruleset, "batch")
    assert [f.key for f in again] == [f.key for f in findings]


def test_window_start_is_aligned_to_jst_midnight_and_hours() -> None:
    moment = dt.datetime(2026, 10, 13, 14, 59, tzinfo=dt.UTC)  # 23:59 JST
    assert window_start(moment, dt.timedelta(days=1)) == dt.datetime(2026, 10, 13, tzinfo=JST)
    assert window_start(moment, dt.timedelta(hours=1)) == dt.datetime(2026, 10, 13, 23, tzinfo=JST)
    assert window_start(moment, dt.timedelta(weeks=1)) == dt.datetime(2026, 10, 12, tzinfo=JST)  # Monday


def test_evidence_is_capped_but_counted(ruleset, settings) -> None:
    settings.RINGFENCE_EVIDENCE_LIMIT = 2
    events = [{"event_id": f"e{i}", "time": at(13, 9, i), "system": "CIS", "account": "x1",
               "person_employment_type": "affiliate"} for i in range(5)]  # fmt: skip
    con = duckdb.connect()
    con.register("enriched", rows(events))
    [finding] = findings_from(evaluate(con, ruleset), ruleset)
    assert len(finding.evidence) == 2 and finding.detail["events"] == 5
    assert finding.last_seen == at(13, 9, 4)


def test_no_rules_no_rows(tmp_path: Path) -> None:
    empty = load_ruleset(rules_dir=write_rules(tmp_path / "none"), include_builtin=False, placeholders={})
    con = duckdb.connect()
    con.register("enriched", rows(_events()))
    assert evaluate(con, empty).num_rows == 0


def test_correlation_triggers_are_capped_per_group_and_window_but_counted(ruleset, settings) -> None:
    settings.RINGFENCE_EVIDENCE_LIMIT = 1
    con = duckdb.connect()
    con.register("enriched", rows(_events()))
    burst = [f for f in findings_from(evaluate(con, ruleset), ruleset) if f.rule_id == BURST]
    assert len(burst) == 1
    # triggers f2 (3rd failure) and f3 (4th): one kept as evidence, both counted, the last time kept
    assert [e.event_id for e in burst[0].evidence] == ["f2"]
    assert burst[0].detail["events"] == 2 and burst[0].last_seen == at(15, 12, 9)

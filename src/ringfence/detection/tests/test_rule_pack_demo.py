"""The pack over a generated demo week: every labelled violation is found, nothing else is, live as in batch.

A small demo (about 20,000 events, 15 labelled scenarios of 14 kinds) is generated, loaded and ingested
through ``ringfence demo``, then analysed by the engine without raising alerts, and the findings are scored
against labels.jsonl. Ordinary demo traffic contains no violation by construction, so a finding whose
evidence holds no labelled event is a false positive of the pack. The same week fed to the live monitor in
half-day micro-batches must give the same incidents with the same evidence.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ringfence.cli.main import cli
from ringfence.core.timeutil import JST
from ringfence.logs.schema import EVENT_FIELDS

SEED = 11  # not the default seed the thresholds were measured on


@pytest.mark.django_db
def test_the_pack_finds_every_labelled_scenario_of_a_demo_week_and_nothing_else_live_as_in_batch(
    settings, tmp_path: Path
) -> None:
    from ringfence.detection.engine import analyze
    from ringfence.detection.engine.scoring import labelled_event_ids, read_labels, score
    from ringfence.logs import lake

    settings.DATA_DIR = tmp_path / "data"
    settings.LAKE_DIR = tmp_path / "data" / "lake"
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        cli, ["demo", "--no-serve", "--out", str(out), "--size", "small", "--seed", str(SEED)]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)

    start = dt.datetime(2026, 10, 12, tzinfo=JST)
    analysis = analyze(start, start + dt.timedelta(days=7), raise_alerts=False, record_run=False)
    labels = read_labels(out / "labels.jsonl")
    con = lake.connect()
    try:
        labelled = labelled_event_ids(con, labels, out)
    finally:
        con.close()
    scored = score(analysis.findings, labels, labelled, {})
    _assert_found_and_nothing_else(scored, analysis)
    _assert_live_finds_the_same(analysis, start)


def _assert_found_and_nothing_else(scored: Any, analysis: Any) -> None:
    detectable = [s for s in scored.scenarios if s.label.kind != "silent_log_source"]
    assert len(detectable) == 14
    missed = [(s.label.id, s.label.kind) for s in detectable if not s.caught]
    assert not missed, f"scenarios not found: {missed}"
    false_findings = {
        analysis.ruleset.meta[rule].name: count for rule, count in scored.unlabelled_by_rule.items() if count
    }
    assert not false_findings, f"findings outside every labelled scenario, by rule: {false_findings}"
    # Every kind is found by the rule written for it (not only by a neighbour that happens to fire).
    expected = {
        "lent_terminal_affiliate_use": {"rf_terminal_not_in_use", "rf_person_affiliate"},
        "td_id_from_affiliate_segment": {"rf_affiliate_zone"},
        "retiree_id_in_use": {"rf_person_retired"},
        "orphaned_id_in_use": {"rf_account_orphaned"},
        "affiliate_granted_access": {"rf_person_affiliate", "rf_affiliate_zone"},
        "bulk_export": {"rf_bulk_records_hourly"},
        "misconfigured_access_control": {"rf_operation_above_entitlement"},
        "off_hours_access": {"rf_off_hours_non_public"},
        "holiday_access": {"rf_day_off_non_public"},
        "password_guessing": {"rf_failed_logon_burst_source"},
        "shared_id_concurrent": {"rf_shared_id_concurrent"},
        "emergency_id_outside_grant": {"rf_emergency_id_outside_grant"},
        "transferred_out_id_in_use": {"rf_person_transferred"},
    }
    for scenario in detectable:
        names = {analysis.ruleset.meta[rule].name for rule in scenario.rules}
        assert expected[scenario.label.kind] <= names, f"{scenario.label.id} {scenario.label.kind}: {names}"


def _evidence_by_key(findings: list[Any]) -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for finding in findings:
        merged.setdefault(finding.key, set()).update(e.event_id for e in finding.evidence)
    return merged


def _assert_live_finds_the_same(analysis: Any, start: dt.datetime) -> None:
    from ringfence.detection.live import LiveMonitor
    from ringfence.logs import lake

    con = lake.connect()
    try:
        columns = ", ".join(f'"{name}"' for name in EVENT_FIELDS)
        events = con.sql(f"SELECT {columns} FROM events ORDER BY time, event_id").to_arrow_table()
    finally:
        con.close()
    times = events["time"].to_pylist()
    found = []
    with tempfile.TemporaryDirectory() as state:
        monitor = LiveMonitor(Path(state), analysis.ruleset)
        try:
            first, edge = 0, start
            while first < len(times):
                edge += dt.timedelta(hours=12)
                last = first
                while last < len(times) and times[last] < edge:
                    last += 1
                if last > first:
                    found += monitor.process(events.slice(first, last - first))
                first = last
        finally:
            monitor.close()
    names = {f.key: (analysis.ruleset.meta[f.rule_id].name, f.entity) for f in [*analysis.findings, *found]}
    live, batch = _evidence_by_key(found), _evidence_by_key(analysis.findings)
    differences = {names[k]: (len(batch.get(k, ())), len(live.get(k, ()))) for k in set(live) ^ set(batch)}
    differences |= {
        names[k]: (len(batch[k]), len(live[k])) for k in set(live) & set(batch) if live[k] != batch[k]
    }
    assert not differences, f"rule, entity -> (events in batch, events live): {differences}"

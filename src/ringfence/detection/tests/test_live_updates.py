"""Findings of known incidents wait in the state and are delivered merged; new incidents go at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ringfence.alerts.findings import Evidence, Finding
from ringfence.alerts.models import Alert, AlertEvidence
from ringfence.detection.engine import load_ruleset
from ringfence.detection.live import MonitorRunner
from ringfence.detection.live.runner import raise_alerts
from ringfence.detection.live.updates import coalesce, from_json, to_json
from ringfence.logs import lake
from ringfence.logs.tests.test_lake_support import make_events

from .test_live_support import at, event, isolated_data, rules_dir

__all__ = ["isolated_data", "rules_dir"]
EXPORT = "7d0c1b8e-0000-4000-8000-000000000002"


def _finding(key: str, minutes: list[int], events: int) -> Finding:
    evidence = tuple(Evidence(f"e{m}", at(m), "CIS") for m in minutes)
    return Finding(
        key=key, rule_id="r", rule_title="t", severity="high", entity="CIS/u1", window_start=at(0),
        window_end=at(24 * 60), first_seen=at(min(minutes)), last_seen=at(max(minutes)), system="CIS",
        account="u1", evidence=evidence, detail={"events": events, "kind": "detection"}, mode="live",
    )  # fmt: skip


def test_findings_survive_json_and_merge_per_key() -> None:
    one, two = _finding("k1", [5, 1], 2), _finding("k1", [3, 5], 2)
    assert from_json(to_json(one)) == one
    [merged] = coalesce([one, two, _finding("k1", [9], 1)])
    assert [e.event_id for e in merged.evidence] == ["e1", "e3", "e5", "e9"]
    assert merged.first_seen == at(1) and merged.last_seen == at(9)
    assert merged.detail["events"] == 2
    assert len(coalesce([one, _finding("k2", [1], 1)])) == 2


@pytest.mark.django_db
def test_an_ongoing_incident_is_updated_later_and_merged(isolated_data: Path, rules_dir: Path) -> None:
    ruleset = load_ruleset(rules_dir=rules_dir, include_builtin=False, with_settings=False)
    delivered: list[list[str]] = []

    def deliver(findings: list[Finding]) -> Any:
        delivered.append(sorted(f.key for f in findings))
        return raise_alerts(findings)

    runner = MonitorRunner(ruleset=ruleset, deliver=deliver, from_start=True)

    def export(line: int, minutes: int) -> Any:
        return make_events([dict(event(minutes, "svc01", "export"), source_line=line)], source_file="u.log")

    lake.append(export(1, 600))
    runner.poll()
    [alert] = Alert.objects.filter(rule_id=EXPORT)
    assert alert.evidence.count() == 1

    lake.append(export(2, 610))
    lake.append(export(3, 620))
    runner.poll()  # the same incident (svc01, that day): waits as an update
    assert runner.monitor.updates_waiting()[0] == 1
    assert AlertEvidence.objects.filter(alert=alert).count() == 1
    assert runner.deliver_updates(force=True) == 1
    assert runner.monitor.updates_waiting()[0] == 0
    assert Alert.objects.filter(rule_id=EXPORT).count() == 1
    assert AlertEvidence.objects.filter(alert=alert).count() == 3
    assert delivered[-1] == [alert.key]  # one merged finding for both batches
    runner.close()

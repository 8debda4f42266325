"""Restarts of the monitor: killed with SIGKILL between batches it loses no correlation state, and no alert
is raised twice — also when it dies after handing alerts over but before committing its state."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ringfence.alerts.models import Alert, AlertEvidence
from ringfence.detection.engine import load_ruleset
from ringfence.detection.live import MonitorRunner, lake_head
from ringfence.detection.live.runner import raise_alerts
from ringfence.logs import lake
from ringfence.logs.tests.test_lake_support import make_events

from .test_live_support import event, isolated_data, rules_dir

__all__ = ["isolated_data", "rules_dir"]

RINGFENCE = [sys.executable, "-m", "ringfence.cli.main"]
BURST = "7d0c1b8e-0000-4000-8000-000000000005"  # three failed logons of one account within ten minutes
EXPORT = "7d0c1b8e-0000-4000-8000-000000000002"
FIRST_SEEN = "7d0c1b8e-0000-4000-8000-000000000003"  # e002 and svc01 on their addresses: one each


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["RINGFENCE_DATA_DIR"] = str(data_dir)
    return env


class Monitor:
    """``ringfence monitor run`` in a child process; ready once its first round is committed."""

    def __init__(self, data_dir: Path, rules: Path) -> None:
        self.process = subprocess.Popen(
            [*RINGFENCE, "monitor", "run", "--interval", "0.2", "--from-start", "--no-builtin",
             "--rules-dir", str(rules)],
            env=_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(self.process.stderr.read() if self.process.stderr else "no output")
        self.ready: dict[str, Any] = json.loads(line)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _alerts(data_dir: Path) -> dict[str, tuple[str, set[str]]]:
    """The child's alerts: key -> (rule, evidence event IDs), read from its SQLite database."""
    con = sqlite3.connect(data_dir / "ringfence.sqlite3")
    try:
        rows = con.execute(
            "SELECT a.key, a.rule_id, e.event_id FROM alerts_alert a "
            "LEFT JOIN alerts_alertevidence e ON e.alert_id = a.id"
        ).fetchall()
    finally:
        con.close()
    found: dict[str, tuple[str, set[str]]] = {}
    for key, rule, event_id in rows:
        found.setdefault(key, (rule, set()))[1].add(event_id)
    return found


def _rows(lines: list[tuple[int, dict[str, Any]]]) -> Any:
    return make_events([dict(row, source_line=line) for line, row in lines], source_file="restart.log")


@pytest.mark.slow
@pytest.mark.django_db
def test_sigkill_between_batches_keeps_the_correlation_state_and_repeats_no_alert(
    isolated_data: Path, rules_dir: Path, tmp_path: Path, settings: Any
) -> None:
    data = tmp_path / "child"
    subprocess.run([*RINGFENCE, "setup"], env=_env(data), check=True, capture_output=True, timeout=300)
    settings.LAKE_DIR = data / "lake"  # this process writes the child's lake; the child follows it

    lake.append(
        _rows([(1, event(540, "e002", "logon", "failure")), (2, event(542, "e002", "logon", "failure"))])
    )
    first = Monitor(data, rules_dir)
    assert first.ready["events"] == 2 and first.ready["window_events"] == 2
    first.kill()
    assert [rule for rule, _ids in _alerts(data).values()] == [FIRST_SEEN]  # two failures: no burst yet

    # The third failure arrives while the monitor is down; the burst needs the two from before the kill.
    lake.append(_rows([(3, event(544, "e002", "logon", "failure")), (4, event(600, "svc01", "export"))]))
    second = Monitor(data, rules_dir)
    assert second.ready["events"] == 4
    second.kill()
    alerts = _alerts(data)
    assert sorted(rule for rule, _ids in alerts.values()) == sorted([BURST, EXPORT, FIRST_SEEN, FIRST_SEEN])
    third_id = _rows([(3, event(544, "e002", "logon", "failure"))])["event_id"][0].as_py()
    burst_key = next(key for key, (rule, _ids) in alerts.items() if rule == BURST)
    assert third_id in alerts[burst_key][1]

    # A fourth failure in the same incident window; the monitor is killed at a random moment while it may
    # be working on it, then runs again: still one burst alert, now with the fourth event as evidence.
    lake.append(_rows([(5, event(546, "e002", "logon", "failure"))]))
    hasty = subprocess.Popen(
        [*RINGFENCE, "monitor", "run", "--interval", "0.2", "--no-builtin", "--rules-dir", str(rules_dir)],
        env=_env(data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.5)
    hasty.send_signal(signal.SIGKILL)
    hasty.wait(timeout=30)
    last = Monitor(data, rules_dir)
    last.kill()
    after = _alerts(data)
    assert set(after) == set(alerts)
    fourth_id = _rows([(5, event(546, "e002", "logon", "failure"))])["event_id"][0].as_py()
    assert fourth_id in after[burst_key][1]


@pytest.mark.django_db
def test_a_crash_after_the_alerts_and_before_the_commit_replays_the_batch_without_repeating(
    isolated_data: Path, rules_dir: Path
) -> None:
    ruleset = load_ruleset(rules_dir=rules_dir, include_builtin=False, with_settings=False)
    lake.append(_rows([(i, event(540 + i, "e002", "logon", "failure")) for i in range(1, 3)]))
    runner = MonitorRunner(ruleset=ruleset, from_start=True)
    runner.poll()
    runner.close()
    lake.append(_rows([(3, event(545, "e002", "logon", "failure")), (4, event(600, "svc01", "export"))]))

    class Crash(Exception):
        pass

    def deliver_then_die(findings: list[Any]) -> None:
        raise_alerts(findings)
        raise Crash  # the process dies here: alerts stored, state and position not committed

    crashing = MonitorRunner(ruleset=ruleset, deliver=deliver_then_die)
    position = crashing.monitor.position
    with pytest.raises(Crash):
        crashing.poll()
    assert crashing.monitor.position == position  # nothing committed
    crashing.close()
    stored = {
        a.key: set(AlertEvidence.objects.filter(alert=a).values_list("event_id", flat=True))
        for a in Alert.objects.all()
    }
    assert sorted(a.rule_id for a in Alert.objects.all()) == sorted([BURST, EXPORT, FIRST_SEEN, FIRST_SEEN])

    again = MonitorRunner(ruleset=ruleset)
    result = again.poll()
    again.close()
    assert result.events == 2 and result.findings == 3  # the same batch (burst, export, svc01 first seen)
    assert {
        a.key: set(AlertEvidence.objects.filter(alert=a).values_list("event_id", flat=True))
        for a in Alert.objects.all()
    } == stored
    assert Alert.objects.count() == 4


CROSS_RULES = """\
title: Logon (cross-system test base)
id: 7d0c1b8e-0000-4000-8000-0000000000a1
name: cross_logon
description: Base rule.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {activity: logon}
  condition: selection
level: informational
---
title: One account on two systems within ten minutes (catch-up test)
id: 7d0c1b8e-0000-4000-8000-0000000000a2
name: cross_systems
description: Logons of one account to two or more systems within ten minutes.
correlation:
  type: value_count
  rules: [cross_logon]
  group-by: [account]
  timespan: 10m
  condition: {field: system, gte: 2}
level: medium
ringfence: {entity: [account]}
"""


@pytest.mark.django_db
def test_a_catch_up_reads_files_in_time_order_and_remembers_those_read_ahead(
    isolated_data: Path, tmp_path: Path
) -> None:
    """A lake filled system by system (CIS's whole week, then MDMS's): read in manifest order, the watermark
    would run a week ahead of MDMS's events and CIS's partners would be gone; read in time order, every
    cross-system pair is found, with the files read ahead of the position remembered across restarts."""
    folder = tmp_path / "cross-rules"
    folder.mkdir()
    (folder / "cross.yml").write_text(CROSS_RULES, encoding="utf-8")
    ruleset = load_ruleset(rules_dir=folder, include_builtin=False, with_settings=False)
    days = range(5)
    for system in ("CIS", "MDMS"):
        for day in days:
            row = dict(
                event(day * 24 * 60 + 600 + (3 if system == "MDMS" else 0), "u001", "logon"), system=system
            )
            lake.append(make_events([dict(row, source_line=day + 1)], source_file=f"{system}.log"))
    found: list[Any] = []
    evaluated = 0

    def runner_stopping_after(batches: int | None) -> MonitorRunner:
        runner = MonitorRunner(ruleset=ruleset, from_start=True, deliver=None, max_events=1)
        original = runner.monitor.process_batch
        calls = 0

        def keep(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls, evaluated
            if batches is not None and calls == batches:
                raise KeyboardInterrupt  # stopped between two batches
            calls += 1
            batch = original(*args, **kwargs)
            found.extend(batch.findings)
            evaluated += batch.evaluated
            return batch

        runner.monitor.process_batch = keep  # type: ignore[method-assign]
        return runner

    stopped = runner_stopping_after(3)
    with pytest.raises(KeyboardInterrupt):
        stopped.poll()
    # CIS day 0, MDMS day 0, CIS day 1 read: the position is after CIS day 1, MDMS day 0 is remembered.
    assert len(stopped.monitor.done_files()) == 1
    stopped.close()
    runner = runner_stopping_after(None)
    runner.poll()
    assert evaluated == 10  # every event once, none twice
    cross = [f for f in found if f.rule_id.endswith("a2")]
    assert sorted(f.window_start.date() for f in cross) == [dt.date(2026, 10, 12 + d) for d in days]
    # Everything read: the position is the lake's end, nothing is left as "read ahead".
    assert runner.monitor.position == lake_head(isolated_data / "lake")
    assert runner.monitor.done_files() == set()
    runner.close()

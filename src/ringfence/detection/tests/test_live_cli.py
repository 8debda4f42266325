"""``ringfence monitor run --once`` and ``monitor status``; one monitor per state directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringfence.alerts.models import Alert
from ringfence.cli.main import cli
from ringfence.detection.live import MonitorRunner
from ringfence.detection.live.state import MonitorBusy
from ringfence.logs import lake
from ringfence.logs.tests.test_lake_support import make_events

from .test_live_support import event, isolated_data, rules_dir

__all__ = ["isolated_data", "rules_dir"]
pytestmark = pytest.mark.django_db
EXPORT = "7d0c1b8e-0000-4000-8000-000000000002"


def _export(line: int, minutes: int):
    return make_events([dict(event(minutes, "svc01", "export"), source_line=line)], source_file="cli.log")


def test_once_starts_at_the_end_of_the_lake_then_sees_what_comes(
    isolated_data: Path, rules_dir: Path
) -> None:
    lake.append(_export(1, 600))  # before the monitor existed: the batch analysis's business
    run = ["monitor", "run", "--once", "--no-builtin", "--rules-dir", str(rules_dir)]
    first = CliRunner().invoke(cli, run)
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["events"] == 0 and not Alert.objects.exists()

    lake.append(_export(2, 700))
    second = CliRunner().invoke(cli, run)
    assert second.exit_code == 0, second.output
    figures = json.loads(second.output)
    assert figures["events"] == 1 and figures["findings"] >= 1
    assert Alert.objects.filter(rule_id=EXPORT).count() == 1

    status = CliRunner().invoke(cli, ["monitor", "status"])
    assert status.exit_code == 0, status.output
    shown = json.loads(status.output)
    assert shown["events"] == 1 and shown["seq"] == lake.live_files()[-1].seq
    assert shown["watermark"].startswith("2026-10-13T")


def test_a_second_monitor_on_the_same_state_is_refused(isolated_data: Path, rules_dir: Path) -> None:
    from ringfence.detection.engine import load_ruleset

    ruleset = load_ruleset(rules_dir=rules_dir, include_builtin=False, with_settings=False)
    first = MonitorRunner(ruleset=ruleset)
    try:
        with pytest.raises(MonitorBusy, match="another monitor is running"):
            MonitorRunner(ruleset=ruleset)
    finally:
        first.close()
    MonitorRunner(ruleset=ruleset).close()  # free again once the first let go


def test_status_before_any_run_says_so(isolated_data: Path) -> None:
    result = CliRunner().invoke(cli, ["monitor", "status"])
    assert result.exit_code != 0 and "has not run yet" in result.output

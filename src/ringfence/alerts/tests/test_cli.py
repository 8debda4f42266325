"""``ringfence alerts`` through the click runner: list as JSON/CSV (audited), channels, notify-test."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ringfence.alerts.models import Alert, NotificationChannel
from ringfence.alerts.services import triage
from ringfence.alerts.services.intake import raise_alerts
from ringfence.audit.models import AuditEvent
from ringfence.cli.main import cli

from .conftest import make_finding
from .servers import smtp_server

pytestmark = pytest.mark.django_db


def _run(*args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(cli, list(args))
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


@pytest.fixture
def two_alerts() -> None:
    raise_alerts([make_finding(), make_finding(entity="CIS/u2", account="u2", severity="low")], actor="t")
    low = Alert.objects.get(entity="CIS/u2")
    triage.close(low, "closed_benign", "業務上の正当なアクセス", actor="t")


def test_list_json_csv_and_filters(two_alerts: None, tmp_path: Path) -> None:
    data = json.loads(_run("alerts", "list", "--format", "json").output)
    assert [(r["entity"], r["status"]) for r in data] == [("CIS/u10482", "new")]
    assert data[0]["first_seen"] == "2026-10-13T10:00:00+09:00" and data[0]["event_count"] == 3
    both = json.loads(_run("alerts", "list", "--status", "all", "--format", "json").output)
    assert {r["entity"] for r in both} == {"CIS/u10482", "CIS/u2"}
    out = tmp_path / "alerts.csv"
    _run("alerts", "list", "--status", "closed_benign", "--format", "csv", "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["entity"], r["severity"]) for r in rows] == [("CIS/u2", "low")]
    assert AuditEvent.objects.filter(action="export", target_type="alerts.alert").count() == 3
    text = _run("alerts", "list", "--from", "2026-10-14").output
    assert text.startswith("0 alert(s)")


def test_bad_options_are_named(two_alerts: None) -> None:
    result = _run("alerts", "list", "--status", "done", ok=False)
    assert result.exit_code != 0 and "--status" in result.output
    result = _run("alerts", "list", "--from", "13/10/2026", ok=False)
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_channel_and_notify_test_over_smtp(settings: Any) -> None:
    with smtp_server() as (port, state):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        _run(
            "alerts",
            "channel",
            "soc",
            "--kind",
            "smtp",
            "--target",
            "soc@td.example.jp",
            "--min-severity",
            "high",
        )
        assert NotificationChannel.objects.get().min_severity == "high"
        result = _run("alerts", "notify-test", "soc")
        assert "sent to soc@td.example.jp" in result.output
    assert len(state.messages) == 1 and "行為規制" in state.messages[0].message.get_content()
    missing = _run("alerts", "notify-test", "nope", ok=False)
    assert missing.exit_code != 0 and "channels: soc" in missing.output

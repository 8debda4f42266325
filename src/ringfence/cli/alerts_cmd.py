"""``ringfence alerts``: the alerts from the command line.

``list`` prints alerts (default: the open ones) as text, JSON or CSV — it names accounts and people, so the
export is recorded in the audit trail. ``channel`` creates or changes a notification channel, and
``notify-test`` sends a sample alert on one to prove the mail relay or webhook receiver answers.
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
from pathlib import Path
from typing import Any

import click

LIST_COLUMNS = [
    "id",
    "status",
    "severity",
    "rule_id",
    "rule_title",
    "entity",
    "system",
    "account",
    "person",
    "terminal",
    "source_ip",
    "first_seen",
    "last_seen",
    "window_start",
    "window_end",
    "event_count",
    "assignee",
    "found_by",
    "key",
]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value}") from exc


def alert_rows(
    status: str, severity: str, rule: str, system: str, who: str, start: dt.date | None, end: dt.date | None
) -> list[dict[str, Any]]:
    """Alerts matching the filters as plain rows (times in ISO 8601, JST)."""
    from ringfence.alerts.selectors import AlertFilters, filter_alerts
    from ringfence.core.timeutil import JST

    filters = AlertFilters(
        status=status, severity=severity, rule=rule, system=system, who=who, start=start, end=end
    )
    rows = []
    for alert in filter_alerts(filters):
        row: dict[str, Any] = {name: getattr(alert, name, "") for name in LIST_COLUMNS}
        row["id"] = alert.pk
        row["assignee"] = alert.assignee.get_username() if alert.assignee else ""
        for name in ("first_seen", "last_seen", "window_start", "window_end"):
            row[name] = getattr(alert, name).astimezone(JST).isoformat()
        rows.append(row)
    return rows


def _text(rows: list[dict[str, Any]]) -> str:
    lines = [f"{len(rows)} alert(s)"]
    for r in rows:
        lines.append(
            f"{r['id']:>6} {r['first_seen'][:16]} {r['severity']:<13} {r['status']:<22} "
            f"{r['entity']}  {r['rule_title']} ({r['event_count']} events)"
        )
    return "\n".join(lines) + "\n"


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=LIST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@click.group(name="alerts")
def alerts() -> None:
    """Alerts: list them, manage notification channels, test a channel."""


@alerts.command(name="list")
@click.option("--status", default="open", show_default=True,
              help="open, closed, all, or one status (new, assigned, investigating, closed_violation, "
                   "closed_benign, closed_false_positive, suppressed).")  # fmt: skip
@click.option("--severity", default="", help="informational, low, medium, high or critical.")
@click.option("--rule", default="", help="Rule ID.")
@click.option("--system", default="", help="System code.")
@click.option("--who", default="", help="Employee number, account or part of the entity.")
@click.option("--from", "start", default=None, help="First event on or after this JST day (YYYY-MM-DD).")
@click.option("--to", "end", default=None, help="First event on or before this JST day (YYYY-MM-DD).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to this file instead.")
def list_alerts(
    status: str, severity: str, rule: str, system: str, who: str, start: str | None, end: str | None,
    fmt: str, out: str | None,
) -> None:  # fmt: skip
    """Print alerts (newest first)."""
    from ringfence.alerts.choices import AlertStatus, Severity
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record

    if status not in ("open", "closed", "all", *AlertStatus.values):
        raise click.BadParameter(f"unknown status: {status}", param_hint="--status")
    if severity and severity not in Severity.values:
        raise click.BadParameter(f"unknown severity: {severity}", param_hint="--severity")
    rows = alert_rows("" if status == "all" else status, severity, rule, system, who, _day(start), _day(end))
    text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else (
        _csv(rows) if fmt == "csv" else _text(rows)
    )  # fmt: skip
    record(AuditAction.EXPORT, actor=_actor(), target_type="alerts.alert", target_ref=fmt,
           detail={"status": status, "severity": severity, "rule": rule, "system": system, "who": who,
                   "from": start, "to": end, "count": len(rows)})  # fmt: skip
    if out:
        Path(out).write_text(text, encoding="utf-8", newline="")
        click.echo(f"{len(rows)} alert(s) written to {out}", err=True)
    else:
        click.echo(text, nl=False)


@alerts.command(name="channel")
@click.argument("name")
@click.option("--kind", type=click.Choice(["smtp", "webhook"]), required=True)
@click.option("--target", required=True, help="E-mail addresses separated by commas, or the webhook URL.")
@click.option("--min-severity", default="medium", show_default=True)
@click.option("--secret", default="", envvar="RINGFENCE_WEBHOOK_SECRET",
              help="HMAC-SHA256 key of webhook signatures (env RINGFENCE_WEBHOOK_SECRET).")  # fmt: skip
@click.option("--disabled", is_flag=True, help="Create or keep the channel switched off.")
def channel(name: str, kind: str, target: str, min_severity: str, secret: str, disabled: bool) -> None:
    """Create or change the notification channel NAME."""
    from ringfence.alerts.models import NotificationChannel
    from ringfence.alerts.services.notifications import save_channel

    existing = NotificationChannel.objects.filter(name=name).first()
    saved = save_channel(
        actor=_actor(), name=name, kind=kind, target=target, min_severity=min_severity,
        enabled=not disabled, secret=secret or (existing.secret if existing else ""),
        subject_template=existing.subject_template if existing else "",
        body_template=existing.body_template if existing else "", channel=existing,
    )  # fmt: skip
    click.echo(f"channel {saved.name}: {saved.kind} → {saved.target} (from {saved.min_severity})")


@alerts.command(name="notify-test")
@click.argument("channel_name", metavar="CHANNEL")
def notify_test(channel_name: str) -> None:
    """Send a sample alert on CHANNEL now; exits non-zero naming the cause when it fails."""
    from ringfence.alerts.models import NotificationChannel
    from ringfence.alerts.services.notifications import DeliveryError, send_test

    found = NotificationChannel.objects.filter(name=channel_name).first()
    if found is None:
        names = ", ".join(NotificationChannel.objects.values_list("name", flat=True)) or "none"
        raise click.ClickException(f"no notification channel named {channel_name!r} (channels: {names})")
    try:
        message = send_test(found, actor=_actor())
    except DeliveryError as exc:
        raise click.ClickException(f"channel {found.name}: {exc}") from exc
    click.echo(f"sent to {found.target}: {message.subject}")

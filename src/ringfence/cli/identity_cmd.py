"""``ringfence reconcile`` and ``ringfence campaign``: ID governance from the command line.

``reconcile`` checks every account of the chosen systems (default: all) against HR and entitlements, opens
and closes findings, and prints the run and the open findings as text, JSON or CSV. With ``--import FILE``
it first imports the account list (a full list by default), so a nightly job can feed the systems'
exports straight in. ``campaign`` opens access reviews and password changes, sends reminders and writes
the password-change report. Output naming account owners is recorded in the audit trail.
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

from .asof_cmd import MomentType


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value}") from exc


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8", newline="")
    else:
        click.echo(text, nl=False)


FINDING_COLUMNS = [
    "system",
    "account_id",
    "owner",
    "kind",
    "status",
    "source",
    "opened_at",
    "due_on",
    "detail",
]


def findings_rows(systems: list[str]) -> list[dict[str, Any]]:
    """Open findings of ``systems`` as plain rows."""
    from ringfence.identity.models import Finding, FindingStatus

    qs = (
        Finding.objects.filter(status=FindingStatus.OPEN, system__code__in=systems)
        .select_related("system", "account", "subject")
        .order_by("system__code", "account__account_id", "kind")
    )
    return [
        {
            "system": f.system.code,
            "account_id": f.account.account_id,
            "owner": f.subject.employee_number if f.subject else "",
            "kind": f.kind,
            "status": f.status,
            "source": f.source,
            "opened_at": f.opened_at.isoformat(),
            "due_on": f.due_on.isoformat(),
            "detail": f.detail,
        }
        for f in qs
    ]


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV text (UTF-8 with BOM when written, so Excel reads the Japanese right)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for k, v in row.items()}
        )
    return buffer.getvalue()


@click.command("reconcile")
@click.option("--system", "systems", multiple=True, metavar="CODE", help="System to reconcile (repeatable).")
@click.option("--as-of", "as_of", type=MomentType(), help="Moment to reconcile as of (default now).")
@click.option(
    "--import",
    "import_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Account list to import first.",
)
@click.option("--full-list/--partial-list", default=True, show_default=True,
              help="Whether the imported file lists every account of its systems.")  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def reconcile_cmd(
    systems: tuple[str, ...],
    as_of: dt.datetime | None,
    import_file: str | None,
    full_list: bool,
    fmt: str,
    output: str | None,
) -> None:
    """Reconcile accounts against HR and entitlements; print the run and the open findings."""
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record
    from ringfence.core.timeutil import JST
    from ringfence.identity.models import RunTrigger
    from ringfence.identity.services.findings import import_and_reconcile
    from ringfence.identity.services.reconcile import reconcile

    actor = _actor()
    if import_file:
        day = as_of.astimezone(JST).date() if as_of else None
        outcome = import_and_reconcile(Path(import_file), actor=actor, as_of=day, full_list=full_list,
                                       only_system=systems[0] if len(systems) == 1 else None)  # fmt: skip
        run = outcome.reconciliation.run
    else:
        run = reconcile(
            systems=list(systems) or None, as_of=as_of, trigger=RunTrigger.MANUAL, actor=actor
        ).run
    summary = {
        "run": run.pk,
        "as_of": run.as_of.isoformat(),
        "systems": run.systems,
        "accounts": run.accounts,
        "situations": run.situations,
        "opened": run.opened,
        "kept_open": run.kept_open,
        "resolved": run.resolved,
        "open_by_kind": run.open_by_kind,
        "open_by_system": run.open_by_system,
        "seconds": run.seconds,
    }
    if fmt == "text":
        lines = [
            (
                f"run {run.pk}: {run.accounts} accounts of {len(run.systems)} systems as of "
                f"{run.as_of.astimezone(JST):%Y-%m-%d %H:%M} JST in {run.seconds:.2f} s"
            ),
            f"findings opened {run.opened}, still open {run.kept_open}, resolved {run.resolved}",
            *(f"  {kind}: {n}" for kind, n in sorted(run.open_by_kind.items())),
        ]
        _write("\n".join(lines) + "\n", output)
        return
    rows = findings_rows(run.systems)
    record(AuditAction.EXPORT, actor=actor, target_type="identity.findings", target_ref=fmt,
           detail={"run": run.pk, "count": len(rows), "output": output or "stdout"})  # fmt: skip
    if fmt == "json":
        _write(json.dumps({**summary, "findings": rows}, ensure_ascii=False, indent=2) + "\n", output)
    else:
        text = to_csv(rows, FINDING_COLUMNS)
        _write(("\ufeff" + text) if output else text, output)


@click.group("campaign")
def campaign() -> None:
    """Access reviews and company-wide password changes."""


@campaign.command("review")
@click.argument("name")
@click.option("--system", "systems", multiple=True, required=True, metavar="CODE")
@click.option("--due", required=True, help="Due date (YYYY-MM-DD).")
@click.option("--as-of", "as_of", type=MomentType(), help="Accounts as of (default now).")
def review_open(name: str, systems: tuple[str, ...], due: str, as_of: dt.datetime | None) -> None:
    """Open an access review of the systems' personal accounts."""
    from ringfence.identity.services.certification import create_campaign

    c = create_campaign(name, systems, due_on=_day(due), actor=_actor(), as_of=as_of)
    click.echo(f"access review {c.pk} opened: {c.items.count()} accounts, due {c.due_on}")


@campaign.command("remind")
@click.argument("campaign_id", type=int)
def remind(campaign_id: int) -> None:
    """Remind reviewers of overdue items and escalate the long-overdue ones."""
    from ringfence.core.errors import RingfenceError
    from ringfence.identity.models import CertificationCampaign
    from ringfence.identity.services.certification import remind_and_escalate

    c = CertificationCampaign.objects.filter(pk=campaign_id).first()
    if c is None:
        raise RingfenceError(f"no access review {campaign_id}")
    outcome = remind_and_escalate(c)
    click.echo(f"reminded {outcome.reminded}, escalated {outcome.escalated}, mails sent {outcome.mails}")


@campaign.command("password")
@click.argument("name")
@click.option("--system", "systems", multiple=True, required=True, metavar="CODE")
@click.option("--from", "starts", required=True, help="Changes count from this day (YYYY-MM-DD).")
@click.option("--deadline", required=True, help="Deadline (YYYY-MM-DD).")
def password_open(name: str, systems: tuple[str, ...], starts: str, deadline: str) -> None:
    """Start a company-wide password change over the systems."""
    from ringfence.identity.services.passwords import create_password_campaign

    c = create_password_campaign(
        name, systems, starts_on=_day(starts), deadline=_day(deadline), actor=_actor()
    )
    click.echo(f"password change {c.pk} started, deadline {c.deadline}")


@campaign.command("password-report")
@click.argument("campaign_id", type=int)
@click.option("--as-of", "as_of", type=MomentType(), help="Compliance as of (default now).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "xlsx", "pdf"]),
    default="text",
    show_default=True,
)
@click.option("--output", "-o", type=click.Path(dir_okay=False))
def password_report(campaign_id: int, as_of: dt.datetime | None, fmt: str, output: str | None) -> None:
    """Compliance per system and the accounts not changed in time."""
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record
    from ringfence.core.errors import RingfenceError
    from ringfence.identity.models import PasswordCampaign
    from ringfence.identity.reports import password_workbook
    from ringfence.identity.services.passwords import password_compliance

    c = PasswordCampaign.objects.filter(pk=campaign_id).first()
    if c is None:
        raise RingfenceError(f"no password change {campaign_id}")
    report = password_compliance(c, as_of)
    if fmt == "text":
        lines = [
            f"{s.system}: {s.counts['changed']}/{s.total} changed ({s.percent}%)" for s in report.systems
        ]
        lines.append(f"not changed in time: {len(report.not_changed)}")
        _write("\n".join(lines) + "\n", output)
        return
    record(AuditAction.EXPORT, actor=_actor(), target_type="identity.password_campaign", target_ref=str(c.pk),
           detail={"format": fmt, "count": len(report.not_changed), "output": output or "stdout"})  # fmt: skip
    rows = [
        {"system": a.system, "account_id": a.account_id, "owner": a.owner_number, "kind": a.kind,
         "password_changed_at": a.password_changed_at.isoformat() if a.password_changed_at else "", "state": a.state}
        for a in report.not_changed
    ]  # fmt: skip
    if fmt in ("xlsx", "pdf"):
        if not output:
            raise RingfenceError(f"a {fmt} report needs --output FILE")
        from ringfence.identity.pdf import password_pdf

        Path(output).write_bytes(password_workbook(report) if fmt == "xlsx" else password_pdf(report))
    elif fmt == "json":
        systems = [
            {"system": s.system, "total": s.total, "percent": s.percent, **s.counts} for s in report.systems
        ]
        _write(json.dumps({"campaign": c.pk, "systems": systems, "not_changed": rows}, ensure_ascii=False,
                          indent=2) + "\n", output)  # fmt: skip
    else:
        text = to_csv(rows, ["system", "account_id", "owner", "kind", "password_changed_at", "state"])
        _write(("\ufeff" + text) if output else text, output)

"""Excel reports of ID governance: findings, an access review, a password-change campaign.

Workbooks are written with openpyxl in memory (write-only mode, so large lists stay cheap), dates in JST,
headers translated. Cells that start with a formula character are prefixed with a quote so a hostile account
name cannot become a formula in the reader's Excel (CSV/formula injection).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from ringfence.core.timeutil import JST
from ringfence.registry.models import PersonVersion

from .models import CertificationCampaign, CertificationItem, Finding
from .services.certification import UnitCompletion
from .services.passwords import PasswordReport
from .situations import FindingKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value safe and readable in Excel: aware datetimes in JST without tzinfo, formulas neutralised."""
    if isinstance(value, dt.datetime):
        return value.astimezone(JST).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    ws = book.create_sheet(title=title[:31])
    ws.append([str(h) for h in header])
    for row in rows:
        ws.append([cell(v) for v in row])


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An attachment download of a workbook."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """An attachment download of a PDF report."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def person_names(person_ids: Iterable[int | None], at: dt.datetime) -> dict[int, str]:
    """Kanji names of people as of ``at``."""
    ids = [p for p in set(person_ids) if p is not None]
    return dict(
        PersonVersion.objects.as_of(at).filter(entity_id__in=ids).values_list("entity_id", "name_kanji")
    )


def findings_workbook(findings: Sequence[Finding]) -> bytes:
    """Findings with system, account, owner, kind, status, dates and resolution."""
    book = Workbook(write_only=True)
    kinds = dict(FindingKind.choices)
    _sheet(
        book,
        _("Findings"),
        [_("System"), _("Account ID"), _("Owner"), _("Kind"), _("Status"), _("Opened"), _("Due"),
         _("Resolved"), _("Resolution"), _("Responsible unit")],
        (
            (f.system.code, f.account.account_id, f.subject.employee_number if f.subject else "",
             str(kinds.get(f.kind, f.kind)), f.status, f.opened_at, f.due_on, f.resolved_at, f.resolution_label,
             f.owner_unit.code if f.owner_unit else "")
            for f in findings
        ),
    )  # fmt: skip
    return _save(book)


def campaign_workbook(
    campaign: CertificationCampaign, completion: Sequence[UnitCompletion], items: Sequence[CertificationItem]
) -> bytes:
    """An access review: completion per unit, then every item with its decision."""
    book = Workbook(write_only=True)
    _sheet(
        book,
        _("Completion by unit"),
        [_("Unit"), _("Name"), _("Accounts"), _("Reviewed"), _("Revoked"), _("Percent")],
        ((c.unit_code, c.unit_name, c.total, c.decided, c.revoked, c.percent) for c in completion),
    )
    names = person_names([i.subject_id for i in items], campaign.as_of)
    _sheet(
        book,
        _("Accounts"),
        [_("Unit"), _("Employee number"), _("Name"), _("System"), _("Account ID"), _("Privilege"),
         _("Entitled level"), _("Decision"), _("Reason"), _("Decided by"), _("Decided at")],
        (
            (i.unit.code if i.unit else "", i.subject.employee_number, names.get(i.subject_id, ""), i.system.code,
             i.account.account_id, i.privilege, i.entitled, i.decision, i.reason, i.decided_by, i.decided_at)
            for i in items
        ),
    )  # fmt: skip
    return _save(book)


def password_workbook(report: PasswordReport) -> bytes:
    """A password campaign: compliance per system, then the accounts not changed in time."""
    book = Workbook(write_only=True)
    _sheet(
        book,
        _("Compliance by system"),
        [_("System"), _("Accounts"), _("Changed"), _("Late"), _("Not changed"), _("No date"), _("Percent")],
        ((s.system, s.total, s.counts["changed"], s.counts["late"], s.counts["not_changed"], s.counts["no_date"],
          s.percent) for s in report.systems),
    )  # fmt: skip
    _sheet(
        book,
        _("Not changed"),
        [_("System"), _("Account ID"), _("Owner"), _("Kind"), _("Password last changed"), _("State")],
        ((a.system, a.account_id, a.owner_number, a.kind, a.password_changed_at, a.state)
         for a in report.not_changed),
    )  # fmt: skip
    return _save(book)

"""PDF reports of ID governance (findings, an access review, a password change), for filing and audits.

Written with ReportLab in memory. Japanese text uses the Adobe-Japan1 CID font HeiseiKakuGo-W5, which
ReportLab knows without any font file and PDF readers supply themselves: nothing is fetched and nothing is
embedded. Each page carries the report title, when it was made (JST) and its page number.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from ringfence.core.timeutil import JST

from .models import CertificationCampaign, CertificationItem, Finding
from .services.certification import UnitCompletion
from .services.passwords import PasswordReport
from .situations import FindingKind

FONT = "HeiseiKakuGo-W5"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(JST):%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], style: ParagraphStyle) -> LongTable:
    data = [[Paragraph(_escape(h), style) for h in header]]
    data += [[Paragraph(_escape(_text(v)), style) for v in row] for row in rows]
    table = LongTable(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3e8ef")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _escape(text: str) -> str:
    # Paragraph reads a little markup; account names must stay text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _document(title: str, blocks: list[Any]) -> bytes:
    font = _font()
    made = f"{timezone.now().astimezone(JST):%Y-%m-%d %H:%M} JST"
    buffer = io.BytesIO()

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawString(15 * mm, 8 * mm, f"ringfence — {title} — {made}")
        canvas.drawRightString(landscape(A4)[0] - 15 * mm, 8 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), title=title, author="ringfence",
                            leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)  # fmt: skip
    heading = ParagraphStyle("h", fontName=font, fontSize=14, leading=18)
    doc.build([Paragraph(_escape(title), heading), Spacer(1, 4 * mm), *blocks], onFirstPage=decorate,
              onLaterPages=decorate)  # fmt: skip
    return buffer.getvalue()


def _styles() -> tuple[ParagraphStyle, ParagraphStyle]:
    font = _font()
    return (
        ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9),
        ParagraphStyle("h2", fontName=font, fontSize=11, leading=14, spaceBefore=6, spaceAfter=4),
    )


def findings_pdf(findings: Sequence[Finding]) -> bytes:
    """The findings, one row each."""
    cell, _h2 = _styles()
    kinds = dict(FindingKind.choices)
    rows = [
        (f.system.code, f.account.account_id, f.subject.employee_number if f.subject else "",
         str(kinds.get(f.kind, f.kind)), f.get_status_display(), f.opened_at, f.due_on, f.resolved_at,
         f.owner_unit.code if f.owner_unit else "")
        for f in findings
    ]  # fmt: skip
    header = [_("System"), _("Account ID"), _("Owner"), _("Kind"), _("Status"), _("Opened"), _("Due"),
              _("Resolved"), _("Responsible unit")]  # fmt: skip
    return _document(_("ID reconciliation findings"), [_table(header, rows, cell)])


def campaign_pdf(
    campaign: CertificationCampaign, completion: Sequence[UnitCompletion], items: Sequence[CertificationItem]
) -> bytes:
    """An access review: completion by unit, then the revocations with their reasons."""
    cell, h2 = _styles()
    revoked = [i for i in items if i.decision == "revoke"]
    return _document(
        _("Access review: %(name)s") % {"name": campaign.name},
        [
            Paragraph(_escape(_("Completion by unit")), h2),
            _table(
                [_("Unit"), _("Name"), _("Accounts"), _("Reviewed"), _("Revoked"), "%"],
                [(c.unit_code, c.unit_name, c.total, c.decided, c.revoked, c.percent) for c in completion],
                cell,
            ),
            Paragraph(_escape(_("Revocations")), h2),
            _table(
                [
                    _("Unit"),
                    _("Employee number"),
                    _("System"),
                    _("Account ID"),
                    _("Reason"),
                    _("Decided by"),
                    _("Decided at"),
                ],
                [
                    (
                        i.unit.code if i.unit else "",
                        i.subject.employee_number,
                        i.system.code,
                        i.account.account_id,
                        i.reason,
                        i.decided_by,
                        i.decided_at,
                    )
                    for i in revoked
                ],
                cell,
            ),
        ],
    )


def password_pdf(report: PasswordReport) -> bytes:
    """A password change: compliance by system, then the accounts not changed in time."""
    cell, h2 = _styles()
    c = report.campaign
    return _document(
        _("Password change: %(name)s (deadline %(deadline)s)")
        % {"name": c.name, "deadline": c.deadline.isoformat()},
        [
            Paragraph(_escape(_("Compliance by system")), h2),
            _table(
                [_("System"), _("Accounts"), _("Changed"), _("Late"), _("Not changed"), _("No date"), "%"],
                [
                    (
                        s.system,
                        s.total,
                        s.counts["changed"],
                        s.counts["late"],
                        s.counts["not_changed"],
                        s.counts["no_date"],
                        s.percent,
                    )
                    for s in report.systems
                ],
                cell,
            ),
            Paragraph(_escape(_("Accounts not changed in time")), h2),
            _table(
                [_("System"), _("Account ID"), _("Owner"), _("Kind"), _("Password last changed"), _("State")],
                [
                    (a.system, a.account_id, a.owner_number, a.kind, a.password_changed_at, a.state)
                    for a in report.not_changed
                ],
                cell,
            ),
        ],
    )

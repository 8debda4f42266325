"""The campaign report as an A4 PDF: summary of every system, then one section per system with charts.

Japanese text uses the IPAexGothic TrueType font from the matplotlib-fontja package, registered with
ReportLab as a ``TTFont``: the glyphs used are embedded (subset) in the file, so the PDF reads the same
in any viewer on a closed network, without relying on the viewer's CID fonts. Charts are matplotlib PNGs
drawn with the same font.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from ringfence.core.timeutil import JST

from ..labels import CATEGORY_LABELS, conclusion_label, reasons_text
from ..models import CampaignKind, CampaignStatus
from .charts import font_path, system_charts

FONT = "IPAexGothic"
PDF_ROWS = 50  # rows of a listing shown in the PDF; the workbook and JSON carry every listed row
CONCLUSION_COLOURS = {"functioning": "#1e7b34", "not_functioning": "#b42318", "cannot_conclude": "#a15c07"}
_registered = False


def register_font() -> str:
    """Register IPAexGothic with ReportLab once; returns the font name."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont(FONT, str(font_path())))
        _registered = True
    return FONT


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _jst(value: str | None) -> str:
    if not value:
        return "—"
    return f"{dt.datetime.fromisoformat(value).astimezone(JST):%Y-%m-%d %H:%M}"


def _basename(path: str | None) -> str:
    """The file name of a source path (the workbook and JSON keep the full path)."""
    return (path or "").replace("\\", "/").rsplit("/", 1)[-1]


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(value)


class _Styles:
    def __init__(self) -> None:
        font = register_font()
        self.title = ParagraphStyle("title", fontName=font, fontSize=16, leading=21, spaceAfter=6)
        self.h1 = ParagraphStyle("h1", fontName=font, fontSize=13, leading=17, spaceBefore=4, spaceAfter=4)
        self.h2 = ParagraphStyle("h2", fontName=font, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=3)
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=7, leading=8.6)

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(_escape(text), style or self.body)

    def table(
        self, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None
    ) -> LongTable:
        data = [[Paragraph(_escape(h), self.cell) for h in header]]
        data += [[Paragraph(_escape(_cell(v)), self.cell) for v in row] for row in rows]
        table = LongTable(data, repeatRows=1, colWidths=widths)
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


def _image(png: bytes, width_mm: float = 175) -> Image:
    from reportlab.lib.utils import ImageReader

    reader = ImageReader(io.BytesIO(png))
    w, h = reader.getSize()
    width = width_mm * mm
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _summary(s: _Styles, document: dict[str, Any]) -> list[Any]:
    campaign = document["campaign"]
    pin = document.get("pin", {})
    blocks: list[Any] = [
        s.p(campaign["name"], s.title),
        s.p(
            _("Period: %(start)s to %(end)s (JST)")
            % {"start": _jst(campaign["start"]), "end": _jst(campaign["end"])}
        ),
        s.p(
            _("Kind: %(kind)s; status: %(status)s; sign-off due %(due)s")
            % {
                "kind": dict(CampaignKind.choices).get(campaign["kind"], campaign["kind"]),
                "status": dict(CampaignStatus.choices).get(campaign["status"], campaign["status"]),
                "due": campaign["due_on"],
            }
        ),
        s.p(
            _(
                "Registry as known at %(known)s; lake manifest sequence %(seq)s (%(files)s files, %(rows)s events)"
            )
            % {
                "known": _jst(pin.get("known_at")),
                "seq": pin.get("lake_seq", "—"),
                "files": pin.get("files", "—"),
                "rows": f"{pin.get('rows', 0):,}",
            }
        ),
        s.p(_("Figures SHA-256: %(sha)s") % {"sha": campaign.get("figures_sha256") or "—"}),
        Spacer(1, 4 * mm),
        s.p(_("Conclusions by system"), s.h1),
    ]
    rows = []
    for system in document["systems"]:
        figures = system["figures"]
        stats = figures.get("statistics", {})
        effect = figures.get("effectiveness", {})
        info = figures.get("system", {})
        rows.append(
            (
                system["code"],
                info.get("name_ja", ""),
                conclusion_label(system["conclusion"], campaign["kind"]),
                f"{stats.get('events', 0):,}",
                effect.get("impossible_count", "—"),
                effect.get("denied_not_entitled_count", "—"),
                len(figures.get("completeness", {}).get("problems", [])),
                system["reviewed_by"] or "—",
                system["approved_by"] or "—",
            )
        )
    header = [_("System"), _("Name"), _("Conclusion"), _("Events"), _("Should have been impossible"),
              _("Denied, not entitled"), _("Completeness problems"), _("Reviewed by"), _("Approved by")]  # fmt: skip
    blocks.append(
        s.table(
            header, rows, [16 * mm, 40 * mm, 22 * mm, 17 * mm, 20 * mm, 18 * mm, 18 * mm, 16 * mm, 16 * mm]
        )
    )
    return blocks


def _system_section(s: _Styles, system: dict[str, Any], kind: str) -> list[Any]:
    figures = system["figures"]
    info = figures.get("system", {})
    code = system["code"]
    name = info.get("name_ja", code)
    conclusion = system["conclusion"]
    colour = CONCLUSION_COLOURS.get(conclusion, "#333333")
    heading = _("Conclusion: %(c)s") % {"c": conclusion_label(conclusion, kind)}
    blocks: list[Any] = [
        PageBreak(),
        s.p(f"{name}（{code}）", s.h1),
        Paragraph(f'<font color="{colour}">{_escape(heading)}</font>', s.h2),
    ]
    blocks += [s.p("・" + text) for text in reasons_text(system["reasons"])]
    completeness = figures.get("completeness", {})
    blocks.append(s.p(_("1. Log completeness"), s.h2))
    blocks.append(
        s.p(
            _(
                "Lines stored %(stored)s, quarantined %(q)s (%(rate).3f %%); empty working days: %(empty)s; gap hours: %(gaps)s"
            )
            % {
                "stored": f"{completeness.get('lines_stored', 0):,}",
                "q": f"{completeness.get('lines_quarantined', 0):,}",
                "rate": completeness.get("parse_error_ppm", 0) / 10_000,
                "empty": ", ".join(completeness.get("empty_working_days", [])) or "—",
                "gaps": len(completeness.get("gap_hours", [])),
            }
        )
    )
    sources = completeness.get("sources", [])
    if sources:
        blocks.append(
            s.table(
                [_("Log source"), _("Events"), _("Quarantined"), _("Silent days")],
                [
                    (r["source"], f"{r['events']:,}", r["quarantined"], ", ".join(r["silent_days"]) or "—")
                    for r in sources
                ],
            )
        )
    charts = system_charts(code, name, figures)
    stats = figures.get("statistics", {})
    blocks.append(s.p(_("2. Access statistics"), s.h2))
    blocks.append(
        s.p(
            _("Events %(events)s, accounts %(accounts)s, persons %(persons)s")
            % {
                "events": f"{stats.get('events', 0):,}",
                "accounts": stats.get("accounts", 0),
                "persons": stats.get("persons", 0),
            }
        )
    )
    for key in ("daily", "hourly", "employment"):
        if key in charts:
            blocks.append(_image(charts[key], 165 if key != "employment" else 140))
    units = stats.get("by_unit", [])[:10]
    if units:
        blocks.append(s.table([_("Unit"), _("Name"), _("Events"), _("Persons")],
                              [(u["unit"] or "—", u["name"], f"{u['events']:,}", u["persons"]) for u in units]))  # fmt: skip
    effect = figures.get("effectiveness", {})
    blocks.append(s.p(_("3. Access-rights effectiveness"), s.h2))
    blocks.append(
        s.p(
            _(
                "Successful operations checked %(checked)s; should have been impossible %(impossible)s; denied %(denied)s, of which by non-entitled people %(dn)s"
            )
            % {
                "checked": f"{effect.get('successful_checked', 0):,}",
                "impossible": effect.get("impossible_count", 0),
                "denied": effect.get("denied_total", 0),
                "dn": effect.get("denied_not_entitled_count", 0),
            }
        )
    )
    impossible = effect.get("impossible", [])
    if impossible:
        blocks.append(s.p(_("Accesses that should have been impossible"), s.body))
        blocks.append(
            s.table(
                [
                    _("Time"),
                    _("Account"),
                    _("Owner"),
                    _("Activity"),
                    _("Needed"),
                    _("Entitled"),
                    _("Privilege"),
                    _("Why"),
                    _("Terminal"),
                    _("Source line"),
                ],
                [
                    (
                        _jst(r["time"]),
                        r["account"],
                        r["owner"],
                        r["activity"],
                        r["required_level"],
                        r["entitled_level"],
                        r["account_privilege"],
                        str(CATEGORY_LABELS.get(r["category"], r["category"])),
                        r["terminal_tag"] or r["src_ip"],
                        f"{_basename(r['source_file'])}:{r['source_line']}",
                    )
                    for r in impossible[:PDF_ROWS]
                ],
                [mm * w for w in (20, 18, 16, 14, 13, 13, 13, 32, 18, 23)],
            )
        )
    denied = effect.get("denied_not_entitled", [])
    if denied:
        blocks.append(s.p(_("Denied attempts by non-entitled people (the setting works)"), s.body))
        blocks.append(
            s.table(
                [_("Time"), _("Account"), _("Owner"), _("Activity"), _("Terminal")],
                [
                    (
                        _jst(r["time"]),
                        r["account"],
                        r["owner"],
                        r["activity"],
                        r["terminal_tag"] or r["src_ip"],
                    )
                    for r in denied[:20]
                ],
            )
        )
    accounts = figures.get("accounts", {})
    blocks.append(s.p(_("4. Accounts in the logs against the registry"), s.h2))
    blocks.append(
        s.p(
            _("Accounts seen %(seen)s; used but unknown %(unknown)s; registered but unused %(unused)s")
            % {
                "seen": accounts.get("seen", 0),
                "unknown": accounts.get("used_unknown_count", 0),
                "unused": accounts.get("unused_count", 0),
            }
        )
    )
    if accounts.get("used_unknown"):
        blocks.append(s.table([_("Account"), _("Events"), _("First"), _("Last")],
                              [(r["account"], r["events"], _jst(r["first"]), _jst(r["last"])) for r in accounts["used_unknown"][:20]]))  # fmt: skip
    detections = figures.get("detections", [])
    blocks.append(s.p(_("5. Detections of the rule pack, with triage state"), s.h2))
    if detections:
        blocks.append(s.table([_("First event"), _("Rule"), _("Severity"), _("Entity"), _("Events"), _("Status")],
                              [(_jst(d["first_seen"]), d.get("rule_title_ja") or d["rule_title"], d["severity"], d["entity"], d["events"], d["status"])
                               for d in detections[:PDF_ROWS]]))  # fmt: skip
    else:
        blocks.append(s.p(_("No detections.")))
    blocks.append(s.p(_("Findings and sign-off"), s.h2))
    if system["findings"]:
        blocks.append(s.table([_("Finding"), _("Owner"), _("Due"), _("Status"), _("Resolution")],
                              [(f["title"], f["owner"], f["due_on"], f["status"], f["resolution"]) for f in system["findings"]]))  # fmt: skip
    blocks.append(
        s.p(
            _("Reviewed by %(r)s at %(ra)s; approved by %(a)s at %(aa)s")
            % {
                "r": system["reviewed_by"] or "—",
                "ra": _jst(system["reviewed_at"]),
                "a": system["approved_by"] or "—",
                "aa": _jst(system["approved_at"]),
            }
        )
    )
    return blocks


def report_pdf(document: dict[str, Any]) -> bytes:
    """The whole report as PDF bytes."""
    s = _Styles()
    title = document["campaign"]["name"]
    made = f"{timezone.now().astimezone(JST):%Y-%m-%d %H:%M} JST"
    buffer = io.BytesIO()

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(15 * mm, 8 * mm, f"ringfence — {title} — {made}")
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, str(doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="ringfence", leftMargin=15 * mm,
                            rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm)  # fmt: skip
    blocks = _summary(s, document)
    for system in document["systems"]:
        blocks += _system_section(s, system, document["campaign"]["kind"])
    doc.build(blocks, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()

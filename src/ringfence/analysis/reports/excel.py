"""The campaign report as an Excel workbook: a summary sheet, then one sheet per system."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ringfence.core.timeutil import JST

from ..labels import CATEGORY_LABELS, conclusion_label, reasons_text
from ..models import CampaignKind, CampaignStatus

HEADER_FILL = PatternFill("solid", fgColor="E3E8EF")
BOLD = Font(bold=True)


def _jst(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value).astimezone(JST).replace(tzinfo=None)


def _header(ws: Worksheet, row: list[str]) -> None:
    ws.append(row)
    for cell in ws[ws.max_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL


def _title(ws: Worksheet, text: str) -> None:
    ws.append([])
    ws.append([text])
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)


def _summary_sheet(ws: Worksheet, document: dict[str, Any]) -> None:
    campaign = document["campaign"]
    pin = document.get("pin", {})
    ws.title = _("Summary")[:31]
    ws.append([campaign["name"]])
    ws.cell(1, 1).font = Font(bold=True, size=14)
    for label, value in (
        (_("Period start (JST)"), _jst(campaign["start"])),
        (_("Period end (JST)"), _jst(campaign["end"])),
        (_("Kind"), str(dict(CampaignKind.choices).get(campaign["kind"], campaign["kind"]))),
        (_("Status"), str(dict(CampaignStatus.choices).get(campaign["status"], campaign["status"]))),
        (_("Registry as known at (JST)"), _jst(pin.get("known_at"))),
        (_("Lake manifest sequence"), pin.get("lake_seq")),
        (_("Lake files"), pin.get("files")),
        (_("Figures SHA-256"), campaign.get("figures_sha256")),
    ):
        ws.append([label, value])
    ws.append([])
    _header(ws, [_("System"), _("Name"), _("Conclusion"), _("Reasons"), _("Events"), _("Accounts"), _("Persons"),
                 _("Should have been impossible"), _("Denied, not entitled"), _("Used but unknown"),
                 _("Registered but unused"), _("Detections"), _("Reviewed by"), _("Approved by")])  # fmt: skip
    kind = document["campaign"]["kind"]
    for system in document["systems"]:
        f = system["figures"]
        stats, effect, accounts = f.get("statistics", {}), f.get("effectiveness", {}), f.get("accounts", {})
        ws.append([system["code"], f.get("system", {}).get("name_ja", ""), conclusion_label(system["conclusion"], kind),
                   "; ".join(reasons_text(system["reasons"])), stats.get("events"), stats.get("accounts"),
                   stats.get("persons"), effect.get("impossible_count"), effect.get("denied_not_entitled_count"),
                   accounts.get("used_unknown_count"), accounts.get("unused_count"), len(f.get("detections", [])),
                   system["reviewed_by"], system["approved_by"]])  # fmt: skip
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["D"].width = 60


def _system_sheet(ws: Worksheet, system: dict[str, Any], kind: str) -> None:
    f = system["figures"]
    info = f.get("system", {})
    ws.append([f"{info.get('name_ja', '')}（{system['code']}）"])
    ws.cell(1, 1).font = Font(bold=True, size=13)
    ws.append([_("Conclusion"), conclusion_label(system["conclusion"], kind)])
    for text in reasons_text(system["reasons"]):
        ws.append(["", text])
    completeness = f.get("completeness", {})
    _title(ws, _("Log completeness"))
    ws.append(
        [
            _("Lines stored"),
            completeness.get("lines_stored"),
            _("Quarantined"),
            completeness.get("lines_quarantined"),
        ]
    )
    _header(ws, [_("Day"), _("Events")])
    for day, count in completeness.get("events_by_day", []):
        ws.append([day, count])
    _header(ws, [_("Log source"), _("Events"), _("Quarantined"), _("Silent days")])
    for r in completeness.get("sources", []):
        ws.append([r["source"], r["events"], r["quarantined"], ", ".join(r["silent_days"])])
    if completeness.get("gap_hours"):
        ws.append([_("Gap hours"), ", ".join(completeness["gap_hours"])])
    stats = f.get("statistics", {})
    _title(ws, _("Access statistics"))
    ws.append(
        [
            _("Events"),
            stats.get("events"),
            _("Accounts"),
            stats.get("accounts"),
            _("Persons"),
            stats.get("persons"),
        ]
    )
    _header(ws, [_("Hour (JST)"), _("Events")])
    for hour, count in enumerate(stats.get("by_hour", [])):
        ws.append([hour, count])
    _header(ws, [_("Employment type"), _("Events")])
    for kind, count in sorted(stats.get("by_employment_type", {}).items()):
        ws.append([kind, count])
    _header(ws, [_("Unit"), _("Name"), _("Events"), _("Persons")])
    for u in stats.get("by_unit", []):
        ws.append([u["unit"], u["name"], u["events"], u["persons"]])
    effect = f.get("effectiveness", {})
    _title(ws, _("Accesses that should have been impossible"))
    _header(ws, [_("Time (JST)"), _("Account"), _("Owner"), _("Employment type"), _("Activity"), _("Needed"),
                 _("Entitled"), _("Privilege"), _("Why"), _("Terminal"), _("Source address"), _("Source file"),
                 _("Line"), _("Event ID")])  # fmt: skip
    for r in effect.get("impossible", []):
        ws.append([_jst(r["time"]), r["account"], r["owner"], r["person_employment_type"], r["activity"],
                   r["required_level"], r["entitled_level"], r["account_privilege"],
                   str(CATEGORY_LABELS.get(r["category"], r["category"])), r["terminal_tag"], r["src_ip"],
                   r["source_file"], r["source_line"], r["event_id"]])  # fmt: skip
    _title(ws, _("Denied attempts by non-entitled people"))
    _header(ws, [_("Time (JST)"), _("Account"), _("Owner"), _("Activity"), _("Terminal"), _("Event ID")])
    for r in effect.get("denied_not_entitled", []):
        ws.append(
            [
                _jst(r["time"]),
                r["account"],
                r["owner"],
                r["activity"],
                r["terminal_tag"] or r["src_ip"],
                r["event_id"],
            ]
        )
    accounts = f.get("accounts", {})
    _title(ws, _("Accounts used but unknown to the registry"))
    _header(ws, [_("Account"), _("Events"), _("First (JST)"), _("Last (JST)")])
    for r in accounts.get("used_unknown", []):
        ws.append([r["account"], r["events"], _jst(r["first"]), _jst(r["last"])])
    _title(ws, _("Accounts registered but unused"))
    _header(ws, [_("Account"), _("Kind"), _("Owner")])
    for r in accounts.get("unused", []):
        ws.append([r["account"], r["kind"], r["owner"]])
    _title(ws, _("Detections"))
    _header(ws, [_("First event (JST)"), _("Rule"), _("Severity"), _("Entity"), _("Events"), _("Status")])
    for d in f.get("detections", []):
        ws.append(
            [
                _jst(d["first_seen"]),
                d.get("rule_title_ja") or d["rule_title"],
                d["severity"],
                d["entity"],
                d["events"],
                d["status"],
            ]
        )
    _title(ws, _("Findings"))
    _header(ws, [_("Finding"), _("Owner"), _("Due"), _("Status"), _("Resolution")])
    for item in system["findings"]:
        ws.append([item["title"], item["owner"], item["due_on"], item["status"], item["resolution"]])
    ws.append([])
    ws.append([_("Reviewed by"), system["reviewed_by"], _jst(system["reviewed_at"])])
    ws.append([_("Approved by"), system["approved_by"], _jst(system["approved_at"])])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 40


def report_workbook(document: dict[str, Any]) -> bytes:
    """Summary sheet plus one sheet per system (named by system code)."""
    workbook = Workbook()
    summary = workbook.active
    assert isinstance(summary, Worksheet)
    _summary_sheet(summary, document)
    for system in document["systems"]:
        _system_sheet(workbook.create_sheet(system["code"][:31]), system, document["campaign"]["kind"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

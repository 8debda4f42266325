"""The report of a campaign as one JSON document: what the PDF, the workbook and the JSON export show.

A frozen campaign's report is the stored ``frozen_report`` (byte for byte what was approved, its SHA-256
in ``report_sha256``); an unfrozen one is built from the current records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models import Campaign, CampaignSystem

REPORT_FORMAT = 1


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


def _system_part(cs: CampaignSystem, figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": cs.system.code,
        "conclusion": cs.conclusion,
        "reasons": cs.reasons,
        "reviewer": cs.reviewer,
        "approver": cs.approver,
        "reviewed_by": cs.reviewed_by,
        "reviewed_at": _iso(cs.reviewed_at),
        "review_note": cs.review_note,
        "approved_by": cs.approved_by,
        "approved_at": _iso(cs.approved_at),
        "approval_note": cs.approval_note,
        "findings": [
            {
                "id": f.pk,
                "title": f.title,
                "detail": f.detail,
                "owner": f.owner,
                "due_on": _iso(f.due_on),
                "status": f.status,
                "closed_at": _iso(f.closed_at),
                "resolution": f.resolution,
            }
            for f in cs.findings.order_by("pk")
        ],
        "figures": figures.get("systems", {}).get(cs.system.code, {}),
    }


def report_document(campaign: Campaign) -> dict[str, Any]:
    """The whole report; for a frozen campaign exactly the approved document."""
    if campaign.frozen and campaign.frozen_report:
        return campaign.frozen_report
    figures = campaign.figures or {}
    return {
        "format": REPORT_FORMAT,
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "kind": campaign.kind,
            "start": _iso(campaign.start),
            "end": _iso(campaign.end),
            "due_on": _iso(campaign.due_on),
            "status": campaign.status,
            "go_live_system": campaign.go_live_system,
            "created_by": campaign.created_by,
            "computed_at": _iso(campaign.computed_at),
            "approved_at": _iso(campaign.approved_at),
            "figures_sha256": campaign.figures_sha256,
        },
        "pin": figures.get("pin", {}),
        "period": figures.get("period", {}),
        "systems": [
            _system_part(cs, figures)
            for cs in campaign.systems.select_related("system").order_by("system__code")
        ],
    }

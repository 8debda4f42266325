"""Reads of the analysis pages: which campaigns and systems a reader may see (system owners: their own)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from ringfence.authz.roles import Perm
from ringfence.authz.services import Access

from .models import Campaign, CampaignSystem, FindingStatus


def visible_systems(access: Access, campaign: Campaign) -> QuerySet[CampaignSystem]:
    """The campaign's systems the reader reaches (everything, or the systems a system owner answers for)."""
    rows = campaign.systems.select_related("system").order_by("system__code")
    if access.scope.everything:
        return rows
    return rows.filter(system_id__in=access.scope.system_ids)


def visible_campaigns(access: Access) -> QuerySet[Campaign]:
    """Campaigns with at least one system the reader reaches."""
    campaigns = Campaign.objects.all()
    if access.scope.everything:
        return campaigns
    return campaigns.filter(systems__system_id__in=access.scope.system_ids).distinct()


def campaign_tally(campaign: Campaign, rows: QuerySet[CampaignSystem]) -> dict[str, Any]:
    """Counts for a campaign row: systems per conclusion, signed, open findings."""
    rows_list = list(rows)
    return {
        "conclusions": Counter(cs.conclusion or "" for cs in rows_list),
        "systems": len(rows_list),
        "reviewed": sum(1 for cs in rows_list if cs.reviewed_at),
        "approved": sum(1 for cs in rows_list if cs.approved_at),
        "open_findings": sum(cs.findings.filter(status=FindingStatus.OPEN).count() for cs in rows_list),
    }


def manages(access: Access) -> bool:
    """Whether the reader creates and computes campaigns."""
    return access.can(Perm.ANALYSIS_MANAGE)

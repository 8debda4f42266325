"""Reads of ID governance, each within the reader's scope.

Scope follows the registry's: unscoped roles (conduct office, auditors, analysts, administrators) see
everything; a system owner sees the findings of their systems; a line manager sees the review items of the
staff of their units (and the units below).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ringfence.authz.roles import AppRole
from ringfence.authz.services import Access
from ringfence.core.timeutil import JST

from .models import CertificationCampaign, CertificationItem, Finding, FindingStatus, ReconciliationRun

MANAGING_ROLES = frozenset({AppRole.ADMIN, AppRole.CONDUCT_OFFICER})


def manages(access: Access) -> bool:
    """Whether the reader runs ID governance (opens campaigns, reconciles any system)."""
    return bool(access.roles & MANAGING_ROLES)


def may_work_system(access: Access, system_pk: int) -> bool:
    """Whether the reader may upload account lists and work findings of a system."""
    if manages(access):
        return True
    return AppRole.SYSTEM_OWNER in access.roles and system_pk in access.scope.system_ids


def visible_findings(access: Access) -> QuerySet[Finding]:
    """Findings the reader may see."""
    qs = Finding.objects.select_related("system", "account", "subject", "owner_unit")
    if access.scope.everything:
        return qs
    return qs.filter(system_id__in=access.scope.system_ids)


def filter_findings(qs: QuerySet[Finding], *, status: str = "", kind: str = "", system: str = "",
                    overdue: bool = False) -> QuerySet[Finding]:  # fmt: skip
    """Findings narrowed by status, kind, system code and overdue."""
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if system:
        qs = qs.filter(system__code=system)
    if overdue:
        today = timezone.now().astimezone(JST).date()
        qs = qs.filter(status=FindingStatus.OPEN, due_on__lt=today)
    return qs


def open_counts(qs: QuerySet[Finding]) -> list[dict[str, Any]]:
    """Open findings per system and kind."""
    rows: Any = (
        qs.filter(status=FindingStatus.OPEN)
        .values("system__code", "kind")
        .annotate(n=Count("id"))
        .order_by("system__code", "kind")
    )
    return list(rows)


def overdue_count(qs: QuerySet[Finding]) -> int:
    """Open findings past their due date."""
    today = timezone.now().astimezone(JST).date()
    return qs.filter(status=FindingStatus.OPEN, due_on__lt=today).count()


def recent_runs(limit: int = 20) -> list[ReconciliationRun]:
    """The latest runs, newest first (the trend of open findings)."""
    return list(ReconciliationRun.objects.order_by("-started_at")[:limit])


def reviewable_items(access: Access, campaign: CertificationCampaign) -> QuerySet[CertificationItem]:
    """Items of a campaign the reader may see: everything for unscoped roles, else their units' staff."""
    qs = campaign.items.select_related("account", "system", "subject", "unit")
    if access.scope.everything:
        return qs
    return qs.filter(unit_id__in=access.scope.unit_ids)


def may_decide(access: Access, item: CertificationItem) -> bool:
    """Line managers decide for the staff of their units; administrators may stand in, and the
    conduct-regulation office decides for people no line manager answers for."""
    if AppRole.ADMIN in access.roles:
        return True
    if item.reviewer_id is None:
        # Nobody above the owner answers for them (a unit without a manager, the top manager's own
        # accounts, staff with no unit): the office decides, so no one reviews their own access.
        return manages(access)
    return AppRole.LINE_MANAGER in access.roles and item.unit_id in access.scope.unit_ids


def campaign_totals(campaign: CertificationCampaign) -> dict[str, int]:
    """Items, decided, kept and revoked in a campaign."""
    return campaign.items.aggregate(
        total=Count("id"),
        decided=Count("id", filter=~Q(decision="pending")),
        kept=Count("id", filter=Q(decision="keep")),
        revoked=Count("id", filter=Q(decision="revoke")),
    )

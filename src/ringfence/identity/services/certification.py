"""Access certification: line managers keep or revoke their staff's accounts, system by system.

A campaign takes every active personal account of the chosen systems as of a date; each becomes an item
for the line manager of the owner's unit (never the owner themself: a manager's own accounts go to the
manager above). A revocation becomes a finding for the system owner, which closes when a later
reconciliation shows the account disabled or deleted. Overdue items are reminded, then escalated to the
manager above.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST
from ringfence.registry.models import (
    AccountVersion,
    InformationSystem,
    OrgUnitVersion,
    PersonVersion,
    SystemVersion,
    UnitResponsibility,
)

from ..models import (
    CampaignStatus,
    CertificationCampaign,
    CertificationItem,
    Decision,
    Finding,
    FindingSource,
    FindingStatus,
)
from ..situations import ACTIVE_STATUSES, FindingKind, Policy
from .reconcile import load_entitled_levels


class Managers:
    """Line managers and the unit tree as of one moment, to route items and escalate them."""

    def __init__(self, at: dt.datetime) -> None:
        self.manager: dict[int, int] = {}
        for unit_pk, person_pk in (
            UnitResponsibility.objects.as_of(at)
            .filter(role="line_manager")
            .values_list("unit_id", "person_id")
        ):
            self.manager.setdefault(unit_pk, person_pk)
        self.parent = dict(OrgUnitVersion.objects.as_of(at).values_list("entity_id", "parent_id"))

    def reviewer_for(self, unit_pk: int | None, subject_pk: int) -> int | None:
        """The nearest line manager at or above ``unit_pk`` who is not the subject."""
        seen: set[int] = set()
        while unit_pk is not None and unit_pk not in seen:
            seen.add(unit_pk)
            manager = self.manager.get(unit_pk)
            if manager is not None and manager != subject_pk:
                return manager
            unit_pk = self.parent.get(unit_pk)
        return None

    def above(self, unit_pk: int | None, current: int | None) -> int | None:
        """The next manager up from the one currently responsible for ``unit_pk``."""
        seen: set[int] = set()
        passed = current is None
        while unit_pk is not None and unit_pk not in seen:
            seen.add(unit_pk)
            manager = self.manager.get(unit_pk)
            if manager is not None and passed and manager != current:
                return manager
            if manager == current:
                passed = True
            unit_pk = self.parent.get(unit_pk)
        return None


def create_campaign(
    name: str,
    systems: Iterable[str],
    *,
    due_on: dt.date,
    actor: str,
    as_of: dt.datetime | None = None,
    escalate_after_days: int = 7,
) -> CertificationCampaign:
    """Open a campaign over the active personal accounts of ``systems`` as of ``as_of`` (default now)."""
    at = as_of or timezone.now()
    codes = sorted(set(systems))
    if not name.strip():
        raise RingfenceError(_("a campaign needs a name"))
    system_objs = list(InformationSystem.objects.filter(code__in=codes))
    if not codes or len(system_objs) != len(codes):
        missing = sorted(set(codes) - {s.code for s in system_objs})
        raise RingfenceError(_("unknown or no systems: %(codes)s") % {"codes": ", ".join(missing) or "-"})
    system_pks = [s.pk for s in system_objs]
    accounts = list(
        AccountVersion.objects.as_of(at)
        .filter(entity__system_id__in=system_pks, kind="personal", status__in=ACTIVE_STATUSES, owner__isnull=False)
        .values_list("entity_id", "entity__system_id", "owner_id", "privilege")
    )  # fmt: skip
    units = dict(PersonVersion.objects.as_of(at).values_list("entity_id", "unit_id"))
    entitled = load_entitled_levels(system_pks, at)
    managers = Managers(at)
    with transaction.atomic():
        campaign = CertificationCampaign.objects.create(
            name=name.strip(),
            as_of=at,
            due_on=due_on,
            escalate_after_days=escalate_after_days,
            created_by=actor,
        )
        campaign.systems.set(system_objs)
        items = []
        for account_pk, system_pk, owner_pk, privilege in accounts:
            unit_pk = units.get(owner_pk)
            items.append(
                CertificationItem(
                    campaign=campaign,
                    account_id=account_pk,
                    system_id=system_pk,
                    subject_id=owner_pk,
                    unit_id=unit_pk,
                    reviewer_id=managers.reviewer_for(unit_pk, owner_pk),
                    privilege=privilege,
                    entitled=entitled.get((owner_pk, system_pk), ""),
                )
            )
        CertificationItem.objects.bulk_create(items, batch_size=2000)
        record(
            AuditAction.CREATE,
            actor=actor,
            target_type="identity.certification",
            target_ref=str(campaign.pk),
            detail={
                "name": campaign.name,
                "systems": codes,
                "items": len(items),
                "due_on": due_on.isoformat(),
            },
        )
    return campaign


def decide(item: CertificationItem, decision: str, reason: str, *, actor: str) -> CertificationItem:
    """Record a reviewer's keep or revoke; a revocation needs a reason and opens a finding."""
    reason = reason.strip()
    if decision not in (Decision.KEEP, Decision.REVOKE):
        raise RingfenceError(_("the decision must be keep or revoke"))
    if decision == Decision.REVOKE and not reason:
        raise RingfenceError(_("a revocation needs a reason"))
    with transaction.atomic():
        item = CertificationItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
        if item.campaign.status != CampaignStatus.OPEN:
            raise RingfenceError(_("the campaign is closed"))
        if item.decision != Decision.PENDING:
            raise RingfenceError(_("this account has already been reviewed"))
        now = timezone.now()
        item.decision, item.reason, item.decided_by, item.decided_at = decision, reason[:2000], actor, now
        if decision == Decision.REVOKE:
            item.finding = _revocation_finding(item, now)
        item.save()
        record(
            AuditAction.CHANGE,
            actor=actor,
            target_type="identity.certification_item",
            target_ref=str(item.pk),
            detail={"campaign": item.campaign_id, "decision": decision, "reason": item.reason,
                    "finding": item.finding_id},
        )  # fmt: skip
    return item


def _revocation_finding(item: CertificationItem, now: dt.datetime) -> Finding:
    owner_unit = (
        SystemVersion.objects.as_of(now)
        .filter(entity_id=item.system_id)
        .values_list("owner_unit_id", flat=True)
        .first()
    )
    existing = Finding.objects.filter(
        account_id=item.account_id, kind=FindingKind.REVOCATION_REQUESTED, status=FindingStatus.OPEN
    ).first()
    if existing is not None:
        return existing
    return Finding.objects.create(
        system_id=item.system_id,
        account_id=item.account_id,
        kind=FindingKind.REVOCATION_REQUESTED,
        source=FindingSource.CERTIFICATION,
        owner_unit_id=owner_unit,
        subject_id=item.subject_id,
        detail={"campaign": item.campaign_id, "item": item.pk, "reason": item.reason},
        due_on=now.astimezone(JST).date()
        + dt.timedelta(days=Policy().due_after(FindingKind.REVOCATION_REQUESTED)),
    )


@dataclass(frozen=True)
class ReminderOutcome:
    """What one reminder round did."""

    reminded: int
    escalated: int
    mails: int


def remind_and_escalate(campaign: CertificationCampaign, *, today: dt.date | None = None) -> ReminderOutcome:
    """Remind reviewers of overdue items; escalate items overdue by ``escalate_after_days`` to the manager above.

    One mail per person, listing how many accounts wait for them. Reminding twice on one day sends nothing
    the second time.
    """
    today = today or timezone.now().astimezone(JST).date()
    if campaign.status != CampaignStatus.OPEN or today <= campaign.due_on:
        return ReminderOutcome(0, 0, 0)
    now = timezone.now()
    managers = Managers(now)
    pending = list(campaign.items.filter(decision=Decision.PENDING))
    escalate = today > campaign.due_on + dt.timedelta(days=campaign.escalate_after_days)
    waiting: dict[int, int] = defaultdict(int)
    reminded = escalated = 0
    with transaction.atomic():
        for item in pending:
            if item.last_reminded_on == today:
                continue
            responsible = item.escalated_to_id or item.reviewer_id
            if escalate and item.escalated_at is None:
                upper = managers.above(item.unit_id, item.reviewer_id)
                if upper is not None:
                    item.escalated_to_id, item.escalated_at = upper, now
                    responsible = upper
                    escalated += 1
            item.reminders_sent += 1
            item.last_reminded_on = today
            item.save(update_fields=["reminders_sent", "last_reminded_on", "escalated_to", "escalated_at"])
            reminded += 1
            if responsible is not None:
                waiting[responsible] += 1
        record(
            AuditAction.JOB,
            actor="system:certification-reminders",
            target_type="identity.certification",
            target_ref=str(campaign.pk),
            detail={"reminded": reminded, "escalated": escalated, "reviewers": len(waiting)},
        )
    emails = dict(
        PersonVersion.objects.as_of(now).filter(entity_id__in=list(waiting)).values_list("entity_id", "email")
    )
    mails = 0
    for person_pk, count in sorted(waiting.items()):
        address = emails.get(person_pk)
        if not address:
            continue
        subject = _("[ringfence] Access review overdue: %(name)s") % {"name": campaign.name}
        body = _(
            "%(count)d account(s) of your staff wait for your review in the access review “%(name)s”, "
            "which was due on %(due)s. Please keep or revoke each of them in ringfence."
        ) % {"count": count, "name": campaign.name, "due": campaign.due_on.isoformat()}
        mails += send_mail(subject, body, None, [address], fail_silently=False)
    return ReminderOutcome(reminded, escalated, mails)


@dataclass(frozen=True)
class UnitCompletion:
    """Progress of one unit in a campaign."""

    unit_pk: int | None
    unit_code: str
    unit_name: str
    total: int
    decided: int
    revoked: int

    @property
    def percent(self) -> int:
        """Share of the unit's items decided, rounded down."""
        return 100 * self.decided // self.total if self.total else 100


def completion_by_unit(
    campaign: CertificationCampaign, unit_ids: Iterable[int] | None = None
) -> list[UnitCompletion]:
    """Items, decisions and revocations per unit of the staff reviewed (optionally only some units)."""
    items = campaign.items.all()
    if unit_ids is not None:
        items = items.filter(unit_id__in=list(unit_ids))
    rows = (
        items.values("unit_id", "unit__code")
        .annotate(
            total=Count("id"),
            decided=Count("id", filter=~Q(decision=Decision.PENDING)),
            revoked=Count("id", filter=Q(decision=Decision.REVOKE)),
        )
        .order_by("unit__code")
    )
    names = dict(OrgUnitVersion.objects.as_of(campaign.as_of).values_list("entity_id", "name"))
    return [
        UnitCompletion(
            r["unit_id"],
            r["unit__code"] or "—",
            names.get(r["unit_id"], ""),
            r["total"],
            r["decided"],
            r["revoked"],
        )
        for r in rows
    ]


def close_campaign(campaign: CertificationCampaign, *, actor: str) -> CertificationCampaign:
    """Close a campaign: no more decisions; pending items stay pending in the report."""
    with transaction.atomic():
        campaign.status, campaign.closed_at = CampaignStatus.CLOSED, timezone.now()
        campaign.save(update_fields=["status", "closed_at"])
        record(AuditAction.CHANGE, actor=actor, target_type="identity.certification", target_ref=str(campaign.pk),
               detail={"status": "closed", "pending": campaign.items.filter(decision=Decision.PENDING).count()})  # fmt: skip
    return campaign

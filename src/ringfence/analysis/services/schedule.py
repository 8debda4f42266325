"""Campaigns nobody has to remember: the semi-annual analysis, go-live verification, reminders.

* Every ``RINGFENCE_ANALYSIS_EVERY_MONTHS`` months (default 6; months counted from January) the scheduler
  creates a periodic campaign over the previous full week and computes it.
* A system registered with a go-live date gets a verification campaign over its first
  ``RINGFENCE_ANALYSIS_GO_LIVE_DAYS`` days (default 14), created when the system version is saved and
  computed once the period is over (a daily job also catches systems whose go-live passed without one).
* Campaigns not approved by their due date are reminded daily (audit record, e-mail to the responsible
  reviewers and approvers who have an address) and escalated once a week late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.registry.models import InformationSystem, SystemVersion

from ..models import Campaign, CampaignKind, CampaignStatus
from .campaigns import TARGET, create_campaign, previous_full_week, run_campaign

ACTOR = "system:analysis"
ESCALATE_AFTER_DAYS = 7


def every_months() -> int:
    """Months between periodic campaigns (setting ``RINGFENCE_ANALYSIS_EVERY_MONTHS``, default 6)."""
    return max(1, int(getattr(settings, "RINGFENCE_ANALYSIS_EVERY_MONTHS", 6)))


def go_live_days() -> int:
    """Days after go-live a verification covers (setting ``RINGFENCE_ANALYSIS_GO_LIVE_DAYS``, default 14)."""
    return max(1, int(getattr(settings, "RINGFENCE_ANALYSIS_GO_LIVE_DAYS", 14)))


def periodic_due(today: dt.date) -> bool:
    """Whether ``today`` starts a campaign month (the first day of every N-th month from January)."""
    return today.day == 1 and (today.month - 1) % every_months() == 0


def create_periodic_campaign(today: dt.date | None = None, *, compute: bool = True) -> Campaign | None:
    """The periodic campaign of ``today``'s cycle over the previous full week (None if it already exists)."""
    today = today or timezone.now().astimezone(JST).date()
    start, end = previous_full_week(today)
    if Campaign.objects.filter(kind=CampaignKind.PERIODIC, start=start, end=end, created_by=ACTOR).exists():
        return None
    name = _("Periodic access-log analysis %(start)s to %(end)s") % {
        "start": start.astimezone(JST).date().isoformat(),
        "end": (end.astimezone(JST).date() - dt.timedelta(days=1)).isoformat(),
    }
    campaign = create_campaign(name=name, start=start, end=end, actor=ACTOR)
    if compute:
        run_campaign(campaign, actor=ACTOR)
    return campaign


def _go_live_of(code: str) -> dt.date | None:
    version = (
        SystemVersion.objects.filter(entity__code=code, go_live__isnull=False)
        .order_by("-recorded_at")
        .first()
    )
    return version.go_live if version else None


def create_go_live_campaign(
    code: str,
    *,
    actor: str,
    reviewers: Mapping[str, str] | None = None,
    approvers: Mapping[str, str] | None = None,
) -> Campaign:
    """The verification campaign of system ``code`` over its first N days after go-live (one per system)."""
    existing = Campaign.objects.filter(kind=CampaignKind.GO_LIVE, go_live_system=code).first()
    if existing is not None:
        return existing
    if not InformationSystem.objects.filter(code=code).exists():
        raise RingfenceError(_("unknown system code(s): %(codes)s") % {"codes": code})
    go_live = _go_live_of(code)
    if go_live is None:
        raise RingfenceError(_("system %(code)s has no go-live date") % {"code": code})
    start = start_of_day_jst(go_live)
    end = start + dt.timedelta(days=go_live_days())
    return create_campaign(
        name=_("Go-live verification of %(code)s (%(day)s)") % {"code": code, "day": go_live.isoformat()},
        start=start,
        end=end,
        actor=actor,
        kind=CampaignKind.GO_LIVE,
        systems=[code],
        reviewers=reviewers,
        approvers=approvers,
        go_live_system=code,
    )


def go_live_candidates(today: dt.date) -> list[str]:
    """Systems with a go-live date no earlier than N days before ``today`` and no verification campaign yet."""
    earliest = today - dt.timedelta(days=go_live_days())
    codes = set(
        SystemVersion.objects.filter(go_live__gte=earliest, valid_to__isnull=True).values_list(
            "entity__code", flat=True
        )
    )
    done = set(Campaign.objects.filter(kind=CampaignKind.GO_LIVE).values_list("go_live_system", flat=True))
    return sorted(codes - done)


def daily(today: dt.date | None = None) -> dict[str, int]:
    """The daily job: periodic campaign when due, go-live campaigns created and computed, reminders."""
    today = today or timezone.now().astimezone(JST).date()
    created = 0
    if periodic_due(today) and create_periodic_campaign(today) is not None:
        created += 1
    for code in go_live_candidates(today):
        create_go_live_campaign(code, actor=ACTOR)
        created += 1
    computed = 0
    now = start_of_day_jst(today)
    for campaign in Campaign.objects.filter(
        kind=CampaignKind.GO_LIVE, status=CampaignStatus.PLANNED, end__lte=now
    ):
        run_campaign(campaign, actor=ACTOR)
        computed += 1
    reminded = remind_late(today)
    return {
        "created": created,
        "computed": computed,
        "reminded": reminded.reminded,
        "escalated": reminded.escalated,
    }


@dataclass(frozen=True)
class Reminders:
    """What a reminder run did."""

    reminded: int
    escalated: int
    mails: int


def remind_late(today: dt.date | None = None) -> Reminders:
    """Remind the responsible people of campaigns past due and not approved; escalate a week late.

    Reminding twice on one day does nothing. Each reminder and escalation is an audit record; e-mail goes
    to those responsible who have an address (and, on escalation, to the staff of the approving roles).
    """
    today = today or timezone.now().astimezone(JST).date()
    reminded = escalated = mails = 0
    late = Campaign.objects.filter(due_on__lt=today).exclude(status=CampaignStatus.APPROVED)
    for campaign in late.prefetch_related("systems"):
        if campaign.last_reminder_on == today:
            continue
        waiting = [cs for cs in campaign.systems.select_related("system") if cs.approved_at is None]
        people = sorted({name for cs in waiting for name in (cs.reviewer, cs.approver) if name})
        escalate = campaign.escalated_at is None and (today - campaign.due_on).days >= ESCALATE_AFTER_DAYS
        days_late = (today - campaign.due_on).days
        subject = _("Analysis campaign %(name)s is %(days)d days late") % {
            "name": campaign.name,
            "days": days_late,
        }
        body = _("Systems waiting for sign-off: %(systems)s") % {
            "systems": ", ".join(cs.system.code for cs in waiting)
        }
        addresses = list(
            get_user_model()
            .objects.filter(username__in=people)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if addresses:
            mails += send_mail(subject, body, None, addresses, fail_silently=True)
        campaign.reminders_sent += 1
        campaign.last_reminder_on = today
        fields = ["reminders_sent", "last_reminder_on"]
        if escalate:
            campaign.escalated_at = timezone.now()
            fields.append("escalated_at")
            escalated += 1
        campaign.save(update_fields=fields)
        record(
            AuditAction.JOB,
            actor=ACTOR,
            target_type=TARGET,
            target_ref=str(campaign.pk),
            detail={"step": "escalated" if escalate else "reminded", "days_late": days_late, "to": people,
                    "waiting": [cs.system.code for cs in waiting]},
        )  # fmt: skip
        reminded += 1
    return Reminders(reminded, escalated, mails)

"""Campaigns nobody has to remember: go-live verification from the registry, the semi-annual campaign, and
reminders and escalation of late sign-off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from ringfence.analysis.labels import conclusion_label
from ringfence.analysis.models import Campaign, CampaignKind, CampaignStatus, Conclusion
from ringfence.analysis.services.campaigns import create_campaign
from ringfence.analysis.services.schedule import daily, periodic_due, remind_late
from ringfence.audit.models import AuditEvent
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.registry.models import InformationSystem, SystemVersion

pytestmark = pytest.mark.django_db

LONG_AGO = start_of_day_jst(dt.date(2020, 4, 1))


def _system(code: str, *, go_live: dt.date | None = None, non_public: bool = True) -> SystemVersion:
    system = InformationSystem.objects.create(code=code)
    return SystemVersion.objects.create(entity=system, name_ja=f"{code}システム", holds_non_public=non_public,
                                        go_live=go_live, valid_from=LONG_AGO)  # fmt: skip


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.now().astimezone(JST).date()


def test_registering_a_go_live_date_creates_the_verification(
    data_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _system("OLD", go_live=dt.date(2015, 4, 1))  # long in service: nothing to verify
        _system("NEW", go_live=_today() + dt.timedelta(days=3))
    campaign = Campaign.objects.get()
    assert campaign.kind == CampaignKind.GO_LIVE and campaign.go_live_system == "NEW"
    assert campaign.start == start_of_day_jst(_today() + dt.timedelta(days=3))
    assert campaign.end - campaign.start == dt.timedelta(days=14)
    assert list(campaign.systems.values_list("system__code", flat=True)) == ["NEW"]
    assert campaign.status == CampaignStatus.PLANNED
    # Saving the system again (a new version) creates no second campaign.
    with django_capture_on_commit_callbacks(execute=True):
        SystemVersion.objects.create(entity=campaign.systems.get().system, name_ja="新", go_live=_today() + dt.timedelta(days=3),
                                     valid_from=LONG_AGO + dt.timedelta(days=1))  # fmt: skip
    assert Campaign.objects.count() == 1


def test_daily_job_computes_finished_go_live_and_creates_periodic(data_dir: Path, settings: Any) -> None:
    settings.RINGFENCE_ANALYSIS_EVERY_MONTHS = 6
    today = dt.date(2027, 1, 1)
    _system("GOL", go_live=today - dt.timedelta(days=14))
    _system("OFFICE", non_public=False)
    outcome = daily(today)
    assert outcome["created"] == 2 and outcome["computed"] == 1
    go_live = Campaign.objects.get(kind=CampaignKind.GO_LIVE)
    assert go_live.status == CampaignStatus.COMPUTED
    # No logs at all in its first days: the verification says so instead of "works as designed".
    assert go_live.systems.get().conclusion == Conclusion.CANNOT_CONCLUDE
    # When it does conclude, a verification says so explicitly.
    assert conclusion_label(Conclusion.FUNCTIONING, go_live.kind) == "Access restrictions work as designed"
    assert conclusion_label(Conclusion.FUNCTIONING, CampaignKind.PERIODIC) == "Functioning"
    periodic = Campaign.objects.get(kind=CampaignKind.PERIODIC)
    assert periodic.start == start_of_day_jst(dt.date(2026, 12, 21))  # Monday of the previous full week
    assert periodic.end == start_of_day_jst(dt.date(2026, 12, 28))
    assert list(periodic.systems.values_list("system__code", flat=True)) == ["GOL"]  # non-public only
    assert daily(today)["created"] == 0  # idempotent on the same day
    assert [periodic_due(dt.date(2027, m, 1)) for m in (1, 2, 6, 7, 12)] == [True, False, False, True, False]
    settings.RINGFENCE_ANALYSIS_EVERY_MONTHS = 3
    assert [periodic_due(dt.date(2027, m, 1)) for m in (1, 4, 5, 10)] == [True, True, False, True]


def test_late_sign_off_is_reminded_then_escalated(data_dir: Path, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _system("LATE")
    User.objects.create_user("rev", email="rev@example.jp")
    User.objects.create_user("boss", email="")
    start = start_of_day_jst(dt.date(2026, 10, 19))
    campaign = create_campaign(name="遅延", start=start, end=start + dt.timedelta(days=7), actor="test",
                               due_on=dt.date(2026, 11, 30), reviewers={"*": "rev"}, approvers={"*": "boss"})  # fmt: skip
    assert remind_late(dt.date(2026, 11, 30)).reminded == 0  # not late yet
    first = remind_late(dt.date(2026, 12, 1))
    assert (first.reminded, first.escalated, first.mails) == (1, 0, 1)
    assert mail.outbox[0].to == ["rev@example.jp"] and "LATE" in mail.outbox[0].body
    assert remind_late(dt.date(2026, 12, 1)).reminded == 0  # once a day
    week_late = remind_late(dt.date(2026, 12, 7))
    assert (week_late.reminded, week_late.escalated) == (1, 1)
    assert remind_late(dt.date(2026, 12, 8)).escalated == 0  # escalated once
    steps = list(AuditEvent.objects.filter(target_type="analysis.campaign", target_ref=str(campaign.pk),
                                           action="job").order_by("pk").values_list("detail__step", flat=True))  # fmt: skip
    assert steps == ["reminded", "escalated", "reminded"]
    campaign.refresh_from_db()
    assert campaign.reminders_sent == 3 and campaign.escalated_at is not None

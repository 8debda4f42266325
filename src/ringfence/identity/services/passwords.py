"""The company-wide password change: a campaign with systems and a deadline, tracked per account.

Compliance is read from the password-last-changed dates the systems export (``password_changed_at`` on the
account history), as of the moment asked: an account complies when its password changed on or after the
campaign's start; changed after the deadline counts as late; no date exported counts as not changed
(nothing proves it was).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry.models import AccountVersion, InformationSystem

from ..models import PasswordCampaign
from ..situations import ACTIVE_STATUSES


def create_password_campaign(
    name: str, systems: Iterable[str], *, starts_on: dt.date, deadline: dt.date, actor: str
) -> PasswordCampaign:
    """Open a password-change campaign over ``systems`` (audited)."""
    codes = sorted(set(systems))
    if not name.strip():
        raise RingfenceError(_("a campaign needs a name"))
    if deadline < starts_on:
        raise RingfenceError(_("the deadline is before the start"))
    objs = list(InformationSystem.objects.filter(code__in=codes))
    if not codes or len(objs) != len(codes):
        missing = sorted(set(codes) - {s.code for s in objs})
        raise RingfenceError(_("unknown or no systems: %(codes)s") % {"codes": ", ".join(missing) or "-"})
    with transaction.atomic():
        campaign = PasswordCampaign.objects.create(
            name=name.strip(), starts_on=starts_on, deadline=deadline, created_by=actor
        )
        campaign.systems.set(objs)
        record(AuditAction.CREATE, actor=actor, target_type="identity.password_campaign",
               target_ref=str(campaign.pk),
               detail={"name": campaign.name, "systems": codes, "starts_on": starts_on.isoformat(),
                       "deadline": deadline.isoformat()})  # fmt: skip
    return campaign


class PasswordState:
    """Per-account outcome of a password campaign."""

    CHANGED = "changed"
    LATE = "late"
    NOT_CHANGED = "not_changed"
    NO_DATE = "no_date"


STATE_LABELS = {
    PasswordState.CHANGED: gettext_lazy("Changed"),
    PasswordState.LATE: gettext_lazy("Late"),
    PasswordState.NOT_CHANGED: gettext_lazy("Not changed"),
    PasswordState.NO_DATE: gettext_lazy("No date"),
}


@dataclass(frozen=True)
class AccountCompliance:
    """One account in a password campaign."""

    system: str
    account_id: str
    owner_number: str
    kind: str
    password_changed_at: dt.datetime | None
    state: str

    @property
    def state_label(self) -> str:
        """The state in the reader's language."""
        return str(STATE_LABELS.get(self.state, self.state))


@dataclass
class SystemCompliance:
    """Counts per state for one system."""

    system: str
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Active accounts of the system in the campaign."""
        return sum(self.counts.values())

    @property
    def percent(self) -> int:
        """Share changed in time, rounded down."""
        return 100 * self.counts[PasswordState.CHANGED] // self.total if self.total else 100


@dataclass
class PasswordReport:
    """A campaign's compliance as of a moment: every account, and counts per system."""

    campaign: PasswordCampaign
    at: dt.datetime
    accounts: list[AccountCompliance]
    systems: list[SystemCompliance]

    @property
    def not_changed(self) -> list[AccountCompliance]:
        """Accounts whose change is not (yet) shown in time: not changed, no date, or late."""
        return [a for a in self.accounts if a.state != PasswordState.CHANGED]


def state_of(changed_at: dt.datetime | None, starts: dt.datetime, deadline_end: dt.datetime) -> str:
    """The campaign state of one password-last-changed value."""
    if changed_at is None:
        return PasswordState.NO_DATE
    if changed_at < starts:
        return PasswordState.NOT_CHANGED
    if changed_at >= deadline_end:
        return PasswordState.LATE
    return PasswordState.CHANGED


def password_compliance(campaign: PasswordCampaign, at: dt.datetime | None = None) -> PasswordReport:
    """Compliance of every active account of the campaign's systems as of ``at`` (default now)."""
    at = at or timezone.now()
    starts = start_of_day_jst(campaign.starts_on)
    deadline_end = start_of_day_jst(campaign.deadline + dt.timedelta(days=1))
    rows = (
        AccountVersion.objects.as_of(at)
        .filter(entity__system__in=campaign.systems.all(), status__in=ACTIVE_STATUSES)
        .order_by("entity__system__code", "entity__account_id")
        .values_list("entity__system__code", "entity__account_id", "owner__employee_number", "kind",
                     "password_changed_at")
    )  # fmt: skip
    accounts = []
    per_system: dict[str, SystemCompliance] = {
        code: SystemCompliance(code)
        for code in campaign.systems.order_by("code").values_list("code", flat=True)
    }
    for system, account_id, owner, kind, changed in rows:
        state = state_of(changed, starts, deadline_end)
        accounts.append(AccountCompliance(system, account_id, owner or "", kind, changed, state))
        per_system[system].counts[state] += 1
    return PasswordReport(campaign, at, accounts, list(per_system.values()))

"""Classifying one account against HR and entitlements (midPoint's "situations"), as pure functions.

``classify`` takes the facts about an account, its owner and what the owner is entitled to, all as of one
moment, and answers the account's situation and the problems it has. No database access here, so the rules
can be tested exhaustively and the reconciliation can run over hundreds of thousands of accounts in memory.

Two groups of problems:

* *ownership* — whether the account should exist at all for this owner: orphaned, owner retired or
  transferred out, owner not an own employee, shared or generic ID, emergency-temporary ID past its expiry,
  entitlement exceeded or missing, several personal accounts. At most one per account (the first rule that
  applies, in that order), because they share one remedy: remove or re-own the account.
* *hygiene* — password never changed, dormant. Checked only where someone answers for the account: an
  account whose owner is unknown or gone has one remedy (remove it), and piling hygiene findings on it would
  only hide that.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _

from ringfence.core.timeutil import JST

LEVEL_ORDER = {"view": 0, "update": 1, "export": 2, "admin": 3}
ACTIVE_STATUSES = frozenset({"enabled", "locked"})
# Staff of another company need a contract (an entitlement) for each system; own and seconded staff are
# governed by their job role.
CONTRACT_NEEDED = frozenset({"contractor", "external"})

# Account IDs that name no person, whatever kind the export gives them.
GENERIC_ID = re.compile(
    r"^(admin|administrator|root|guest|test|testuser|user|operator|system|kyoyo|shared|common|temp|tmp)"
    r"[_\-.]?\d{0,3}$",
    re.IGNORECASE,
)


class Situation(models.TextChoices):
    """What an account is, relative to HR (one per account)."""

    LINKED = "linked", _("Linked to a current owner")
    INACTIVE = "inactive", _("Disabled or deleted")
    ORPHANED = "orphaned", _("Orphaned (no owner)")
    OWNER_RETIRED = "owner_retired", _("Owner retired")
    OWNER_TRANSFERRED_OUT = "owner_transferred_out", _("Owner transferred out")
    OWNER_ON_LEAVE = "owner_on_leave", _("Owner on leave")
    OWNER_NOT_OWN_STAFF = "owner_not_own_staff", _("Owner is not own staff")
    SHARED = "shared", _("Shared or generic ID")
    EMERGENCY = "emergency", _("Emergency-temporary ID")
    SERVICE = "service", _("Service ID")


class FindingKind(models.TextChoices):
    """Problems a reconciliation or a certification can raise about an account."""

    ORPHANED = "orphaned", _("Orphaned ID (no owner)")
    OWNER_RETIRED = "owner_retired", _("ID of a retired person still enabled")
    OWNER_TRANSFERRED_OUT = "owner_transferred_out", _("ID of a person transferred out still enabled")
    OWNER_ON_LEAVE = "owner_on_leave", _("ID of a person on leave still enabled")
    AFFILIATE_OWNER = "affiliate_owner", _("Affiliate staff holds an ID")
    NO_CONTRACT = "no_contract", _("Contractor without a contract for the system")
    SHARED_ID = "shared_id", _("Shared or generic ID")
    EMERGENCY_EXPIRED = "emergency_expired", _("Emergency-temporary ID past its expiry")
    NO_ENTITLEMENT = "no_entitlement", _("ID without an entitlement")
    ENTITLEMENT_EXCEEDED = "entitlement_exceeded", _("Privilege above the entitlement")
    DUPLICATE_ACCOUNTS = "duplicate_accounts", _("Several IDs of one person in one system")
    DORMANT = "dormant", _("Dormant ID (no recent login)")
    PASSWORD_NEVER_CHANGED = "password_never_changed", _("Password never changed")
    REVOCATION_REQUESTED = "revocation_requested", _("Revocation requested by the access review")


@dataclass(frozen=True)
class Policy:
    """The thresholds of the rules; one object so a run records exactly what it applied."""

    dormant_days: int = 90
    emergency_valid_days: int = 30
    password_grace_days: int = 90
    # Staff on leave usually keep their IDs (they come back); flag them only where the company decides so.
    flag_owner_on_leave: bool = False
    due_days: dict[str, int] = field(
        default_factory=lambda: {
            FindingKind.ORPHANED: 7,
            FindingKind.OWNER_RETIRED: 7,
            FindingKind.OWNER_TRANSFERRED_OUT: 7,
            FindingKind.AFFILIATE_OWNER: 7,
            FindingKind.REVOCATION_REQUESTED: 7,
            FindingKind.EMERGENCY_EXPIRED: 7,
            FindingKind.NO_CONTRACT: 14,
            FindingKind.SHARED_ID: 30,
            FindingKind.NO_ENTITLEMENT: 14,
            FindingKind.ENTITLEMENT_EXCEEDED: 14,
            FindingKind.DUPLICATE_ACCOUNTS: 30,
            FindingKind.OWNER_ON_LEAVE: 30,
            FindingKind.DORMANT: 30,
            FindingKind.PASSWORD_NEVER_CHANGED: 30,
        }
    )

    def due_after(self, kind: str) -> int:
        """Days the system owner has to remedy a finding of ``kind``."""
        return self.due_days.get(kind, 30)

    def as_dict(self) -> dict[str, object]:
        """The policy as plain data, stored with each run."""
        return {
            "dormant_days": self.dormant_days,
            "emergency_valid_days": self.emergency_valid_days,
            "password_grace_days": self.password_grace_days,
            "flag_owner_on_leave": self.flag_owner_on_leave,
        }


class AccountFacts(NamedTuple):
    """An account as its system exported it, as of the moment of the reconciliation.

    A named tuple rather than a dataclass: a reconciliation makes one per account, hundreds of thousands.
    """

    account_id: str
    kind: str
    status: str
    privilege: str = ""
    owner_number: str = ""
    created_on: dt.date | None = None
    # A moment, or already its JST day (the reconciliation reads days: that is all the rules compare).
    password_changed_at: dt.datetime | dt.date | None = None
    last_login_at: dt.datetime | dt.date | None = None


class OwnerFacts(NamedTuple):
    """The owner as HR knows them at that moment."""

    employment_type: str
    status: str


@dataclass(frozen=True)
class Problem:
    """One problem found on an account, with what a reader needs to see why."""

    kind: str
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Classification:
    """The situation of an account and its problems."""

    situation: str
    problems: tuple[Problem, ...] = ()


def day_of(value: dt.datetime | dt.date | None) -> dt.date | None:
    """The Japanese calendar day of a moment (dates in exports and policies are JST days)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(JST).date() if value.tzinfo else value.date()
    return value


def _ownership(
    account: AccountFacts,
    owner: OwnerFacts | None,
    entitled: str | None,
    holds_non_public: bool,
    personal_accounts_of_owner: int,
    at: dt.date,
    policy: Policy,
) -> tuple[str, Problem | None]:
    """The situation and the ownership problem (at most one) of an active account."""
    if account.kind == "emergency_temporary":
        if account.created_on is None:
            return Situation.EMERGENCY, Problem(FindingKind.EMERGENCY_EXPIRED, {"created_on": None})
        expires = account.created_on + dt.timedelta(days=policy.emergency_valid_days)
        if at >= expires:
            return Situation.EMERGENCY, Problem(
                FindingKind.EMERGENCY_EXPIRED,
                {"created_on": account.created_on.isoformat(), "expired_on": expires.isoformat()},
            )
        return Situation.EMERGENCY, None
    if account.kind == "shared" or GENERIC_ID.match(account.account_id):
        return Situation.SHARED, Problem(
            FindingKind.SHARED_ID, {"accountable_owner": account.owner_number or None, "kind": account.kind}
        )
    if not account.owner_number or owner is None:
        detail: dict[str, object] = {"owner": account.owner_number} if account.owner_number else {}
        if account.owner_number:
            detail["reason"] = "owner not in the registry"
        return Situation.ORPHANED, Problem(FindingKind.ORPHANED, detail)
    if owner.status == "retired":
        return Situation.OWNER_RETIRED, Problem(FindingKind.OWNER_RETIRED, {"owner": account.owner_number})
    if owner.status == "transferred":
        return Situation.OWNER_TRANSFERRED_OUT, Problem(
            FindingKind.OWNER_TRANSFERRED_OUT, {"owner": account.owner_number}
        )
    if owner.employment_type == "affiliate" and holds_non_public:
        return Situation.OWNER_NOT_OWN_STAFF, Problem(
            FindingKind.AFFILIATE_OWNER, {"owner": account.owner_number, "entitled": entitled}
        )
    if owner.employment_type in CONTRACT_NEEDED and entitled is None:
        return Situation.OWNER_NOT_OWN_STAFF, Problem(
            FindingKind.NO_CONTRACT, {"owner": account.owner_number, "employment_type": owner.employment_type}
        )
    # Own staff, seconded staff, and contractors holding a contract for the system.
    situation: str = Situation.LINKED
    if owner.status == "on_leave":
        situation = Situation.OWNER_ON_LEAVE
        if policy.flag_owner_on_leave:
            return situation, Problem(FindingKind.OWNER_ON_LEAVE, {"owner": account.owner_number})
    if account.kind == "service":
        situation = Situation.SERVICE
    if entitled is None:
        return situation, Problem(FindingKind.NO_ENTITLEMENT, {"owner": account.owner_number})
    if account.privilege in LEVEL_ORDER and LEVEL_ORDER[account.privilege] > LEVEL_ORDER[entitled]:
        return situation, Problem(
            FindingKind.ENTITLEMENT_EXCEEDED, {"privilege": account.privilege, "entitled": entitled}
        )
    if account.kind == "personal" and personal_accounts_of_owner > 1:
        return situation, Problem(
            FindingKind.DUPLICATE_ACCOUNTS,
            {"owner": account.owner_number, "count": personal_accounts_of_owner},
        )
    return situation, None


# Situations whose account nobody answers for: hygiene checks would only repeat "remove it".
_UNACCOUNTABLE = frozenset(
    {
        Situation.ORPHANED,
        Situation.OWNER_RETIRED,
        Situation.OWNER_TRANSFERRED_OUT,
        Situation.OWNER_NOT_OWN_STAFF,
    }
)


def _hygiene(
    account: AccountFacts, at: dt.date, policy: Policy, logs_silent_since: dt.date | None
) -> list[Problem]:
    problems: list[Problem] = []
    created = account.created_on
    old_enough = created is None or (at - created).days >= policy.password_grace_days
    changed = day_of(account.password_changed_at)
    if old_enough and (changed is None or (created is not None and changed <= created)):
        problems.append(
            Problem(
                FindingKind.PASSWORD_NEVER_CHANGED,
                {"created_on": created.isoformat() if created else None,
                 "password_changed_at": changed.isoformat() if changed else None},
            )
        )  # fmt: skip
    # Dormant only on evidence: an export without a last login proves nothing either way.
    last = day_of(account.last_login_at)
    if last is not None and (at - last).days >= policy.dormant_days:
        problems.append(Problem(FindingKind.DORMANT, {"last_login_at": last.isoformat()}))
    elif (
        last is None
        and logs_silent_since is not None
        and (at - logs_silent_since).days >= policy.dormant_days
        and (created is None or created <= logs_silent_since)
    ):
        # The logs cover the whole dormancy period and hold no logon of this account.
        problems.append(
            Problem(FindingKind.DORMANT, {"no_logon_in_logs_since": logs_silent_since.isoformat()})
        )
    return problems


def classify(
    account: AccountFacts,
    owner: OwnerFacts | None,
    *,
    entitled: str | None,
    holds_non_public: bool,
    personal_accounts_of_owner: int,
    at: dt.date,
    policy: Policy,
    logs_silent_since: dt.date | None = None,
) -> Classification:
    """The situation and problems of ``account`` as of the day ``at``.

    ``entitled`` is the highest level the owner is entitled to on the account's system (directly or
    through a job role), None for none; ``personal_accounts_of_owner`` counts the owner's active personal
    accounts on the same system; ``logs_silent_since`` is the day from which the log lake holds the
    system's events, when no logon of this account is among them. Disabled and deleted accounts have no
    problems.
    """
    if account.status not in ACTIVE_STATUSES:
        return Classification(Situation.INACTIVE)
    situation, problem = _ownership(
        account, owner, entitled, holds_non_public, personal_accounts_of_owner, at, policy
    )
    problems = [problem] if problem is not None else []
    if situation not in _UNACCOUNTABLE:
        problems.extend(_hygiene(account, at, policy, logs_silent_since))
    return Classification(situation, tuple(problems))

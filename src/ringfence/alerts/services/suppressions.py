"""Suppressions (抑止): known, accepted patterns that need nobody's attention until an expiry date.

A suppression needs a reason and an expiry no later than ``MAX_DURATION`` ahead, so nothing is silenced
for good by accident; it can be ended early. Creating and ending one is audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.alerts.findings import Finding
from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem

from ..models import Suppression

MAX_DURATION = dt.timedelta(days=366)
MATCH_FIELDS = ("rule_id", "entity", "system", "account", "person", "terminal")
FIELD_LIMITS = {"rule_id": 200, "entity": 300, "system": 64, "account": 200, "person": 64, "terminal": 200}


def _problem(field: str, reason: str) -> InputProblem:
    return InputProblem(file="suppression", line=None, field=field, reason=reason)


def create_suppression(
    *,
    reason: str,
    expires_at: dt.datetime,
    actor: str,
    rule_id: str = "",
    entity: str = "",
    system: str = "",
    account: str = "",
    person: str = "",
    terminal: str = "",
    now: dt.datetime | None = None,
) -> Suppression:
    """Create an active suppression; refuses a missing reason, no match field, or a bad expiry."""
    now = now or timezone.now()
    values = {
        "rule_id": rule_id.strip(),
        "entity": entity.strip(),
        "system": system.strip(),
        "account": account.strip(),
        "person": person.strip(),
        "terminal": terminal.strip(),
    }
    problems: list[InputProblem] = []
    if not reason.strip():
        problems.append(_problem("reason", _("a suppression needs a reason")))
    if not any(values.values()):
        problems.append(_problem("rule_id", _("give a rule or at least one field to match")))
    for name, value in values.items():
        if len(value) > FIELD_LIMITS[name]:
            problems.append(_problem(name, _("longer than %(n)d characters") % {"n": FIELD_LIMITS[name]}))
    if timezone.is_naive(expires_at):
        problems.append(_problem("expires_at", _("the expiry needs a time zone")))
    elif expires_at <= now:
        problems.append(_problem("expires_at", _("the expiry must be in the future")))
    elif expires_at > now + MAX_DURATION:
        problems.append(_problem("expires_at", _("the expiry may be at most one year ahead")))
    if problems:
        raise BadInput(_("suppression refused"), problems)
    with transaction.atomic():
        suppression = Suppression.objects.create(
            **values, reason=reason.strip(), expires_at=expires_at, created_by=actor
        )
        record(AuditAction.CREATE, actor=actor, target_type="alerts.suppression", target_ref=str(suppression.pk),
               detail={**suppression.match_fields(), "reason": suppression.reason,
                       "expires_at": expires_at.isoformat()})  # fmt: skip
    return suppression


def end_suppression(suppression: Suppression, *, actor: str, now: dt.datetime | None = None) -> Suppression:
    """End a suppression before its expiry (audited). Ending an ended one is refused."""
    if not suppression.active:
        raise BadInput(_("suppression %(pk)s has already ended") % {"pk": suppression.pk})
    with transaction.atomic():
        suppression.active = False
        suppression.ended_by = actor
        suppression.ended_at = now or timezone.now()
        suppression.save(update_fields=["active", "ended_by", "ended_at"])
        record(AuditAction.CHANGE, actor=actor, target_type="alerts.suppression", target_ref=str(suppression.pk),
               detail={"ended": True})  # fmt: skip
    return suppression


def in_force(now: dt.datetime | None = None) -> list[Suppression]:
    """Suppressions active and not yet expired at ``now``."""
    now = now or timezone.now()
    return list(Suppression.objects.filter(active=True, expires_at__gt=now).order_by("created_at", "id"))


def _equal(name: str, wanted: str, value: str) -> bool:
    # Accounts are compared as the enrichment does: case-insensitive, without a DOMAIN\ prefix.
    if name == "account":
        return wanted.rsplit("\\", 1)[-1].casefold() == value.rsplit("\\", 1)[-1].casefold()
    return wanted == value


def matches(suppression: Suppression, finding: Finding) -> bool:
    """Whether every field the suppression names equals the finding's."""
    return all(_equal(name, wanted, str(getattr(finding, name))) for name, wanted in
               suppression.match_fields().items())  # fmt: skip


def first_match(finding: Finding, candidates: Iterable[Suppression]) -> Suppression | None:
    """The oldest suppression among ``candidates`` that matches ``finding``, or None."""
    return next((s for s in candidates if matches(s, finding)), None)

"""Shared plumbing of the registry services: effective dates, look-ups, field checks and audit events.

Every service resolves natural keys (unit code, employee number, system code, …) to rows, checks the new
values the way ``full_clean`` would, writes through ``core.temporal`` and records one audit event, all in one
transaction: a change is never stored without its audit entry, nor audited without being stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.core.temporal import ChangeResult, TemporalRecord
from ringfence.core.timeutil import ensure_aware, start_of_day_jst, to_jst

from ..models import (
    Account,
    InformationSystem,
    NetworkSegment,
    OrgUnit,
    Person,
    Role,
    Room,
    Terminal,
    Zone,
)


class _Unset:
    """Marker for "argument not given" where ``None`` is a meaningful value (e.g. clear the parent)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()

# Fields that hold personal data: the audit trail names them but does not copy their values.
PERSONAL_FIELDS = frozenset({"name_kanji", "name_kana", "email", "display_name", "lent_to"})

Effective = dt.date | dt.datetime


def effective_at(value: Effective) -> dt.datetime:
    """An effective moment: a date means 00:00 JST of that day (発令日), a naive datetime is JST."""
    if isinstance(value, dt.datetime):
        return ensure_aware(value)
    if isinstance(value, dt.date):
        return start_of_day_jst(value)
    raise RingfenceError(_("Not a date or a time: %(value)r") % {"value": value})


def optional_effective_at(value: Effective | None) -> dt.datetime | None:
    """Like ``effective_at`` but lets ``None`` (open end) through."""
    return None if value is None else effective_at(value)


def check_interval(start: dt.datetime, end: dt.datetime | None) -> None:
    """Refuse an interval whose end is not after its start."""
    if end is not None and end <= start:
        raise RingfenceError(
            _("The end %(end)s is not after the start %(start)s.")
            % {"end": end.isoformat(), "start": start.isoformat()}
        )


def clean_values(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate plain (non-relation) field values as ``full_clean`` would; return the cleaned values.

    Relations are resolved by the callers from natural keys, so they are passed through unchecked here.
    """
    out: dict[str, Any] = {}
    for name, value in values.items():
        field = model._meta.get_field(name)
        if field.is_relation or not isinstance(field, models.Field):
            out[name] = value
            continue
        try:
            out[name] = field.clean(value, None)
        except ValidationError as exc:
            raise RingfenceError(
                _("%(field)s: %(reason)s")
                % {"field": str(field.verbose_name), "reason": " ".join(exc.messages)}
            ) from exc
    return out


def require_code(value: str, what: str) -> str:
    """A natural key must not be blank; surrounding spaces are dropped."""
    value = (value or "").strip()
    if not value:
        raise RingfenceError(_("%(what)s is empty.") % {"what": what})
    return value


def unit_by_code(code: str) -> OrgUnit:
    """The unit with this code, or a RingfenceError naming it."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise RingfenceError(_("Unknown unit %(code)s.") % {"code": code})
    return unit


def person_by_number(employee_number: str) -> Person:
    """The person with this employee number, or a RingfenceError naming it."""
    person = Person.objects.filter(employee_number=employee_number).first()
    if person is None:
        raise RingfenceError(_("Unknown employee number %(number)s.") % {"number": employee_number})
    return person


def system_by_code(code: str) -> InformationSystem:
    """The information system with this code, or a RingfenceError naming it."""
    system = InformationSystem.objects.filter(code=code).first()
    if system is None:
        raise RingfenceError(_("Unknown system %(code)s.") % {"code": code})
    return system


def role_by_code(code: str) -> Role:
    """The job role with this code, or a RingfenceError naming it."""
    role = Role.objects.filter(code=code).first()
    if role is None:
        raise RingfenceError(_("Unknown job role %(code)s.") % {"code": code})
    return role


def zone_by_code(code: str) -> Zone:
    """The zone with this code, or a RingfenceError naming it."""
    zone = Zone.objects.filter(code=code).first()
    if zone is None:
        raise RingfenceError(_("Unknown zone %(code)s.") % {"code": code})
    return zone


def room_by_code(code: str) -> Room:
    """The room with this code, or a RingfenceError naming it."""
    room = Room.objects.filter(code=code).first()
    if room is None:
        raise RingfenceError(_("Unknown room %(code)s.") % {"code": code})
    return room


def terminal_by_tag(asset_tag: str) -> Terminal:
    """The terminal with this asset tag, or a RingfenceError naming it."""
    terminal = Terminal.objects.filter(asset_tag=asset_tag).first()
    if terminal is None:
        raise RingfenceError(_("Unknown terminal %(tag)s.") % {"tag": asset_tag})
    return terminal


def account_by_key(system: InformationSystem, account_id: str) -> Account:
    """The account ``account_id`` of ``system``, or a RingfenceError naming both."""
    account = Account.objects.filter(system=system, account_id=account_id).first()
    if account is None:
        raise RingfenceError(
            _("Unknown account %(account)s in system %(system)s.")
            % {"account": account_id, "system": system.code}
        )
    return account


def segment_by_cidr(cidr: str) -> NetworkSegment:
    """The network segment with this (normalised) CIDR, or a RingfenceError naming it."""
    segment = NetworkSegment.objects.filter(cidr=cidr).first()
    if segment is None:
        raise RingfenceError(_("Unknown network segment %(cidr)s.") % {"cidr": cidr})
    return segment


def version_at(model: type[TemporalRecord], at: dt.datetime, **key: Any) -> Any:
    """The row of a timeline (current knowledge) valid at ``at``, or None."""
    return model.objects.filter(**key).as_of(at).first()


def require_version_at(model: type[TemporalRecord], at: dt.datetime, what: str, **key: Any) -> Any:
    """Like ``version_at`` but refuses a moment when the thing did not exist."""
    row = version_at(model, at, **key)
    if row is None:
        raise RingfenceError(
            _("%(what)s does not exist at %(at)s.") % {"what": what, "at": to_jst(at).isoformat()}
        )
    return row


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def audit_change(
    action: AuditAction,
    *,
    actor: str,
    target_type: str,
    target_ref: str,
    operation: str,
    effective_from: dt.datetime | None = None,
    effective_to: dt.datetime | None = None,
    values: Mapping[str, Any] | None = None,
    result: ChangeResult | None = None,
) -> None:
    """Record one registry change; personal values are named, not copied, so the trail stays lean."""
    detail: dict[str, Any] = {"operation": operation}
    if effective_from is not None:
        detail["effective_from"] = effective_from.isoformat()
    if effective_to is not None:
        detail["effective_to"] = effective_to.isoformat()
    if values:
        detail["values"] = {k: _plain(v) for k, v in values.items() if k not in PERSONAL_FIELDS}
        personal = sorted(k for k in values if k in PERSONAL_FIELDS)
        if personal:
            detail["personal_fields"] = personal
    if result is not None:
        detail["rows_superseded"] = result.superseded
        detail["rows_inserted"] = result.inserted
    record(action, actor=actor, target_type=target_type, target_ref=target_ref, detail=detail)


def require_actor(actor: str) -> str:
    """Every change names who made it (a login, or ``system:<job>``)."""
    if not actor or not actor.strip():
        raise RingfenceError(_("A change needs an actor."))
    return actor.strip()

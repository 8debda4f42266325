"""Writes to the terminal ledger (端末台帳): register, move, assign, lend and return, lost, disposed, checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.core.errors import RingfenceError
from ringfence.core.temporal import ChangeResult, apply_change
from ringfence.core.timeutil import start_of_day_jst

from ..choices import TerminalStatus
from ..models import OrgUnitVersion, PersonVersion, Terminal, TerminalVersion
from ._common import (
    UNSET,
    Effective,
    _Unset,
    audit_change,
    check_interval,
    clean_values,
    effective_at,
    person_by_number,
    require_actor,
    require_code,
    require_version_at,
    terminal_by_tag,
    unit_by_code,
    version_at,
)
from .facilities import room_valid_at

# Statuses from which a terminal cannot be moved, assigned or lent.
GONE = (TerminalStatus.LOST.value, TerminalStatus.DISPOSED.value)


def _assignee(unit_code: str | None, employee_number: str | None, at: dt.datetime) -> dict[str, Any]:
    out: dict[str, Any] = {"assigned_unit": None, "assigned_person": None}
    if unit_code:
        unit = unit_by_code(unit_code)
        require_version_at(OrgUnitVersion, at, _("Unit %(code)s") % {"code": unit_code}, entity=unit)
        out["assigned_unit"] = unit
    if employee_number:
        person = person_by_number(employee_number)
        require_version_at(
            PersonVersion, at, _("Person %(number)s") % {"number": employee_number}, entity=person
        )
        out["assigned_person"] = person
    return out


def _change_terminal(
    asset_tag: str,
    changes: dict[str, Any],
    *,
    at: dt.datetime,
    until: dt.datetime | None = None,
    actor: str,
    operation: str,
    refuse_status: tuple[str, ...] = GONE,
) -> ChangeResult:
    terminal = terminal_by_tag(asset_tag)
    current = require_version_at(
        TerminalVersion, at, _("Terminal %(tag)s") % {"tag": asset_tag}, entity=terminal
    )
    if current.status in refuse_status:
        raise RingfenceError(
            _("Terminal %(tag)s is %(status)s at that date.")
            % {"tag": asset_tag, "status": TerminalStatus(current.status).label}
        )
    result = apply_change(TerminalVersion, {"entity": terminal}, changes, at, until, source=actor)
    audit_change(
        AuditAction.CHANGE,
        actor=actor,
        target_type="registry.terminal",
        target_ref=asset_tag,
        operation=operation,
        effective_from=at,
        effective_to=until,
        values=changes,
        result=result,
    )
    return result


def register_terminal(
    asset_tag: str,
    *,
    effective: Effective,
    actor: str,
    hostname: str = "",
    ip_address: str | None = None,
    mac_address: str = "",
    terminal_type: str = "desktop",
    room_code: str | None = None,
    assigned_unit_code: str | None = None,
    assigned_employee_number: str | None = None,
    status: str = TerminalStatus.IN_USE,
) -> Terminal:
    """Enter a terminal in the ledger from ``effective``."""
    actor = require_actor(actor)
    asset_tag = require_code(asset_tag, _("Asset tag"))
    at = effective_at(effective)
    if status == TerminalStatus.LENT:
        raise RingfenceError(_("Register the terminal first, then record the loan."))
    values = clean_values(
        TerminalVersion,
        {
            "hostname": hostname.strip().lower(),
            "ip_address": ip_address or None,
            "mac_address": mac_address.strip().lower(),
            "terminal_type": terminal_type,
            "status": status,
        },
    )
    with transaction.atomic():
        terminal, _created = Terminal.objects.get_or_create(asset_tag=asset_tag)
        if version_at(TerminalVersion, at, entity=terminal) is not None:
            raise RingfenceError(
                _("Terminal %(tag)s is already registered at that date.") % {"tag": asset_tag}
            )
        values["room"] = room_valid_at(room_code, at) if room_code else None
        values.update(_assignee(assigned_unit_code, assigned_employee_number, at))
        result = apply_change(TerminalVersion, {"entity": terminal}, values, at, source=actor)
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.terminal",
            target_ref=asset_tag,
            operation="register_terminal",
            effective_from=at,
            values=values,
            result=result,
        )
    return terminal


def move_terminal(
    asset_tag: str,
    *,
    effective: Effective,
    actor: str,
    room_code: str | _Unset | None = UNSET,
    hostname: str | None = None,
    ip_address: str | _Unset | None = UNSET,
) -> ChangeResult:
    """The terminal is set up in another room and/or under another address from ``effective``."""
    actor = require_actor(actor)
    at = effective_at(effective)
    changes: dict[str, Any] = {}
    if hostname is not None:
        changes["hostname"] = hostname.strip().lower()
    if not isinstance(ip_address, _Unset):
        changes["ip_address"] = ip_address or None
    changes = clean_values(TerminalVersion, changes)
    with transaction.atomic():
        if not isinstance(room_code, _Unset):
            changes["room"] = room_valid_at(room_code, at) if room_code else None
        if not changes:
            raise RingfenceError(_("Nothing to change for terminal %(tag)s.") % {"tag": asset_tag})
        return _change_terminal(asset_tag, changes, at=at, actor=actor, operation="move_terminal")


def assign_terminal(
    asset_tag: str,
    *,
    effective: Effective,
    actor: str,
    unit_code: str | None = None,
    employee_number: str | None = None,
) -> ChangeResult:
    """The terminal is assigned to a unit and/or a person from ``effective`` (both empty: unassigned)."""
    actor = require_actor(actor)
    at = effective_at(effective)
    with transaction.atomic():
        changes = _assignee(unit_code, employee_number, at)
        terminal = terminal_by_tag(asset_tag)
        current = version_at(TerminalVersion, at, entity=terminal)
        if (
            current is not None
            and current.status == TerminalStatus.IN_STOCK
            and (unit_code or employee_number)
        ):
            changes["status"] = TerminalStatus.IN_USE
        return _change_terminal(asset_tag, changes, at=at, actor=actor, operation="assign_terminal")


def lend_terminal(
    asset_tag: str,
    *,
    lent_from: Effective,
    actor: str,
    lent_to: str = "",
    lent_to_employee_number: str | None = None,
    lent_until: Effective | None = None,
    returned_at: Effective | None = None,
) -> ChangeResult:
    """Lend a terminal (貸出) from ``lent_from`` to a person or a named borrower, due back ``lent_until``.

    The loan lasts until the terminal is returned (``return_terminal``, or ``returned_at`` here when the
    return is already known); a planned return date that passes does not end it.
    """
    actor = require_actor(actor)
    start = effective_at(lent_from)
    due = effective_at(lent_until) if lent_until is not None else None
    end = effective_at(returned_at) if returned_at is not None else None
    check_interval(start, end)
    if due is not None:
        check_interval(start, due)
    if not lent_to and not lent_to_employee_number:
        raise RingfenceError(_("A loan needs a borrower (a person or a name)."))
    changes: dict[str, Any] = clean_values(
        TerminalVersion, {"status": TerminalStatus.LENT, "lent_to": lent_to.strip(), "lent_until": due}
    )
    with transaction.atomic():
        borrower = None
        if lent_to_employee_number:
            borrower = person_by_number(lent_to_employee_number)
            require_version_at(
                PersonVersion,
                start,
                _("Person %(number)s") % {"number": lent_to_employee_number},
                entity=borrower,
            )
        changes["lent_to_person"] = borrower
        return _change_terminal(
            asset_tag,
            changes,
            at=start,
            until=end,
            actor=actor,
            operation="lend_terminal",
            refuse_status=(*GONE, TerminalStatus.LENT.value),
        )


def return_terminal(asset_tag: str, *, returned_at: Effective, actor: str) -> ChangeResult:
    """The lent terminal came back at ``returned_at``: it goes back to the status it had before the loan."""
    actor = require_actor(actor)
    at = effective_at(returned_at)
    with transaction.atomic():
        terminal = terminal_by_tag(asset_tag)
        current = require_version_at(
            TerminalVersion, at, _("Terminal %(tag)s") % {"tag": asset_tag}, entity=terminal
        )
        if current.status != TerminalStatus.LENT:
            raise RingfenceError(_("Terminal %(tag)s is not lent at that date.") % {"tag": asset_tag})
        before = (
            TerminalVersion.objects.known_at()
            .filter(entity=terminal, valid_to__lte=at)
            .exclude(status=TerminalStatus.LENT)
            .order_by("-valid_to")
            .first()
        )
        status = before.status if before is not None else TerminalStatus.IN_STOCK
        changes = {"status": status, "lent_to": "", "lent_to_person": None, "lent_until": None}
        return _change_terminal(
            asset_tag, changes, at=at, actor=actor, operation="return_terminal", refuse_status=GONE
        )


def mark_terminal_lost(asset_tag: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The terminal is missing (紛失) from ``effective``."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_terminal(
            asset_tag,
            {"status": TerminalStatus.LOST},
            at=at,
            actor=require_actor(actor),
            operation="mark_lost",
            refuse_status=(TerminalStatus.DISPOSED.value,),
        )


def dispose_terminal(asset_tag: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The terminal is disposed of (廃棄) from ``effective``; its history stays."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_terminal(
            asset_tag,
            {"status": TerminalStatus.DISPOSED, "lent_to": "", "lent_to_person": None, "lent_until": None},
            at=at,
            actor=require_actor(actor),
            operation="dispose",
            refuse_status=(TerminalStatus.DISPOSED.value,),
        )


def record_physical_check(asset_tag: str, *, checked_on: dt.date, actor: str) -> ChangeResult:
    """A stock-take (現物確認) found the terminal on ``checked_on``."""
    at = start_of_day_jst(checked_on)
    with transaction.atomic():
        return _change_terminal(
            asset_tag,
            {"last_checked_on": checked_on},
            at=at,
            actor=require_actor(actor),
            operation="physical_check",
            refuse_status=(TerminalStatus.DISPOSED.value,),
        )

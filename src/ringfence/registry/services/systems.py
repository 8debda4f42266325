"""Writes to the systems side: the catalogue of systems, entitlements (person or role) and accounts (IDs)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.core.errors import RingfenceError
from ringfence.core.temporal import ChangeResult, apply_change, end_validity

from ..choices import AccountKind, AccountStatus, AuthFeature, DataClass
from ..models import (
    Account,
    AccountVersion,
    Entitlement,
    InformationSystem,
    Person,
    PersonVersion,
    SystemVersion,
)
from ._common import (
    UNSET,
    Effective,
    _Unset,
    account_by_key,
    audit_change,
    check_interval,
    clean_values,
    effective_at,
    optional_effective_at,
    person_by_number,
    require_actor,
    require_code,
    require_version_at,
    role_by_code,
    system_by_code,
    unit_by_code,
    version_at,
)

# ----------------------------------------------------------------------------------------------- systems


def _checked_codes(values: Sequence[str], allowed: list[str], what: str) -> list[str]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise RingfenceError(_("Unknown %(what)s: %(codes)s.") % {"what": what, "codes": ", ".join(unknown)})
    # Stored sorted and without duplicates, so an unchanged list never makes a new version.
    return sorted(set(values))


def catalogue_system(
    code: str,
    *,
    effective: Effective,
    actor: str,
    name_ja: str | None = None,
    name_en: str | None = None,
    owner_unit_code: str | _Unset | None = UNSET,
    holds_non_public: bool | None = None,
    data_classes: Sequence[str] | None = None,
    go_live: dt.date | _Unset | None = UNSET,
    retired_on: dt.date | _Unset | None = UNSET,
    auth_features: Sequence[str] | None = None,
    description: str | None = None,
) -> InformationSystem:
    """Add a system to the catalogue, or change the given attributes of one from ``effective``."""
    actor = require_actor(actor)
    code = require_code(code, _("System code"))
    at = effective_at(effective)
    changes: dict[str, Any] = {}
    for name, value in (
        ("name_ja", name_ja),
        ("name_en", name_en),
        ("holds_non_public", holds_non_public),
        ("description", description),
    ):
        if value is not None:
            changes[name] = value
    if data_classes is not None:
        changes["data_classes"] = _checked_codes(data_classes, DataClass.values, _("data classes"))
    if auth_features is not None:
        changes["auth_features"] = _checked_codes(
            auth_features, AuthFeature.values, _("authentication features")
        )
    for name, day in (("go_live", go_live), ("retired_on", retired_on)):
        if not isinstance(day, _Unset):
            changes[name] = day
    changes = clean_values(SystemVersion, changes)
    with transaction.atomic():
        system, _created = InformationSystem.objects.get_or_create(code=code)
        existing = SystemVersion.objects.filter(entity=system).known_at().exists()
        if not existing and not changes.get("name_ja"):
            raise RingfenceError(_("A new system needs a Japanese name."))
        if not isinstance(owner_unit_code, _Unset):
            changes["owner_unit"] = unit_by_code(owner_unit_code) if owner_unit_code else None
        if not changes:
            raise RingfenceError(_("Nothing to change for system %(code)s.") % {"code": code})
        result = apply_change(SystemVersion, {"entity": system}, changes, at, source=actor)
        audit_change(
            AuditAction.CHANGE if existing else AuditAction.CREATE,
            actor=actor,
            target_type="registry.system",
            target_ref=code,
            operation="catalogue_system",
            effective_from=at,
            values=changes,
            result=result,
        )
    return system


# ------------------------------------------------------------------------------------------ entitlements


def _grantee(employee_number: str | None, role_code: str | None) -> dict[str, Any]:
    if bool(employee_number) == bool(role_code):
        raise RingfenceError(
            _("An entitlement is granted to either a person or a job role, not both or neither.")
        )
    if employee_number:
        return {"person": person_by_number(employee_number), "role": None}
    assert role_code is not None
    return {"person": None, "role": role_by_code(role_code)}


def _grant_ref(system_code: str, employee_number: str | None, role_code: str | None, function: str) -> str:
    grantee = f"person:{employee_number}" if employee_number else f"role:{role_code}"
    return f"{system_code}/{grantee}/{function}"


def grant_entitlement(
    system_code: str,
    *,
    employee_number: str | None = None,
    role_code: str | None = None,
    function: str = "*",
    level: str,
    effective_from: Effective,
    effective_to: Effective | None = None,
    actor: str,
) -> ChangeResult:
    """Entitle a person or a job role to a function of a system at a level over an interval."""
    actor = require_actor(actor)
    start, end = effective_at(effective_from), optional_effective_at(effective_to)
    check_interval(start, end)
    function = require_code(function, _("Function"))
    values = clean_values(Entitlement, {"function": function, "level": level})
    system = system_by_code(system_code)
    grantee = _grantee(employee_number, role_code)
    with transaction.atomic():
        require_version_at(SystemVersion, start, _("System %(code)s") % {"code": system_code}, entity=system)
        if grantee["person"] is not None:
            require_version_at(
                PersonVersion,
                start,
                _("Person %(number)s") % {"number": employee_number},
                entity=grantee["person"],
            )
        key = {"system": system, **grantee, "function": values["function"]}
        result = apply_change(Entitlement, key, {"level": values["level"]}, start, end, source=actor)
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.entitlement",
            target_ref=_grant_ref(system_code, employee_number, role_code, function),
            operation="grant",
            effective_from=start,
            effective_to=end,
            values={"level": values["level"]},
            result=result,
        )
    return result


def revoke_entitlement(
    system_code: str,
    *,
    employee_number: str | None = None,
    role_code: str | None = None,
    function: str = "*",
    effective: Effective,
    actor: str,
) -> ChangeResult:
    """The grant stops at ``effective``; refused when nothing was granted after that moment."""
    actor = require_actor(actor)
    at = effective_at(effective)
    system = system_by_code(system_code)
    key = {"system": system, **_grantee(employee_number, role_code), "function": function}
    with transaction.atomic():
        result = end_validity(Entitlement, key, at, source=actor)
        if not result.changed:
            raise RingfenceError(_("No such entitlement after that date."))
        audit_change(
            AuditAction.DELETE,
            actor=actor,
            target_type="registry.entitlement",
            target_ref=_grant_ref(system_code, employee_number, role_code, function),
            operation="revoke",
            effective_from=at,
            result=result,
        )
    return result


# ---------------------------------------------------------------------------------------------- accounts


def _owner(employee_number: str | None, at: dt.datetime) -> Person | None:
    if not employee_number:
        return None
    person = person_by_number(employee_number)
    require_version_at(PersonVersion, at, _("Person %(number)s") % {"number": employee_number}, entity=person)
    return person


def register_account(
    system_code: str,
    account_id: str,
    *,
    effective: Effective,
    actor: str,
    owner_employee_number: str | None = None,
    kind: str = AccountKind.PERSONAL,
    status: str = AccountStatus.ENABLED,
    display_name: str = "",
    privilege: str = "",
    created_on: dt.date | None = None,
) -> Account:
    """Register an ID of a system from ``effective``; a personal ID needs an owner."""
    actor = require_actor(actor)
    account_id = require_code(account_id, _("Account ID"))
    at = effective_at(effective)
    if kind == AccountKind.PERSONAL and not owner_employee_number:
        raise RingfenceError(_("A personal account needs an owner."))
    values = clean_values(
        AccountVersion,
        {
            "kind": kind,
            "status": status,
            "display_name": display_name,
            "privilege": privilege,
            "created_on": created_on,
        },
    )
    system = system_by_code(system_code)
    with transaction.atomic():
        require_version_at(SystemVersion, at, _("System %(code)s") % {"code": system_code}, entity=system)
        account, _created = Account.objects.get_or_create(system=system, account_id=account_id)
        if version_at(AccountVersion, at, entity=account) is not None:
            raise RingfenceError(
                _("Account %(account)s of %(system)s already exists at that date.")
                % {"account": account_id, "system": system_code}
            )
        values["owner"] = _owner(owner_employee_number, at)
        result = apply_change(AccountVersion, {"entity": account}, values, at, source=actor)
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.account",
            target_ref=f"{system_code}:{account_id}",
            operation="register_account",
            effective_from=at,
            values=values,
            result=result,
        )
    return account


def _change_account(
    system_code: str, account_id: str, changes: dict[str, Any], *, at: dt.datetime, actor: str, operation: str
) -> ChangeResult:
    account = account_by_key(system_by_code(system_code), account_id)
    current = require_version_at(
        AccountVersion, at, _("Account %(account)s") % {"account": account_id}, entity=account
    )
    if current.status == AccountStatus.DELETED and changes.get("status") != AccountStatus.ENABLED:
        raise RingfenceError(_("Account %(account)s is deleted at that date.") % {"account": account_id})
    result = apply_change(AccountVersion, {"entity": account}, changes, at, source=actor)
    audit_change(
        AuditAction.CHANGE,
        actor=actor,
        target_type="registry.account",
        target_ref=f"{system_code}:{account_id}",
        operation=operation,
        effective_from=at,
        values=changes,
        result=result,
    )
    return result


def change_account(
    system_code: str,
    account_id: str,
    *,
    effective: Effective,
    actor: str,
    kind: str | None = None,
    status: str | None = None,
    display_name: str | None = None,
    privilege: str | None = None,
    password_changed_at: dt.datetime | None = None,
    last_login_at: dt.datetime | None = None,
) -> ChangeResult:
    """Change the given attributes of an account from ``effective``."""
    given = {
        "kind": kind,
        "status": status,
        "display_name": display_name,
        "privilege": privilege,
        "password_changed_at": password_changed_at,
        "last_login_at": last_login_at,
    }
    changes = clean_values(AccountVersion, {k: v for k, v in given.items() if v is not None})
    if not changes:
        raise RingfenceError(_("Nothing to change for account %(account)s.") % {"account": account_id})
    with transaction.atomic():
        return _change_account(
            system_code,
            account_id,
            changes,
            at=effective_at(effective),
            actor=require_actor(actor),
            operation="change_account",
        )


def set_account_owner(
    system_code: str, account_id: str, owner_employee_number: str | None, *, effective: Effective, actor: str
) -> ChangeResult:
    """Hand an account to another person from ``effective`` (``None``: it has no owner from then on)."""
    at = effective_at(effective)
    with transaction.atomic():
        owner = _owner(owner_employee_number, at)
        return _change_account(
            system_code,
            account_id,
            {"owner": owner},
            at=at,
            actor=require_actor(actor),
            operation="set_owner",
        )


def disable_account(system_code: str, account_id: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The account is disabled from ``effective`` (and remembers when)."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_account(
            system_code,
            account_id,
            {"status": AccountStatus.DISABLED, "disabled_at": at},
            at=at,
            actor=require_actor(actor),
            operation="disable_account",
        )


def enable_account(system_code: str, account_id: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The account is usable again from ``effective``."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_account(
            system_code,
            account_id,
            {"status": AccountStatus.ENABLED, "disabled_at": None},
            at=at,
            actor=require_actor(actor),
            operation="enable_account",
        )


def delete_account(system_code: str, account_id: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The account is deleted in the system from ``effective``; its history stays for investigations."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_account(
            system_code,
            account_id,
            {"status": AccountStatus.DELETED},
            at=at,
            actor=require_actor(actor),
            operation="delete_account",
        )

"""Writes to the organisation: units (incl. re-parenting), responsibilities, people's careers, job roles.

People follow personnel orders (発令): each service takes the effective date of the order and changes the
person's history from then on (see ``core.temporal.plan_change``: a late-recorded order does not undo a
later one that was recorded earlier).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.core.errors import RingfenceError
from ringfence.core.temporal import ChangeResult, apply_change, end_validity

from ..choices import EmploymentType, PersonStatus, ResponsibilityRole, UnitKind
from ..models import OrgUnit, OrgUnitVersion, Person, PersonVersion, Role, RoleMembership, UnitResponsibility
from ._common import (
    UNSET,
    Effective,
    _Unset,
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
    unit_by_code,
    version_at,
)

MAX_UNIT_DEPTH = 32

# ------------------------------------------------------------------------------------------------ units


def _check_no_cycle(unit: OrgUnit, parent: OrgUnit | None, at: dt.datetime) -> None:
    """Refuse a parent that is the unit itself or one of its descendants at ``at``."""
    seen: set[int] = set()
    current = parent
    while current is not None:
        if current.pk == unit.pk:
            raise RingfenceError(
                _("Unit %(unit)s cannot be placed under %(parent)s: that is itself or one of its sub-units.")
                % {"unit": unit.code, "parent": parent.code if parent else ""}
            )
        if current.pk in seen or len(seen) > MAX_UNIT_DEPTH:
            raise RingfenceError(_("The unit tree above %(unit)s loops.") % {"unit": current.code})
        seen.add(current.pk)
        row = version_at(OrgUnitVersion, at, entity=current)
        current = row.parent if row is not None else None


def _parent_at(parent_code: str | None, at: dt.datetime) -> OrgUnit | None:
    if not parent_code:
        return None
    parent = unit_by_code(parent_code)
    require_version_at(OrgUnitVersion, at, _("Parent unit %(code)s") % {"code": parent_code}, entity=parent)
    return parent


def create_unit(
    code: str,
    *,
    name: str,
    kind: str,
    parent_code: str | None = None,
    effective: Effective,
    actor: str,
) -> OrgUnit:
    """Create a unit valid from ``effective`` (or reopen one closed earlier under the same code)."""
    actor = require_actor(actor)
    code = require_code(code, _("Unit code"))
    at = effective_at(effective)
    values = clean_values(OrgUnitVersion, {"name": name, "kind": kind})
    with transaction.atomic():
        unit, created = OrgUnit.objects.get_or_create(code=code)
        if not created and version_at(OrgUnitVersion, at, entity=unit) is not None:
            raise RingfenceError(_("Unit %(code)s already exists at that date.") % {"code": code})
        parent = _parent_at(parent_code, at)
        if kind == UnitKind.HEAD_OFFICE and parent is not None:
            raise RingfenceError(_("A head office has no parent unit."))
        _check_no_cycle(unit, parent, at)
        values["parent"] = parent
        result = apply_change(OrgUnitVersion, {"entity": unit}, values, at, source=actor)
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.unit",
            target_ref=code,
            operation="create_unit",
            effective_from=at,
            values=values,
            result=result,
        )
    return unit


def change_unit(
    code: str,
    *,
    effective: Effective,
    actor: str,
    name: str | None = None,
    kind: str | None = None,
    parent_code: str | _Unset | None = UNSET,
) -> ChangeResult:
    """Rename, re-classify or re-parent a unit from ``effective`` (``parent_code=None`` makes it a root)."""
    actor = require_actor(actor)
    at = effective_at(effective)
    unit = unit_by_code(code)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if kind is not None:
        changes["kind"] = kind
    changes = clean_values(OrgUnitVersion, changes)
    with transaction.atomic():
        require_version_at(OrgUnitVersion, at, _("Unit %(code)s") % {"code": code}, entity=unit)
        if not isinstance(parent_code, _Unset):
            parent = _parent_at(parent_code, at)
            _check_no_cycle(unit, parent, at)
            changes["parent"] = parent
        if not changes:
            raise RingfenceError(_("Nothing to change for unit %(code)s.") % {"code": code})
        result = apply_change(OrgUnitVersion, {"entity": unit}, changes, at, source=actor)
        audit_change(
            AuditAction.CHANGE,
            actor=actor,
            target_type="registry.unit",
            target_ref=code,
            operation="reparent_unit" if "parent" in changes else "change_unit",
            effective_from=at,
            values=changes,
            result=result,
        )
    return result


def close_unit(code: str, *, effective: Effective, actor: str) -> ChangeResult:
    """Abolish a unit from ``effective``; refused while people or sub-units are still in it then."""
    actor = require_actor(actor)
    at = effective_at(effective)
    unit = unit_by_code(code)
    with transaction.atomic():
        require_version_at(OrgUnitVersion, at, _("Unit %(code)s") % {"code": code}, entity=unit)
        members = PersonVersion.objects.overlapping(at, None).known_at().filter(unit=unit).count()
        if members:
            raise RingfenceError(
                _("Unit %(code)s still has %(count)d people on or after that date; transfer them first.")
                % {"code": code, "count": members}
            )
        children = OrgUnitVersion.objects.overlapping(at, None).known_at().filter(parent=unit).count()
        if children:
            raise RingfenceError(
                _("Unit %(code)s still has sub-units on or after that date; move them first.")
                % {"code": code}
            )
        result = end_validity(OrgUnitVersion, {"entity": unit}, at, source=actor)
        audit_change(
            AuditAction.DELETE,
            actor=actor,
            target_type="registry.unit",
            target_ref=code,
            operation="close_unit",
            effective_from=at,
            result=result,
        )
    return result


def assign_responsibility(
    unit_code: str,
    employee_number: str,
    role: str,
    *,
    effective_from: Effective,
    effective_to: Effective | None = None,
    actor: str,
) -> ChangeResult:
    """Make a person the conduct officer, conduct manager or line manager of a unit over an interval."""
    actor = require_actor(actor)
    start, end = effective_at(effective_from), optional_effective_at(effective_to)
    check_interval(start, end)
    role = clean_values(UnitResponsibility, {"role": role})["role"]
    unit, person = unit_by_code(unit_code), person_by_number(employee_number)
    with transaction.atomic():
        require_version_at(OrgUnitVersion, start, _("Unit %(code)s") % {"code": unit_code}, entity=unit)
        require_version_at(
            PersonVersion, start, _("Person %(number)s") % {"number": employee_number}, entity=person
        )
        result = apply_change(
            UnitResponsibility, {"unit": unit, "person": person, "role": role}, {}, start, end, source=actor
        )
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.unit_responsibility",
            target_ref=f"{unit_code}/{employee_number}/{role}",
            operation="assign_responsibility",
            effective_from=start,
            effective_to=end,
            result=result,
        )
    return result


def end_responsibility(
    unit_code: str, employee_number: str, role: str, *, effective: Effective, actor: str
) -> ChangeResult:
    """The person stops holding that responsibility for the unit at ``effective``."""
    actor = require_actor(actor)
    at = effective_at(effective)
    if role not in ResponsibilityRole.values:
        raise RingfenceError(_("Unknown responsibility %(role)s.") % {"role": role})
    unit, person = unit_by_code(unit_code), person_by_number(employee_number)
    with transaction.atomic():
        result = end_validity(
            UnitResponsibility, {"unit": unit, "person": person, "role": role}, at, source=actor
        )
        if not result.changed:
            raise RingfenceError(
                _("%(number)s holds no such responsibility for %(unit)s after that date.")
                % {"number": employee_number, "unit": unit_code}
            )
        audit_change(
            AuditAction.DELETE,
            actor=actor,
            target_type="registry.unit_responsibility",
            target_ref=f"{unit_code}/{employee_number}/{role}",
            operation="end_responsibility",
            effective_from=at,
            result=result,
        )
    return result


# ----------------------------------------------------------------------------------------------- people


def _unit_valid_at(unit_code: str, at: dt.datetime) -> OrgUnit:
    unit = unit_by_code(unit_code)
    require_version_at(OrgUnitVersion, at, _("Unit %(code)s") % {"code": unit_code}, entity=unit)
    return unit


def _change_person(
    employee_number: str,
    changes: dict[str, Any],
    *,
    at: dt.datetime,
    actor: str,
    operation: str,
    allowed_status: tuple[str, ...],
) -> ChangeResult:
    person = person_by_number(employee_number)
    current = require_version_at(
        PersonVersion, at, _("Person %(number)s") % {"number": employee_number}, entity=person
    )
    if current.status not in allowed_status:
        raise RingfenceError(
            _("%(number)s is %(status)s at that date; %(operation)s is not possible.")
            % {
                "number": employee_number,
                "status": PersonStatus(current.status).label,
                "operation": operation,
            }
        )
    result = apply_change(PersonVersion, {"entity": person}, changes, at, source=actor)
    audit_change(
        AuditAction.CHANGE,
        actor=actor,
        target_type="registry.person",
        target_ref=employee_number,
        operation=operation,
        effective_from=at,
        values=changes,
        result=result,
    )
    return result


EMPLOYED = (PersonStatus.ACTIVE.value, PersonStatus.ON_LEAVE.value)


def hire_person(
    employee_number: str,
    *,
    name_kanji: str,
    unit_code: str,
    employment_type: str = EmploymentType.OWN_EMPLOYEE,
    effective: Effective,
    actor: str,
    name_kana: str = "",
    employer: str = "",
    job_title: str = "",
    email: str = "",
) -> Person:
    """Take a person on (own employee, contractor, affiliate or seconded staff); rehiring is allowed."""
    actor = require_actor(actor)
    employee_number = require_code(employee_number, _("Employee number"))
    at = effective_at(effective)
    values = clean_values(
        PersonVersion,
        {
            "name_kanji": name_kanji,
            "name_kana": name_kana,
            "employment_type": employment_type,
            "employer": employer,
            "job_title": job_title,
            "email": email,
            "status": PersonStatus.ACTIVE,
        },
    )
    with transaction.atomic():
        person, _created = Person.objects.get_or_create(employee_number=employee_number)
        current = version_at(PersonVersion, at, entity=person)
        if current is not None and current.status in EMPLOYED:
            raise RingfenceError(
                _("%(number)s is already employed at that date.") % {"number": employee_number}
            )
        values["unit"] = _unit_valid_at(unit_code, at)
        result = apply_change(PersonVersion, {"entity": person}, values, at, source=actor)
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.person",
            target_ref=employee_number,
            operation="hire",
            effective_from=at,
            values=values,
            result=result,
        )
    return person


def transfer_person(
    employee_number: str,
    unit_code: str,
    *,
    effective: Effective,
    actor: str,
    job_title: str | None = None,
) -> ChangeResult:
    """Move a person to another unit from ``effective`` (異動), optionally with a new job title."""
    actor = require_actor(actor)
    at = effective_at(effective)
    with transaction.atomic():
        changes: dict[str, Any] = {"unit": _unit_valid_at(unit_code, at)}
        if job_title is not None:
            changes.update(clean_values(PersonVersion, {"job_title": job_title}))
        return _change_person(
            employee_number, changes, at=at, actor=actor, operation="transfer", allowed_status=EMPLOYED
        )


def change_employment_type(
    employee_number: str,
    employment_type: str,
    *,
    effective: Effective,
    actor: str,
    employer: str | None = None,
) -> ChangeResult:
    """Change how a person is employed (e.g. contractor taken on as own employee), with the employer."""
    actor = require_actor(actor)
    at = effective_at(effective)
    changes: dict[str, Any] = {"employment_type": employment_type}
    if employer is not None:
        changes["employer"] = employer
    changes = clean_values(PersonVersion, changes)
    with transaction.atomic():
        return _change_person(
            employee_number,
            changes,
            at=at,
            actor=actor,
            operation="change_employment_type",
            allowed_status=EMPLOYED,
        )


def start_leave(employee_number: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The person goes on leave (休職) from ``effective``."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_person(
            employee_number,
            {"status": PersonStatus.ON_LEAVE},
            at=at,
            actor=require_actor(actor),
            operation="leave",
            allowed_status=(PersonStatus.ACTIVE,),
        )


def return_from_leave(employee_number: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The person comes back from leave (復職) at ``effective``."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_person(
            employee_number,
            {"status": PersonStatus.ACTIVE},
            at=at,
            actor=require_actor(actor),
            operation="return",
            allowed_status=(PersonStatus.ON_LEAVE,),
        )


def retire_person(employee_number: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The person retires (退職) at ``effective``; the history stays, with status retired."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_person(
            employee_number,
            {"status": PersonStatus.RETIRED},
            at=at,
            actor=require_actor(actor),
            operation="retire",
            allowed_status=EMPLOYED,
        )


def transfer_out_person(employee_number: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The person leaves for another company of the group (転籍・出向) at ``effective``."""
    at = effective_at(effective)
    with transaction.atomic():
        return _change_person(
            employee_number,
            {"status": PersonStatus.TRANSFERRED},
            at=at,
            actor=require_actor(actor),
            operation="transfer_out",
            allowed_status=EMPLOYED,
        )


def change_person_details(
    employee_number: str,
    *,
    effective: Effective,
    actor: str,
    name_kanji: str | None = None,
    name_kana: str | None = None,
    job_title: str | None = None,
    email: str | None = None,
    employer: str | None = None,
) -> ChangeResult:
    """Correct or change names, job title, e-mail or employer from ``effective`` (e.g. a change of name)."""
    given = {
        "name_kanji": name_kanji,
        "name_kana": name_kana,
        "job_title": job_title,
        "email": email,
        "employer": employer,
    }
    changes = clean_values(PersonVersion, {k: v for k, v in given.items() if v is not None})
    if not changes:
        raise RingfenceError(_("Nothing to change for %(number)s.") % {"number": employee_number})
    at = effective_at(effective)
    with transaction.atomic():
        return _change_person(
            employee_number,
            changes,
            at=at,
            actor=require_actor(actor),
            operation="change_person",
            allowed_status=tuple(PersonStatus.values),
        )


# ------------------------------------------------------------------------------------------------ roles


def save_role(code: str, name: str, *, actor: str) -> Role:
    """Create a job role or rename it (roles carry no history; their memberships and grants do)."""
    actor = require_actor(actor)
    code = require_code(code, _("Role code"))
    name = clean_values(Role, {"name": name})["name"]
    with transaction.atomic():
        role, created = Role.objects.update_or_create(code=code, defaults={"name": name})
        audit_change(
            AuditAction.CREATE if created else AuditAction.CHANGE,
            actor=actor,
            target_type="registry.role",
            target_ref=code,
            operation="save_role",
            values={"name": name},
        )
    return role


def add_role_member(
    role_code: str,
    employee_number: str,
    *,
    effective_from: Effective,
    effective_to: Effective | None = None,
    actor: str,
) -> ChangeResult:
    """The person holds the job role over ``[effective_from, effective_to)``."""
    actor = require_actor(actor)
    start, end = effective_at(effective_from), optional_effective_at(effective_to)
    check_interval(start, end)
    role, person = role_by_code(role_code), person_by_number(employee_number)
    with transaction.atomic():
        require_version_at(
            PersonVersion, start, _("Person %(number)s") % {"number": employee_number}, entity=person
        )
        result = apply_change(RoleMembership, {"role": role, "person": person}, {}, start, end, source=actor)
        audit_change(
            AuditAction.CREATE,
            actor=actor,
            target_type="registry.role_membership",
            target_ref=f"{role_code}/{employee_number}",
            operation="add_role_member",
            effective_from=start,
            effective_to=end,
            result=result,
        )
    return result


def remove_role_member(
    role_code: str, employee_number: str, *, effective: Effective, actor: str
) -> ChangeResult:
    """The person stops holding the job role at ``effective``."""
    actor = require_actor(actor)
    at = effective_at(effective)
    role, person = role_by_code(role_code), person_by_number(employee_number)
    with transaction.atomic():
        result = end_validity(RoleMembership, {"role": role, "person": person}, at, source=actor)
        if not result.changed:
            raise RingfenceError(
                _("%(number)s does not hold role %(role)s after that date.")
                % {"number": employee_number, "role": role_code}
            )
        audit_change(
            AuditAction.DELETE,
            actor=actor,
            target_type="registry.role_membership",
            target_ref=f"{role_code}/{employee_number}",
            operation="remove_role_member",
            effective_from=at,
            result=result,
        )
    return result

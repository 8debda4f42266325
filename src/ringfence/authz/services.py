"""Permission checks and scope, in one place, plus issuing logins.

Everything that decides whether a user may see something goes through ``access_for``: the roles in force
now, the permissions they grant and the scope (units, systems) they reach as of the date being viewed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.registry.models import InformationSystem, OrgUnit, OrgUnitVersion

from .models import RoleAssignment
from .roles import (
    EXPIRING_ROLES,
    ROLE_PERMISSIONS,
    SYSTEM_SCOPED_ROLES,
    UNIT_SCOPED_ROLES,
    UNSCOPED_ROLES,
    AppRole,
)


@dataclass(frozen=True)
class Scope:
    """What part of the registry a user reaches as of ``at``.

    ``everything`` means no restriction. Otherwise people are visible when their unit (as of ``at``) is in
    ``unit_ids`` (the units answered for and every unit below them as of ``at``); accounts when their system
    is in ``system_ids`` or their owner is visible; terminals when assigned to a visible unit.
    """

    at: dt.datetime
    everything: bool
    unit_ids: frozenset[int]
    system_ids: frozenset[int]

    @property
    def is_empty(self) -> bool:
        """True when the user reaches nothing at all."""
        return not self.everything and not self.unit_ids and not self.system_ids


@dataclass(frozen=True)
class Access:
    """The roles and permissions a user holds now, and the scope they reach as of a date."""

    roles: frozenset[str]
    permissions: frozenset[str]
    scope: Scope

    def can(self, permission: str) -> bool:
        """Whether the user holds ``permission`` (default deny)."""
        return permission in self.permissions


def units_below(unit_ids: Iterable[int], at: dt.datetime) -> frozenset[int]:
    """The given units and all units under them in the organisation tree as it stood at ``at``."""
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent_id in OrgUnitVersion.objects.as_of(at).values_list("entity_id", "parent_id"):
        if parent_id is not None:
            children[parent_id].append(unit_id)
    seen: set[int] = set()
    todo = list(unit_ids)
    while todo:
        unit_id = todo.pop()
        if unit_id in seen:
            continue
        seen.add(unit_id)
        todo.extend(children.get(unit_id, ()))
    return frozenset(seen)


def assignments_in_force(user: AbstractBaseUser | AnonymousUser, now: dt.datetime) -> list[RoleAssignment]:
    """The user's role assignments in force at ``now``, with their units and systems (three queries)."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(
        RoleAssignment.objects.in_force(now).filter(user_id=user.pk).prefetch_related("units", "systems")
    )


def access_from(
    user: AbstractBaseUser | AnonymousUser, assignments: list[RoleAssignment], at: dt.datetime
) -> Access:
    """Roles and permissions of ``assignments`` and the scope they reach as of ``at``."""
    if not user.is_authenticated or not user.is_active:
        return Access(frozenset(), frozenset(), Scope(at, False, frozenset(), frozenset()))
    roles = {a.role for a in assignments}
    if getattr(user, "is_superuser", False):
        # A Django superuser is an administrator; no other way around the role table.
        roles.add(AppRole.ADMIN)
    permissions: set[str] = set()
    for role in roles:
        permissions |= ROLE_PERMISSIONS.get(role, frozenset())
    everything = bool(roles & UNSCOPED_ROLES)
    unit_ids: frozenset[int] = frozenset()
    system_ids: set[int] = set()
    if not everything:
        direct_units = {u.pk for a in assignments if a.role in UNIT_SCOPED_ROLES for u in a.units.all()}
        unit_ids = units_below(direct_units, at) if direct_units else frozenset()
        system_ids = {s.pk for a in assignments if a.role in SYSTEM_SCOPED_ROLES for s in a.systems.all()}
    return Access(
        frozenset(str(r) for r in roles),
        frozenset(permissions),
        Scope(at, everything, unit_ids, frozenset(system_ids)),
    )


def compute_access(
    user: AbstractBaseUser | AnonymousUser, at: dt.datetime, now: dt.datetime | None = None
) -> Access:
    """Roles in force at ``now`` (default: the present) and the scope they reach as of ``at``."""
    return access_from(user, assignments_in_force(user, now or timezone.now()), at)


def access_for(request: HttpRequest, at: dt.datetime | None = None) -> Access:
    """The requesting user's access as of ``at`` (default now).

    Roles are read once per request; the scope once per request and date.
    """
    state: dict[Any, Any] = request.__dict__.setdefault("_ringfence_access", {})
    if "assignments" not in state:
        state["assignments"] = assignments_in_force(request.user, timezone.now())
    if at not in state:
        state[at] = access_from(request.user, state["assignments"], at or timezone.now())
    access: Access = state[at]
    return access


def has_permission(request: HttpRequest, permission: str) -> bool:
    """Whether the requesting user holds ``permission`` now."""
    return access_for(request).can(permission)


def record_denial(request: HttpRequest, reason: str, permission: str = "") -> None:
    """Put a refused request on the audit trail: who, what path, which permission was missing."""
    record(
        AuditAction.DENIED,
        request=request,
        target_type="url",
        target_ref=request.path,
        detail={"reason": reason, "permission": permission, "method": request.method or ""},
    )


def create_login(
    username: str,
    password: str,
    roles: list[str],
    *,
    units: list[str] | None = None,
    systems: list[str] | None = None,
    valid_until: dt.datetime | None = None,
) -> User:
    """Create or reset a login holding ``roles`` over the given unit and system codes.

    Idempotent: running it again resets the password and replaces the roles and scope. Unknown roles or
    codes, and an external reviewer without ``valid_until``, are refused with a RingfenceError.
    """
    known_roles = set(AppRole.values)
    unknown = [r for r in roles if r not in known_roles]
    if unknown or not roles:
        raise RingfenceError(
            f"unknown role(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(sorted(known_roles))}"
        )
    if valid_until is None and any(r in EXPIRING_ROLES for r in roles):
        raise RingfenceError("an external reviewer login needs an expiry date (valid_until)")
    if valid_until is not None and timezone.is_naive(valid_until):
        raise RingfenceError("valid_until must carry a time zone")
    unit_codes = list(dict.fromkeys(units or []))
    system_codes = list(dict.fromkeys(systems or []))
    with transaction.atomic():
        unit_objs = list(OrgUnit.objects.filter(code__in=unit_codes))
        system_objs = list(InformationSystem.objects.filter(code__in=system_codes))
        missing = sorted(set(unit_codes) - {u.code for u in unit_objs}) + sorted(
            set(system_codes) - {s.code for s in system_objs}
        )
        if missing:
            raise RingfenceError(f"unknown unit or system code(s): {', '.join(missing)}")
        if any(r in UNIT_SCOPED_ROLES for r in roles) and not unit_objs:
            raise RingfenceError("a line manager login needs at least one unit")
        if any(r in SYSTEM_SCOPED_ROLES for r in roles) and not system_objs:
            raise RingfenceError("a system owner login needs at least one system")
        user, created = User.objects.get_or_create(username=username)
        user.set_password(password)
        user.is_active = True
        # Administrators manage role assignments in the admin site, which needs Django's own flags;
        # everyone else gets neither, and the admin site is closed to them by DefaultDenyMiddleware too.
        user.is_staff = user.is_superuser = AppRole.ADMIN in roles
        user.save()
        RoleAssignment.objects.filter(user=user).delete()
        now = timezone.now()
        for role in dict.fromkeys(roles):
            assignment = RoleAssignment.objects.create(
                user=user, role=role, valid_from=now, valid_until=valid_until
            )
            if role in UNIT_SCOPED_ROLES:
                assignment.units.set(unit_objs)
            if role in SYSTEM_SCOPED_ROLES:
                assignment.systems.set(system_objs)
        record(
            AuditAction.CREATE if created else AuditAction.CHANGE,
            actor="system:create_login",
            target_type="login",
            target_ref=username,
            detail={
                "roles": list(dict.fromkeys(roles)),
                "units": unit_codes,
                "systems": system_codes,
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
    return user

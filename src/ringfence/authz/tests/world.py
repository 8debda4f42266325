"""A small registry and one login per role, shared by the web tests (authz, registry, audit).

Units: HQ ─ DIV-A ─ SEC-A1, HQ ─ DIV-B ─ SEC-B1. E002 transfers from SEC-B1 to SEC-A1 on 2025-04-01.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ringfence.authz.models import RoleAssignment
from ringfence.authz.services import create_login
from ringfence.core.temporal import apply_change
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry.models import (
    Account,
    AccountVersion,
    Entitlement,
    InformationSystem,
    OrgUnit,
    OrgUnitVersion,
    Person,
    PersonVersion,
    Room,
    RoomVersion,
    SystemVersion,
    Terminal,
    TerminalVersion,
    Zone,
    ZoneVersion,
)

PASSWORD = "Kakine-no-naka-2025!"
START = start_of_day_jst(dt.date(2020, 1, 1))
TRANSFER = start_of_day_jst(dt.date(2025, 4, 1))
BEFORE_TRANSFER = "2024-06-01"
AFTER_TRANSFER = "2025-06-01"

UNIT_NAMES = {
    "HQ": "本店",
    "DIV-A": "配電部",
    "SEC-A1": "配電計画課",
    "DIV-B": "営業部",
    "SEC-B1": "託送契約課",
}


@dataclass
class World:
    """Handles on what was built."""

    units: dict[str, OrgUnit]
    people: dict[str, Person]
    systems: dict[str, InformationSystem]


def _unit(code: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit.objects.create(code=code)
    apply_change(OrgUnitVersion, {"entity": unit}, {"name": UNIT_NAMES[code], "kind": kind, "parent": parent}, START)
    return unit


def _person(number: str, kanji: str, kana: str, unit: OrgUnit, employment_type: str = "own_employee") -> Person:
    person = Person.objects.create(employee_number=number)
    apply_change(
        PersonVersion,
        {"entity": person},
        {"name_kanji": kanji, "name_kana": kana, "unit": unit, "employment_type": employment_type},
        START,
    )
    return person


def build_world() -> World:
    """Create the registry described in the module docstring."""
    hq = _unit("HQ", "head_office", None)
    div_a = _unit("DIV-A", "division", hq)
    sec_a1 = _unit("SEC-A1", "section", div_a)
    div_b = _unit("DIV-B", "division", hq)
    sec_b1 = _unit("SEC-B1", "section", div_b)
    e1 = _person("E001", "山田 太郎", "ヤマダ タロウ", sec_a1)
    e2 = _person("E002", "佐藤 花子", "サトウ ハナコ", sec_b1)
    apply_change(PersonVersion, {"entity": e2}, {"unit": sec_a1}, TRANSFER, source="test:transfer")
    e3 = _person("E003", "鈴木 一郎", "スズキ イチロウ", sec_b1, "affiliate")
    systems = {}
    for code, name, classes in (
        ("SYS1", "料金計算システム", ["customer_contact", "usage_30min"]),
        ("SYS2", "託送業務システム", ["switching"]),
    ):
        system = InformationSystem.objects.create(code=code)
        apply_change(
            SystemVersion,
            {"entity": system},
            {"name_ja": name, "owner_unit": div_a, "data_classes": classes, "auth_features": ["two_factor"]},
            START,
        )
        systems[code] = system
    for system, account_id, owner in (
        (systems["SYS1"], "u001", e1),
        (systems["SYS1"], "u002", e2),
        (systems["SYS2"], "u003", e3),
    ):
        account = Account.objects.create(system=system, account_id=account_id)
        apply_change(AccountVersion, {"entity": account}, {"owner": owner, "kind": "personal"}, START)
    apply_change(
        Entitlement,
        {"system": systems["SYS1"], "person": e1, "role": None, "function": "*"},
        {"level": "view"},
        START,
    )
    zone = Zone.objects.create(code="Z-TD")
    apply_change(ZoneVersion, {"entity": zone}, {"name": "送配電専用区画", "kind": "td_only"}, START)
    room = Room.objects.create(code="R-101")
    apply_change(RoomVersion, {"entity": room}, {"name": "配電計画執務室", "zone": zone}, START)
    t1 = Terminal.objects.create(asset_tag="T001")
    apply_change(
        TerminalVersion,
        {"entity": t1},
        {"hostname": "pc-t001", "room": room, "assigned_unit": sec_a1, "assigned_person": e1},
        START,
    )
    t2 = Terminal.objects.create(asset_tag="T002")
    apply_change(
        TerminalVersion,
        {"entity": t2},
        {
            "hostname": "pc-t002",
            "assigned_unit": sec_b1,
            "status": "lent",
            "lent_to_person": e3,
            "lent_until": START + dt.timedelta(days=4000),
        },
        START,
    )
    return World(
        units={"HQ": hq, "DIV-A": div_a, "SEC-A1": sec_a1, "DIV-B": div_b, "SEC-B1": sec_b1},
        people={"E001": e1, "E002": e2, "E003": e3},
        systems=systems,
    )


LOGINS: dict[str, dict[str, Any]] = {
    "admin": {"roles": ["admin"]},
    "conduct": {"roles": ["conduct_officer"]},
    "analyst": {"roles": ["analyst"]},
    "lm_a": {"roles": ["line_manager"], "units": ["DIV-A"]},
    "lm_b": {"roles": ["line_manager"], "units": ["SEC-B1"]},
    "auditor": {"roles": ["auditor"]},
    "sysowner": {"roles": ["system_owner"], "systems": ["SYS2"]},
    "reviewer": {"roles": ["external_reviewer"]},
}


def build_logins() -> dict[str, Any]:
    """One login per entry of LOGINS, the reviewer's valid for a week."""
    users = {}
    for name, spec in LOGINS.items():
        extra = {}
        if "external_reviewer" in spec["roles"]:
            extra["valid_until"] = timezone.now() + dt.timedelta(days=7)
        users[name] = create_login(
            name, PASSWORD, spec["roles"], units=spec.get("units"), systems=spec.get("systems"), **extra
        )
    return users


def expire(user: Any) -> None:
    """Move all of a user's assignments into the past (what time does to an external reviewer)."""
    past = timezone.now() - dt.timedelta(days=30)
    RoleAssignment.objects.filter(user=user).update(valid_from=past, valid_until=past + dt.timedelta(days=7))

"""Entitlements and accounts of every system, with seeded ID-governance faults labelled for scoring."""

from __future__ import annotations

import datetime as dt
import random

from .catalogue import ROLE_ENTITLEMENTS, UNIVERSAL_SYSTEMS
from .facilities import TYPHOON_LOAN
from .names import person_name
from .organisation import FOUNDED
from .world import Account, Entitlement, Person, System, World

FAULT_KINDS = (
    "orphaned",
    "retiree_enabled",
    "affiliate_holding",
    "shared_id",
    "password_never_changed",
    "transferred_out_enabled",
    "emergency_temporary_leftover",
)
AFFILIATE_SYSTEMS = ["CIS", "CALL", "TEIDEN", "SWITCH"]
EMERGENCY_SYSTEMS = ["CIS", "TEIDEN", "CALL", "SAIGAI"]
_LEVEL_ORDER = {"view": 0, "update": 1, "export": 2, "admin": 3}


def entitled_systems(role: str) -> dict[str, str]:
    """System code -> level for a job role (universal systems included)."""
    levels: dict[str, str] = {}
    for system, level in [*UNIVERSAL_SYSTEMS, *ROLE_ENTITLEMENTS.get(role, [])]:
        if _LEVEL_ORDER[level] >= _LEVEL_ORDER.get(levels.get(system, ""), -1):
            levels[system] = level
    return levels


class _Ids:
    """Account IDs in the style each system uses, unique within the system."""

    def __init__(self) -> None:
        self.taken: dict[str, set[str]] = {}

    def make(self, system: System, person: Person) -> str:
        taken = self.taken.setdefault(system.code, set())
        if system.id_style == "number":
            base = person.employee_number
        elif system.id_style == "prefixed":
            base = f"{system.code[:2].lower()}{person.employee_number}"
        else:
            base = f"{person.romaji[1][:1]}{person.romaji[0]}"
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}{n}"
        taken.add(candidate)
        return candidate


def _account(
    system: str, account_id: str, owner: str, display: str, privilege: str, created: dt.date
) -> Account:
    return Account(
        system_code=system,
        account_id=account_id,
        owner=owner,
        kind="personal",
        status="enabled",
        display_name=display,
        privilege=privilege,
        created_on=created,
        disabled_at=None,
        password_changed_at=None,
        last_login_at=None,
    )


def build_entitlements_and_accounts(world: World, rng: random.Random) -> None:
    """Role entitlements, personal accounts per entitlement, then the seeded faults."""
    systems = {s.code: s for s in world.systems}
    for role in sorted(world.roles):
        for system, level in sorted(entitled_systems(role).items()):
            since = max(systems[system].go_live, FOUNDED)
            world.entitlements.append(Entitlement(system, role, "", level, since))
    ids = _Ids()
    week = world.week_start
    hire_dates: dict[str, dt.date] = {}
    for change in world.changes:
        hire_dates.setdefault(change.employee_number, change.effective_date)
    for person in world.people:
        if not person.role_code:
            continue
        hired = hire_dates[person.employee_number]
        for system, level in sorted(entitled_systems(person.role_code).items()):
            if system not in ("AD", "BUNSHO") and rng.random() < 0.08:
                continue  # not everyone in a role asks for every system
            created = max(hired, systems[system].go_live)
            account = _account(system, ids.make(systems[system], person), person.employee_number,
                               person.name_kanji, level, created)  # fmt: skip
            account.password_changed_at = week - dt.timedelta(days=rng.randint(1, 170))
            account.last_login_at = week - dt.timedelta(days=rng.randint(1, 20))
            if (
                person.status in ("retired", "transferred")
                and person.status_since
                and person.status_since < week
            ):
                account.status = "disabled"
                account.disabled_at = person.status_since + dt.timedelta(days=rng.randint(0, 5))
                account.last_login_at = person.status_since - dt.timedelta(days=rng.randint(1, 10))
            world.accounts.append(account)
    _seed_faults(world, rng, ids)


def _seed_faults(world: World, rng: random.Random, ids: _Ids) -> None:
    systems = {s.code: s for s in world.systems}
    week = world.week_start
    by_owner: dict[str, list[Account]] = {}
    for account in world.accounts:
        by_owner.setdefault(account.owner, []).append(account)

    def leavers(status: str) -> list[Person]:
        return [p for p in world.people if p.status == status and p.status_since and p.status_since < week]

    # Retirees and 転籍 staff whose IDs nobody disabled (a few of each; inside-the-week leavers always).
    for status, fault, share in (
        ("retired", "retiree_enabled", 0.1),
        ("transferred", "transferred_out_enabled", 0.3),
    ):
        for person in leavers(status):
            if rng.random() < share:
                for account in by_owner.get(person.employee_number, []):
                    if account.system_code != "BUNSHO":
                        account.status, account.disabled_at = "enabled", None
                        account.faults.append(fault)
    for person in world.people:
        if (
            person.status in ("retired", "transferred")
            and person.status_since
            and person.status_since >= week
        ):
            fault = "retiree_enabled" if person.status == "retired" else "transferred_out_enabled"
            for account in by_owner.get(person.employee_number, []):
                account.faults.append(fault)  # still enabled after the order took effect

    # Orphaned IDs: the owner left before the ledger existed, or the ID was made by hand.
    for system in world.systems:
        count = max(1, len([a for a in world.accounts if a.system_code == system.code]) // 200)
        for _ in range(count):
            kanji, _kana, romaji = person_name(rng)
            ghost = _ghost(rng, romaji)
            account = _account(system.code, ids.make(system, ghost), "", kanji, "update",
                               dt.date(rng.randint(2015, 2022), rng.randint(1, 12), 1))  # fmt: skip
            account.password_changed_at = account.created_on
            account.faults.append("orphaned")
            world.accounts.append(account)

    # Affiliate staff holding IDs of T&D systems (the root of the 2023 incidents).
    affiliates = [p for p in world.people if p.employment_type == "affiliate"]
    holders = rng.sample(affiliates, max(3, len(affiliates) // 25))
    for index, person in enumerate(holders):
        # The first two holders are the ones the labelled scenarios use: a CIS ID used on a lent terminal, and
        # a CALL ID backed by a direct entitlement someone granted (affiliate staff given T&D access rights).
        codes = [["CIS"], ["CALL"]][index] if index < 2 else rng.sample(AFFILIATE_SYSTEMS, rng.randint(1, 2))
        if index == 1:
            world.entitlements.append(
                Entitlement("CALL", "", person.employee_number, "view", dt.date(2025, 6, 1))
            )
        for code in codes:
            account = _account(code, ids.make(systems[code], person), person.employee_number,
                               person.name_kanji, "view", dt.date(2021, rng.randint(1, 12), 1))  # fmt: skip
            account.password_changed_at = week - dt.timedelta(days=rng.randint(10, 300))
            account.faults.append("affiliate_holding")
            world.accounts.append(account)

    # Shared IDs kept by a line manager.
    managers = [r.employee_number for r in world.responsibilities if r.role == "line_manager"]
    for code in ["HAIDEN", "CALL", "KOJI", "GENBA", "CIS", "MDMS", "SAIGAI"]:
        for n in range(1, rng.randint(2, 3)):
            account = _account(code, f"{code.lower()}_kyoyo{n:02d}", rng.choice(managers), "共用ID", "update",
                               dt.date(rng.randint(2017, 2021), 4, 1))  # fmt: skip
            account.kind = "shared"
            account.password_changed_at = account.created_on
            account.faults.extend(["shared_id", "password_never_changed"])
            world.accounts.append(account)

    # Emergency-temporary IDs issued for the 2024 typhoon and never removed.
    for code in EMERGENCY_SYSTEMS:
        for n in range(1, 5):
            account = _account(code, f"rinji{TYPHOON_LOAN:%Y%m}{n:02d}", "", "台風災害応援用臨時ID", "update",
                               TYPHOON_LOAN - dt.timedelta(days=1))  # fmt: skip
            account.kind = "emergency_temporary"
            account.password_changed_at = account.created_on
            account.faults.extend(["emergency_temporary_leftover", "password_never_changed"])
            world.accounts.append(account)

    # Passwords never changed since the ID was made.
    personal = [a for a in world.accounts if a.kind == "personal" and not a.faults and a.status == "enabled"]
    for account in rng.sample(personal, max(5, len(personal) // 40)):
        account.password_changed_at = None
        account.faults.append("password_never_changed")


def _ghost(rng: random.Random, romaji: tuple[str, str]) -> Person:
    """A person who is not in the registry, to mint an orphaned ID."""
    return Person(
        employee_number=f"0{rng.randint(100000, 999999)}",
        name_kanji="",
        name_kana="",
        romaji=romaji,
        unit_code="",
        employment_type="own_employee",
        employer="",
        status="retired",
        job_title="",
        email="",
        valid_from=FOUNDED,
    )


def entitlement_level(world: World, person: Person, system: str) -> str | None:
    """The level ``person`` is entitled to on ``system`` through roles or direct grants (None: none)."""
    best: str | None = entitled_systems(person.role_code).get(system) if person.role_code else None
    for grant in world.entitlements:
        if (
            grant.employee_number == person.employee_number
            and grant.system_code == system
            and (best is None or _LEVEL_ORDER[grant.level] > _LEVEL_ORDER[best])
        ):
            best = grant.level
    return best

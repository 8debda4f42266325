"""The organisation of the demo utility: units, people with their personnel orders, roles, responsibilities."""

from __future__ import annotations

import datetime as dt
import random

from .names import person_name, town_names
from .world import AFFILIATE_NAME, DOMAIN, UTILITY_NAME, Change, Person, Responsibility, Unit, World

FOUNDED = dt.date(2020, 4, 1)  # 法的分離: the T&D company was split off on 2020-04-01
HISTORY_FROM = dt.date(2023, 4, 1)

DIVISIONS = [
    ("D01", "配電部", "HAIDEN_PLAN"),
    ("D02", "送変電部", "SOHEN"),
    ("D03", "系統運用部", "KEITO"),
    ("D04", "総務部", "SOMU"),
    ("D05", "情報システム部", "ITADM"),
    ("D06", "お客さま本部", "TAKUSO"),
    ("D07", "ネットワーク企画部", "SAIENE"),
    ("D08", "経理部", "SOMU"),
]
BRANCHES = ["中央", "北部", "南部", "東部", "西部", "湾岸", "高原"]
OFFICES_PER_BRANCH = [9, 9, 9, 8, 8, 8, 9]  # 60 offices

ROLES = {
    "HAIDEN_PLAN": "配電計画担当",
    "HAIDEN_KOJI": "配電工事担当",
    "SOHEN": "送変電保守担当",
    "KEITO": "系統運用担当",
    "SOMU": "総務担当",
    "ITADM": "情報システム管理担当",
    "TAKUSO": "託送業務担当",
    "RYOKIN": "料金計算担当",
    "CUSTOMER": "お客さま対応担当",
    "METER": "スマートメーター担当",
    "SAIENE": "再エネ連系担当",
    "GENBA": "現地作業担当",
    "CALL_T": "停電コールセンター担当",
    "IT_VENDOR": "システム保守委託",
}
OFFICE_ROLES = ["HAIDEN_KOJI", "HAIDEN_KOJI", "GENBA", "GENBA", "METER", "CUSTOMER", "CUSTOMER", "RYOKIN"]
BRANCH_ROLES = ["TAKUSO", "RYOKIN", "CUSTOMER", "SAIENE", "HAIDEN_PLAN", "SOMU"]
TITLES = ["担当"] * 12 + ["主任"] * 5 + ["副長"] * 2 + ["課長"]

CONTRACTORS = [
    "みなと電設工業株式会社",
    "東邦配電サービス株式会社",
    "みなとシステムサービス株式会社",
    "湾岸テクノ株式会社",
    "株式会社ライフラインコール",
]
SECONDING = "みなと電力ホールディングス株式会社"
EXTERNAL = ["監査法人あおば", "株式会社ネットワークセキュリティ研究所"]

# Population at scale 1 (the brief: ~5,000 own, ~300 contractors, ~400 affiliate, some seconded/external).
POPULATION = {"own_employee": 5000, "contractor": 300, "affiliate": 400, "seconded": 40, "external": 20}


def build_units(world: World, rng: random.Random) -> None:
    """本店, its divisions, 7 支社 and 60 事業所/ネットワークセンター."""
    add = world.units.append
    add(Unit("H000", "本店", "head_office", "", "本店ビル", FOUNDED))
    for code, name, _role in DIVISIONS:
        add(Unit(code, name, "division", "H000", "本店ビル", FOUNDED))
    towns = town_names(rng, sum(OFFICES_PER_BRANCH))
    for b, (branch, count) in enumerate(zip(BRANCHES, OFFICES_PER_BRANCH, strict=True), start=1):
        bcode = f"B{b}00"
        add(Unit(bcode, f"{branch}支社", "branch", "H000", f"{branch}支社ビル", FOUNDED))
        for o in range(1, count + 1):
            town = towns.pop()
            name = f"{town}ネットワークセンター" if o == 1 else f"{town}事業所"
            add(Unit(f"B{b}{o:02d}", name, "office", bcode, name, FOUNDED))


def _email(romaji: tuple[str, str], number: str, domain: str) -> str:
    return f"{romaji[1]}.{romaji[0]}.{number[-4:]}@{domain}"


def _new_person(
    rng: random.Random, number: str, unit: str, etype: str, employer: str, title: str, role: str, domain: str
) -> Person:
    kanji, kana, romaji = person_name(rng)
    return Person(
        employee_number=number,
        name_kanji=kanji,
        name_kana=kana,
        romaji=romaji,
        unit_code=unit,
        employment_type=etype,
        employer=employer,
        status="active",
        job_title=title,
        email=_email(romaji, number, domain),
        valid_from=FOUNDED,
        role_code=role,
        status_since=None,
    )


def _hire_date(rng: random.Random, latest: dt.date) -> dt.date:
    """Most own staff joined on an April 1st; recent hires land inside the history window."""
    year = rng.randint(1988, latest.year - (1 if latest.month < 4 else 0))
    return dt.date(year, 4, 1)


def _record(world: World, person: Person, day: dt.date, change: str) -> None:
    world.changes.append(
        Change(
            person.employee_number,
            day,
            change,
            person.unit_code,
            person.employment_type,
            person.employer,
            person.job_title,
            person.name_kanji,
            person.name_kana,
        )
    )
    person.valid_from = day
    person.status_since = day


def build_people(world: World, rng: random.Random, scale: float) -> None:
    """People of every employment type, each with the personnel orders that brought them to their state."""
    units = world.units
    divisions = [u for u in units if u.kind == "division"]
    branches = [u for u in units if u.kind == "branch"]
    offices = [u for u in units if u.kind == "office"]
    division_role = {code: role for code, _n, role in DIVISIONS}
    snapshot = world.snapshot
    count = {k: max(4, round(v * scale)) for k, v in POPULATION.items()}

    def own_placement() -> tuple[str, str]:
        r = rng.random()
        if r < 0.15:
            unit = rng.choice(divisions)
            role = division_role[unit.code]
            if unit.code == "D06":
                role = rng.choice(["TAKUSO", "RYOKIN", "CUSTOMER", "METER"])
            return unit.code, role
        if r < 0.33:
            return rng.choice(branches).code, rng.choice(BRANCH_ROLES)
        return rng.choice(offices).code, rng.choice(OFFICE_ROLES)

    for i in range(count["own_employee"]):
        number = f"{1000000 + i * 7 + rng.randint(0, 6)}"
        unit, role = own_placement()
        person = _new_person(
            rng, number, unit, "own_employee", UTILITY_NAME, rng.choice(TITLES), role, DOMAIN
        )
        hired = _hire_date(rng, snapshot)
        # A third of recent years' hires fall inside the history window; older staff get a hire order too,
        # so every timeline starts at a 発令 and the registry's history is complete.
        _record(world, person, max(hired, FOUNDED), "hire")
        world.people.append(person)

    specials = [
        ("contractor", "C", lambda: rng.choice(CONTRACTORS), ["GENBA", "CALL_T", "IT_VENDOR", "HAIDEN_KOJI"]),
        ("affiliate", "A", lambda: AFFILIATE_NAME, [""]),
        ("seconded", "S", lambda: SECONDING, ["SOMU", "ITADM", "TAKUSO"]),
        ("external", "X", lambda: rng.choice(EXTERNAL), [""]),
    ]
    for etype, prefix, employer_of, roles in specials:
        for i in range(count[etype]):
            number = f"{prefix}{20000 + i * 3 + rng.randint(0, 2):06d}"
            employer = employer_of()
            if etype == "affiliate":
                unit, title = "", rng.choice(["営業担当", "お客さまセンター担当", "主任", "課長"])
            elif etype == "external":
                unit, title = "D04", "外部委員"
            else:
                unit, title = rng.choice(offices if etype == "contractor" else divisions).code, "担当"
            domain = "minato-ep.example" if etype == "affiliate" else "partner.example"
            person = _new_person(rng, number, unit, etype, employer, title, rng.choice(roles), domain)
            start = dt.date(rng.randint(2020, snapshot.year - 1), rng.choice([4, 7, 10]), 1)
            _record(world, person, start, "hire")
            world.people.append(person)

    _history(world, rng, offices + branches + divisions)


def _history(world: World, rng: random.Random, units: list[Unit]) -> None:
    """Transfers, retirements, 転籍, leave and return since HISTORY_FROM, plus a few inside the log week."""
    own = [p for p in world.people if p.employment_type == "own_employee"]
    order_days = [
        dt.date(y, m, 1) for y in range(HISTORY_FROM.year, world.snapshot.year + 1) for m in (4, 7, 10)
    ]
    order_days = [d for d in order_days if HISTORY_FROM <= d < world.week_start]
    for day in order_days:
        for person in rng.sample(own, len(own) // 12):
            if person.status != "active" or person.valid_from >= day:
                continue
            person.unit_code = rng.choice(units).code
            _record(world, person, day, "transfer")
        if day.month == 4:
            for person in rng.sample(own, max(2, len(own) // 60)):
                if person.status == "active" and person.valid_from < day:
                    person.status = "retired"
                    _record(world, person, day, "retire")
        if day.month == 10:
            for person in rng.sample(own, max(1, len(own) // 400)):
                if person.status == "active" and person.valid_from < day:
                    person.status = "transferred"
                    person.employer = AFFILIATE_NAME
                    _record(world, person, day, "transfer_out")
    for person in rng.sample(own, max(2, len(own) // 150)):
        if person.status == "active":
            leave = dt.date(world.week_start.year - 1, rng.randint(1, 12), 1)
            person.status = "on_leave"
            _record(world, person, leave, "leave")
            if rng.random() < 0.5:
                person.status = "active"
                _record(world, person, leave + dt.timedelta(days=rng.randint(90, 200)), "return")
    # Inside the week: mid-month retirements and transfers (the ones detection must catch).
    week = world.week_start
    active = [p for p in own if p.status == "active" and p.valid_from < week]
    movers = rng.sample(active, 7)
    # The one who moves to the affiliate this week works with customer data: the case the rules fear most.
    customer_facing = [
        p for p in active if p.role_code in ("CUSTOMER", "TAKUSO", "RYOKIN") and p not in movers
    ]
    movers.append(rng.choice(customer_facing))
    for person, offset, change in zip(
        movers, [1, 2, 3, 3, 4, 4, 2, 3], ["retire"] * 3 + ["transfer"] * 4 + ["transfer_out"], strict=True
    ):
        day = week + dt.timedelta(days=offset)
        if change == "retire":
            person.status = "retired"
        elif change == "transfer":
            person.unit_code = rng.choice(units).code
        else:
            person.status = "transferred"
            person.employer = AFFILIATE_NAME
        _record(world, person, day, change)
    world.changes.sort(key=lambda c: (c.effective_date, c.employee_number))


def build_roles_and_responsibilities(world: World, rng: random.Random) -> None:
    """Job roles, and per unit a line manager; 行為規制管理者 per office; 行為規制責任者 per branch/本店."""
    world.roles = dict(ROLES)
    by_unit: dict[str, list[Person]] = {}
    for person in world.people:
        if person.employment_type == "own_employee" and person.status == "active":
            by_unit.setdefault(person.unit_code, []).append(person)
    for unit in world.units:
        staff = by_unit.get(unit.code, [])
        if not staff:
            continue
        chosen = sorted(staff, key=lambda p: (p.job_title != "課長", p.employee_number))
        manager = chosen[0]
        manager.job_title = {"branch": "支社長", "office": "所長", "division": "部長"}.get(
            unit.kind, "本店長"
        )
        since = max(manager.valid_from, FOUNDED)
        world.responsibilities.append(
            Responsibility(unit.code, manager.employee_number, "line_manager", since)
        )
        if unit.kind == "office" and len(chosen) > 1:
            world.responsibilities.append(
                Responsibility(unit.code, chosen[1].employee_number, "conduct_manager", since)
            )
        if unit.kind in ("branch", "head_office") or unit.code == "D04":
            world.responsibilities.append(
                Responsibility(unit.code, manager.employee_number, "conduct_officer", since)
            )

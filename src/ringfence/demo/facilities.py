"""Zones, rooms, network segments and the terminal ledger, including the terminals lent in the 2024 typhoon."""

from __future__ import annotations

import datetime as dt
import random

from .world import AFFILIATE_CALL_CENTRE, AFFILIATE_NAME, Loan, Room, Segment, Terminal, World, Zone

TYPHOON_LOAN = dt.date(2024, 8, 30)  # 2024年台風第10号: terminals lent to the affiliate's call centre
AFFILIATE_CC_PREFIX = "172.20.10"
AFFILIATE_OFFICE_PREFIX = "172.20.1"
ORIGINAL = dt.date(2020, 4, 1)


def _site_of(unit_code: str) -> str:
    """Divisions sit in 本店; every branch and office is its own site."""
    return "H000" if unit_code.startswith(("D", "H")) or not unit_code else unit_code


def build_facilities(world: World, rng: random.Random) -> dict[str, tuple[str, str]]:
    """Zones, rooms, segments, terminals and loans; returns who works at which (hostname, IP)."""
    site_names = {u.code: u.site for u in world.units if u.kind in ("head_office", "branch", "office")}
    users_by_site: dict[str, list[str]] = {}
    for person in world.people:
        if (
            person.employment_type in ("own_employee", "contractor", "seconded")
            and person.status != "retired"
        ):
            users_by_site.setdefault(_site_of(person.unit_code), []).append(person.employee_number)

    site_prefixes: dict[str, list[str]] = {}
    for site, building in site_names.items():
        td, sh = f"Z-{site}-TD", f"Z-{site}-SH"
        world.zones.append(Zone(td, f"{building} 送配電専用区画", "td_only", building))
        world.rooms.append(Room(f"R-{site}-01", f"{building} 執務室", td, building, "2F"))
        second_octet = 0 if site == "H000" else int(site[1])
        third_base = 0 if site in ("H000",) or site.endswith("00") else int(site[2:]) * 16
        if site.endswith("00"):
            world.zones.append(Zone(sh, f"{building} 共用区画", "shared", building))
            world.rooms.append(Room(f"R-{site}-90", f"{building} 共用会議室", sh, building, "1F"))
            world.segments.append(
                Segment(
                    f"10.{second_octet}.250.0/24",
                    f"{building} 共用会議室",
                    building,
                    sh,
                    f"10.{second_octet}.250",
                )
            )
        needed = max(1, -(-(len(users_by_site.get(site, [])) * 6 // 5 + 2) // 200))
        prefixes = []
        for k in range(needed):
            prefix = (
                f"10.{second_octet}.{third_base + k + (1 if site.endswith('00') and site != 'H000' else 0)}"
            )
            world.segments.append(
                Segment(f"{prefix}.0/24", f"{building} 業務LAN{k + 1}", building, td, prefix)
            )
            prefixes.append(prefix)
        site_prefixes[site] = prefixes

    # The affiliate rents a floor of 中央支社ビル for its call centre, and has its own head office.
    central = site_names["B100"]
    world.zones.append(Zone("Z-AFF-CC", f"{AFFILIATE_CALL_CENTRE}（{central}5F）", "affiliate", central))
    world.zones.append(Zone("Z-AFF-HQ", f"{AFFILIATE_NAME} 本社", "affiliate", f"{AFFILIATE_NAME} 本社"))
    world.rooms.append(Room("R-AFF-CC", "お客さまセンター執務室", "Z-AFF-CC", central, "5F"))
    world.rooms.append(Room("R-AFF-HQ", "営業部執務室", "Z-AFF-HQ", f"{AFFILIATE_NAME} 本社", "3F"))
    world.segments.append(
        Segment(
            f"{AFFILIATE_CC_PREFIX}.0/24",
            "特定関係事業者 コールセンター",
            central,
            "Z-AFF-CC",
            AFFILIATE_CC_PREFIX,
        )
    )
    world.segments.append(
        Segment(f"{AFFILIATE_OFFICE_PREFIX}.0/24", "特定関係事業者 本社", f"{AFFILIATE_NAME} 本社", "Z-AFF-HQ",
                AFFILIATE_OFFICE_PREFIX)
    )  # fmt: skip
    world.zones.append(Zone("Z-DC", "データセンター", "td_only", "データセンター"))
    world.segments.append(Segment("10.200.0.0/24", "サーバセグメント", "データセンター", "Z-DC", "10.200.0"))
    return _terminals(world, rng, users_by_site, site_prefixes)


def _terminals(
    world: World, rng: random.Random, users_by_site: dict[str, list[str]], site_prefixes: dict[str, list[str]]
) -> dict[str, tuple[str, str]]:
    hosts: dict[str, tuple[str, str]] = {}
    serial = 100000
    people = world.people_by_number
    for site in sorted(site_prefixes):
        users = users_by_site.get(site, [])
        spares = max(1, len(users) // 6)
        slots = [(p, i) for i, p in enumerate(users)] + [("", len(users) + i) for i in range(spares)]
        for owner, index in slots:
            serial += rng.randint(1, 3)
            prefix = site_prefixes[site][index // 200]
            ip = f"{prefix}.{10 + index % 200}"
            hostname = f"TD{site}-{index + 1:04d}"
            kind = "laptop" if rng.random() < 0.35 else "desktop"
            unit = people[owner].unit_code if owner else site
            status = "in_use" if owner else rng.choice(["in_stock", "in_stock", "disposed"])
            world.terminals.append(
                Terminal(
                    asset_tag=f"PC{serial:07d}",
                    hostname=hostname,
                    ip_address=ip if status != "disposed" else "",
                    mac_address=":".join(f"{b:02x}" for b in [0x00, 0x1A, 0x4B, *rng.randbytes(3)]),
                    terminal_type=kind,
                    room_code=f"R-{site}-01",
                    assigned_unit_code=unit,
                    assigned_employee_number=owner,
                    status=status,
                    last_checked_on=dt.date(
                        world.week_start.year - rng.choice([0, 0, 1]), rng.choice([3, 9]), 30
                    ),
                    valid_from=ORIGINAL,
                )
            )
            if owner:
                hosts[owner] = (hostname, ip)
                people[owner].terminal = hostname
    _loans(world, rng)
    for person in world.people:
        if person.employment_type == "affiliate" and person.employee_number not in hosts:
            n = int(person.employee_number[1:]) % 230 + 20
            prefix = AFFILIATE_CC_PREFIX if "センター" in person.job_title else AFFILIATE_OFFICE_PREFIX
            hosts[person.employee_number] = (f"MEP-{n:04d}", f"{prefix}.{n}")
    return hosts


def _loans(world: World, rng: random.Random) -> None:
    """Past loans: laptops lent in the typhoon of 2024 — most came back, a dozen never did."""
    spare = [t for t in world.terminals if t.status == "in_stock" and t.terminal_type == "laptop"]
    spare += [t for t in world.terminals if t.status == "in_stock" and t.terminal_type != "laptop"]
    lent = spare[: min(len(spare), 36)]
    for i, terminal in enumerate(lent):
        never_back = i % 3 == 0  # a third never collected
        loan = Loan(
            asset_tag=terminal.asset_tag,
            lent_from=TYPHOON_LOAN,
            lent_until=dt.date(2024, 9, 30),
            returned_at=None if never_back else dt.date(2024, 9, 30) + dt.timedelta(days=rng.randint(0, 40)),
            lent_to=AFFILIATE_CALL_CENTRE,
            lent_to_employee_number="",
            actual_ip=f"{AFFILIATE_CC_PREFIX}.{200 + i}" if never_back else "",
        )
        world.loans.append(loan)

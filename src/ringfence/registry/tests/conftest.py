"""A small utility built through the registry services, shared by the registry tests.

Timeline (all dates 00:00 JST):
- units: HQ 本店 > DIST 配電部 > DPLAN 配電計画課; HQ > NORTH 北支社 > NSALES 北支社営業課
- E001 own employee, hired 2020-04-01 into DPLAN, transferred to NSALES 2024-04-01
- E002 contractor (東北エンジ), hired 2023-04-01 into DPLAN, retired 2024-07-01
- E003 affiliate staff (北電小売), hired 2023-04-01 into NSALES
- system CIS; account CIS:u001 owned by E001 from 2023-01-01... (E001 exists), owner E003 from 2024-09-01
- account CIS:svc01 a service account without owner; CIS:e002 owned by E002
- job role BILLING: E002 member 2023-04-01..2024-07-01; BILLING entitled to CIS billing/update;
  E001 directly entitled to CIS */view
- E001 conduct manager of DPLAN 2023-04-01..2024-04-01; E003 line manager of NSALES from 2023-04-01;
  E001 conduct officer of HQ from 2020-04-01
- zones TD (T&D only) and AFF (affiliate); room R-TD-1 in TD; segments 10.0.0.0/8 and 10.20.0.0/16 in TD
  (nested), 192.168.5.0/24 in AFF
- terminal PC-0001 in R-TD-1, 10.20.1.5, lent to E003 2024-05-01 (due 05-08), returned 2024-05-10
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import translation

from ringfence.registry import services as s

ACTOR = "tester"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class World:
    actor: str = ACTOR


def build_world() -> World:
    a = ACTOR
    s.create_unit("HQ", name="本店", kind="head_office", effective=day("2000-04-01"), actor=a)
    s.create_unit(
        "DIST", name="配電部", kind="division", parent_code="HQ", effective=day("2000-04-01"), actor=a
    )
    s.create_unit(
        "DPLAN", name="配電計画課", kind="section", parent_code="DIST", effective=day("2000-04-01"), actor=a
    )
    s.create_unit(
        "NORTH", name="北支社", kind="branch", parent_code="HQ", effective=day("2000-04-01"), actor=a
    )
    s.create_unit(
        "NSALES",
        name="北支社営業課",
        kind="section",
        parent_code="NORTH",
        effective=day("2000-04-01"),
        actor=a,
    )

    s.hire_person("E001", name_kanji="送配 太郎", unit_code="DPLAN", effective=day("2020-04-01"), actor=a)
    s.transfer_person("E001", "NSALES", effective=day("2024-04-01"), actor=a)
    s.hire_person(
        "E002",
        name_kanji="委託 花子",
        unit_code="DPLAN",
        employment_type="contractor",
        employer="東北エンジ",
        effective=day("2023-04-01"),
        actor=a,
    )
    s.retire_person("E002", effective=day("2024-07-01"), actor=a)
    s.hire_person(
        "E003",
        name_kanji="小売 次郎",
        unit_code="NSALES",
        employment_type="affiliate",
        employer="北電小売",
        effective=day("2023-04-01"),
        actor=a,
    )

    s.catalogue_system(
        "CIS",
        name_ja="託送料金システム",
        data_classes=["usage_30min", "customer_contact"],
        effective=day("2010-04-01"),
        actor=a,
    )
    s.register_account("CIS", "u001", owner_employee_number="E001", effective=day("2023-01-01"), actor=a)
    s.set_account_owner("CIS", "u001", "E003", effective=day("2024-09-01"), actor=a)
    s.register_account("CIS", "svc01", kind="service", effective=day("2023-01-01"), actor=a)
    s.register_account("CIS", "e002", owner_employee_number="E002", effective=day("2023-04-01"), actor=a)

    s.save_role("BILLING", "料金計算担当", actor=a)
    s.add_role_member(
        "BILLING", "E002", effective_from=day("2023-04-01"), effective_to=day("2024-07-01"), actor=a
    )
    s.grant_entitlement(
        "CIS",
        role_code="BILLING",
        function="billing",
        level="update",
        effective_from=day("2023-01-01"),
        actor=a,
    )
    s.grant_entitlement(
        "CIS", employee_number="E001", level="view", effective_from=day("2023-01-01"), actor=a
    )

    s.assign_responsibility("HQ", "E001", "conduct_officer", effective_from=day("2020-04-01"), actor=a)
    s.assign_responsibility(
        "DPLAN",
        "E001",
        "conduct_manager",
        effective_from=day("2023-04-01"),
        effective_to=day("2024-04-01"),
        actor=a,
    )
    s.assign_responsibility("NSALES", "E003", "line_manager", effective_from=day("2023-04-01"), actor=a)

    s.save_zone(
        "TD", name="送配電専用区域", kind="td_only", site="本店ビル", effective=day("2015-04-01"), actor=a
    )
    s.save_zone("AFF", name="小売区域", kind="affiliate", site="北支社", effective=day("2015-04-01"), actor=a)
    s.save_room(
        "R-TD-1", name="配電計画執務室", zone_code="TD", floor="5F", effective=day("2015-04-01"), actor=a
    )
    s.save_network_segment("10.0.0.0/8", zone_code="TD", name="社内", effective=day("2015-04-01"), actor=a)
    s.save_network_segment(
        "10.20.0.0/16", zone_code="TD", name="配電部LAN", effective=day("2015-04-01"), actor=a
    )
    s.save_network_segment(
        "192.168.5.0/24", zone_code="AFF", name="小売LAN", effective=day("2015-04-01"), actor=a
    )

    s.register_terminal(
        "PC-0001",
        hostname="TD-PC-0001",
        ip_address="10.20.1.5",
        terminal_type="laptop",
        room_code="R-TD-1",
        assigned_unit_code="DPLAN",
        effective=day("2022-04-01"),
        actor=a,
    )
    s.lend_terminal(
        "PC-0001",
        lent_from=day("2024-05-01"),
        lent_to_employee_number="E003",
        lent_to="北支社 小売 次郎",
        lent_until=day("2024-05-08"),
        actor=a,
    )
    s.return_terminal("PC-0001", returned_at=day("2024-05-10"), actor=a)
    return World()


@pytest.fixture
def english_messages():
    """Tests match the English source of messages, whatever the catalogue translates them to.

    Not autouse: other engineers' tests share this folder and may assert translated text.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def world(db, english_messages) -> World:
    return build_world()

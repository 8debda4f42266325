"""The demo utility has the shape the brief asks for: units, people in proportion, systems, terminals."""

from __future__ import annotations

import ipaddress
from collections import Counter

import pytest

from ringfence.demo.organisation import POPULATION
from ringfence.demo.registry_files import EMPLOYMENT_CODES, STATUS_CODES


def test_units_are_head_office_divisions_seven_branches_and_sixty_offices(registry) -> None:
    kinds = Counter(u["kind"] for u in registry["units"])
    assert kinds["head_office"] == 1
    assert kinds["branch"] == 7
    assert kinds["office"] == 60
    names = {u["name"] for u in registry["units"]}
    assert {"配電部", "送変電部", "系統運用部", "総務部", "情報システム部", "お客さま本部"} <= names
    codes = {u["code"] for u in registry["units"]}
    assert all(u["parent_code"] in codes for u in registry["units"] if u["kind"] != "head_office")


def test_people_come_in_the_asked_for_proportions(registry) -> None:
    types = Counter(EMPLOYMENT_CODES[p["雇用区分"]] for p in registry["people"])
    total = sum(types.values())
    expected_total = sum(POPULATION.values())
    for kind, count in POPULATION.items():
        assert types[kind] / total == pytest.approx(count / expected_total, abs=0.01), kind
    # The affiliate's staff all work for the affiliated retailer; contractors name their employer.
    affiliates = [p for p in registry["people"] if p["雇用区分"] == "グループ会社社員"]
    assert {p["会社名"] for p in affiliates} == {"みなとエナジーパートナー株式会社"}
    assert all(p["会社名"] for p in registry["people"] if p["雇用区分"] == "委託先社員")
    statuses = Counter(STATUS_CODES[p["在籍状況"]] for p in registry["people"])
    assert statuses["retired"] > 0 and statuses["transferred"] > 0 and statuses["on_leave"] > 0


def test_names_and_furigana_agree_and_are_katakana(registry) -> None:
    for person in registry["people"]:
        kanji, kana = person["氏名"].split(" "), person["氏名カナ"].split(" ")
        assert len(kanji) == len(kana) == 2
        assert all("\u30a0" <= ch <= "\u30ff" for ch in "".join(kana)), person["氏名カナ"]


def test_personnel_history_covers_every_kind_of_order_and_every_person(registry) -> None:
    changes = registry["personnel_changes"]
    assert {c["change"] for c in changes} == {"hire", "transfer", "retire", "transfer_out", "leave", "return"}
    hired = {c["employee_number"] for c in changes if c["change"] == "hire"}
    assert hired == {p["社員番号"] for p in registry["people"]}
    in_week = [c for c in changes if "2026-10-12" <= c["effective_date"] <= "2026-10-18"]
    assert {c["change"] for c in in_week} >= {"retire", "transfer", "transfer_out"}


def test_systems_catalogue(registry) -> None:
    systems = registry["systems"]
    assert len(systems) == 23
    names = {s["name_ja"] for s in systems}
    assert {"託送業務システム", "料金計算システム", "顧客情報管理システム", "停電情報システム"} <= names
    assert all(s["go_live"] for s in systems)


def test_responsibilities_per_branch_and_office(registry) -> None:
    by_role = Counter((r["role"], r["unit_code"][:1]) for r in registry["unit_responsibilities"])
    branches = {u["code"] for u in registry["units"] if u["kind"] == "branch"}
    officers = {r["unit_code"] for r in registry["unit_responsibilities"] if r["role"] == "conduct_officer"}
    assert branches <= officers
    assert by_role[("conduct_manager", "B")] > 40


def test_segments_zones_and_terminals(registry) -> None:
    zones = {z["code"]: z["kind"] for z in registry["zones"]}
    assert set(zones.values()) == {"td_only", "affiliate", "shared"}
    networks = [
        (ipaddress.ip_network(s["cidr"]), zones[s["zone_code"]]) for s in registry["network_segments"]
    ]
    assert any(kind == "affiliate" and "コールセンター" in s["name"] for s, (_, kind) in
               zip(registry["network_segments"], networks, strict=True))  # fmt: skip
    for terminal in registry["terminals"]:
        if terminal["ip_address"]:
            ip = ipaddress.ip_address(terminal["ip_address"])
            kinds = [kind for net, kind in networks if ip in net]
            assert kinds == ["td_only"], terminal["asset_tag"]
    assert len(registry["terminals"]) > len(registry["people"]) * 0.9
    never_back = [loan for loan in registry["terminal_loans"] if not loan["returned_at"]]
    assert never_back and all(loan["lent_from"].startswith("2024-") for loan in never_back)

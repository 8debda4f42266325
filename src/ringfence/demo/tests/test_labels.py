"""Every scenario kind is labelled, its lines exist, and each line says what its label says."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from functools import cache
from pathlib import Path

import pytest

from ringfence.demo.calendar import is_day_off
from ringfence.demo.scenarios import KINDS

from .readers import JST, Line, read_lines


@pytest.fixture(scope="module")
def lines_of(demo_dir: Path):
    formats = {s["system"]: s["format"] for s in
               json.loads((demo_dir / "logs" / "sources.json").read_text("utf-8"))["systems"]}  # fmt: skip

    @cache
    def parsed(relative: str) -> dict[int, Line]:
        system = relative.split("/")[1]
        return dict(read_lines(demo_dir / relative, formats[system]))

    def lines(label: dict) -> list[Line]:
        return [parsed(e["file"])[e["line"]] for e in label["events"]]

    return lines


def _by_kind(labels: list[dict], kind: str) -> list[dict]:
    found = [label for label in labels if label["kind"] == kind]
    assert found, kind
    return found


def _networks(registry, kind: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    zones = {z["code"]: z["kind"] for z in registry["zones"]}
    return [
        ipaddress.ip_network(s["cidr"]) for s in registry["network_segments"] if zones[s["zone_code"]] == kind
    ]


def _in(ip: str, networks) -> bool:
    return any(ipaddress.ip_address(ip) in net for net in networks)


def test_every_kind_is_labelled_once_at_least_with_titles(labels) -> None:
    assert {label["kind"] for label in labels} == set(KINDS)
    assert len({label["id"] for label in labels}) == len(labels)
    for label in labels:
        assert label["title_ja"] and label["title_en"] and label["system"]
        assert dt.datetime.fromisoformat(label["start"]) <= dt.datetime.fromisoformat(label["end"])
        if label["kind"] != "silent_log_source":
            assert label["events"], label["id"]


def test_labelled_lines_exist_carry_the_account_and_fall_in_the_interval(labels, lines_of) -> None:
    for label in labels:
        start, end = dt.datetime.fromisoformat(label["start"]), dt.datetime.fromisoformat(label["end"])
        for event, line in zip(label["events"], lines_of(label), strict=True):
            assert event["file"].startswith(f"logs/{label['system']}/")
            if label["account"] and label["kind"] != "password_guessing":
                assert line.account == label["account"], (label["id"], event)
            assert start - dt.timedelta(seconds=1) <= line.at <= end + dt.timedelta(seconds=1)


def test_retiree_id_is_used_after_the_registry_says_the_person_retired(labels, lines_of, registry) -> None:
    retired = {
        c["employee_number"]: c["effective_date"]
        for c in registry["personnel_changes"]
        if c["change"] == "retire"
    }
    people = {p["社員番号"]: p for p in registry["people"]}
    for label in _by_kind(labels, "retiree_id_in_use"):
        assert people[label["person"]]["在籍状況"] == "退職"
        left = dt.datetime.combine(dt.date.fromisoformat(retired[label["person"]]), dt.time.min, tzinfo=JST)
        assert all(line.at >= left for line in lines_of(label))
        owner = {
            (a["system_code"], a["account_id"]): a["owner_employee_number"] for a in registry["accounts"]
        }
        assert owner[(label["system"], label["account"])] == label["person"]


def test_transferred_out_id_is_used_after_the_transfer_from_the_affiliate(labels, lines_of, registry) -> None:
    moved = {c["employee_number"]: c["effective_date"] for c in registry["personnel_changes"]
             if c["change"] == "transfer_out"}  # fmt: skip
    affiliate = _networks(registry, "affiliate")
    for label in _by_kind(labels, "transferred_out_id_in_use"):
        since = dt.datetime.combine(dt.date.fromisoformat(moved[label["person"]]), dt.time.min, tzinfo=JST)
        assert all(line.at >= since and _in(line.ip, affiliate) for line in lines_of(label))


def test_orphaned_and_emergency_ids(labels, lines_of, registry) -> None:
    accounts = {(a["system_code"], a["account_id"]): a for a in registry["accounts"]}
    people = {p["社員番号"] for p in registry["people"]}
    for label in _by_kind(labels, "orphaned_id_in_use"):
        assert accounts[(label["system"], label["account"])]["owner_employee_number"] not in people
    for label in _by_kind(labels, "emergency_id_outside_grant"):
        account = accounts[(label["system"], label["account"])]
        assert account["kind"] == "emergency_temporary"
        assert all(line.at.date() > dt.date(2024, 9, 30) for line in lines_of(label))


def test_lent_terminal_is_used_by_affiliate_staff_from_the_call_centre(labels, lines_of, registry) -> None:
    terminals = {t["asset_tag"]: t for t in registry["terminals"]}
    loans = {loan["asset_tag"]: loan for loan in registry["terminal_loans"]}
    people = {p["社員番号"]: p for p in registry["people"]}
    affiliate = _networks(registry, "affiliate")
    for label in _by_kind(labels, "lent_terminal_affiliate_use"):
        assert loans[label["terminal"]]["returned_at"] == ""
        assert people[label["person"]]["雇用区分"] == "グループ会社社員"
        for line in lines_of(label):
            assert line.host == terminals[label["terminal"]]["hostname"]
            assert _in(line.ip, affiliate)


def test_td_ids_from_the_affiliate_network(labels, lines_of, registry) -> None:
    people = {p["社員番号"]: p for p in registry["people"]}
    affiliate = _networks(registry, "affiliate")
    for label in _by_kind(labels, "td_id_from_affiliate_segment"):
        assert people[label["person"]]["雇用区分"] == "正社員"
        assert all(_in(line.ip, affiliate) for line in lines_of(label))


def test_affiliate_staff_hold_an_entitlement_and_use_it(labels, lines_of, registry) -> None:
    for label in _by_kind(labels, "affiliate_granted_access"):
        grants = [e for e in registry["entitlements"]
                  if e["employee_number"] == label["person"] and e["system_code"] == label["system"]]  # fmt: skip
        assert grants
        assert all(line.outcome == "ok" for line in lines_of(label))


def test_bulk_export_saves_tens_of_thousands_of_records(labels, lines_of) -> None:
    for label in _by_kind(labels, "bulk_export"):
        lines = lines_of(label)
        assert all(line.action == "export" and line.outcome == "ok" for line in lines)
        assert sum(line.count or 0 for line in lines) >= 20_000


def test_misconfigured_system_lets_unentitled_operations_succeed(labels, lines_of, registry) -> None:
    levels = {(a["system_code"], a["account_id"]): a["privilege"] for a in registry["accounts"]}
    for label in _by_kind(labels, "misconfigured_access_control"):
        assert levels[(label["system"], label["account"])] == "view"
        lines = lines_of(label)
        assert {line.action for line in lines} <= {"update", "export", "delete"}
        assert all(line.outcome == "ok" for line in lines)


def test_off_hours_and_holiday(labels, lines_of) -> None:
    for label in _by_kind(labels, "off_hours_access"):
        assert all(not 7 <= line.at.astimezone(JST).hour < 22 for line in lines_of(label))
    for label in _by_kind(labels, "holiday_access"):
        assert all(is_day_off(line.at.astimezone(JST).date()) for line in lines_of(label))
    holiday = _by_kind(labels, "holiday_access")[0]
    assert holiday["day"] == "2026-10-12"  # スポーツの日


def test_password_guessing_is_a_burst_of_failures(labels, lines_of) -> None:
    for label in _by_kind(labels, "password_guessing"):
        lines = lines_of(label)
        failures = [line for line in lines if line.outcome == "fail"]
        assert len(failures) >= 30
        assert failures[-1].at - failures[0].at < dt.timedelta(minutes=10)
        assert len({line.ip for line in failures}) == 1


def test_shared_id_is_used_from_two_terminals_at_once(labels, lines_of, registry) -> None:
    kinds = {(a["system_code"], a["account_id"]): a["kind"] for a in registry["accounts"]}
    for label in _by_kind(labels, "shared_id_concurrent"):
        assert kinds[(label["system"], label["account"])] == "shared"
        spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}
        for line in lines_of(label):
            first, last = spans.get(line.host, (line.at, line.at))
            spans[line.host] = (min(first, line.at), max(last, line.at))
        assert len(spans) == 2
        (a_start, a_end), (b_start, b_end) = spans.values()
        assert a_start < b_end and b_start < a_end


def test_silent_source_has_no_file_for_its_day(labels, demo_dir: Path) -> None:
    for label in _by_kind(labels, "silent_log_source"):
        day = dt.date.fromisoformat(label["day"])
        names = [p.name for p in (demo_dir / "logs" / label["system"]).iterdir()]
        assert not any(f"{day:%Y%m%d}" in name for name in names)
        assert len(names) == 6

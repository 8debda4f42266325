"""Enriched fields from the registry, as of each event's time, at the exact boundaries of registry changes.

The registry world (ringfence.registry.tests.conftest) is built through the services and exported to a real
Parquet snapshot; events are a real Arrow table enriched by DuckDB.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ringfence.registry import services as s
from ringfence.registry.tests.conftest import ACTOR, build_world, day

from .enrich_support import connection, enrich_rows, event, jst, take_snapshot

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    build_world()
    # An entitlement granted later, and a nested segment retired: boundaries to test.
    s.grant_entitlement(
        "CIS", employee_number="E003", level="export", effective_from=day("2024-10-01"), actor=ACTOR
    )
    s.retire_network_segment("10.20.0.0/16", effective=day("2025-01-01"), actor=ACTOR)
    return take_snapshot(tmp_path)


def test_person_fields_follow_transfer_owner_change_and_retirement(snapshot: Path) -> None:
    rows = enrich_rows(
        connection(snapshot),
        [
            event("before-register", jst(2022, 12, 31, 23, 59, 59)),
            event("before-transfer", jst(2024, 4, 1) - SECOND),
            event("at-transfer", jst(2024, 4, 1)),
            event("before-owner-change", jst(2024, 9, 1) - SECOND),
            event("at-owner-change", jst(2024, 9, 1)),
            event("e002-working", jst(2024, 6, 30, 23, 59, 59), account="e002"),
            event("e002-retired", jst(2024, 7, 1), account="e002"),
        ],
    )
    unknown = rows["before-register"]
    assert unknown["account_known"] is False
    assert unknown["owner"] is None
    assert unknown["person_known"] is None and unknown["own_employee"] is None and unknown["entitled"] is None

    before = rows["before-transfer"]
    assert before["account_known"] is True
    assert (before["owner"], before["person_unit"], before["person_unit_name"]) == (
        "E001",
        "DPLAN",
        "配電計画課",
    )
    assert before["person_employment_type"] == "own_employee"
    assert before["person_status"] == "active"
    assert before["own_employee"] is True and before["person_known"] is True
    assert before["account_kind"] == "personal" and before["account_status"] == "enabled"

    at = rows["at-transfer"]
    assert (at["owner"], at["person_unit"], at["person_unit_name"]) == ("E001", "NSALES", "北支社営業課")
    assert rows["before-owner-change"]["owner"] == "E001"

    changed = rows["at-owner-change"]
    assert changed["owner"] == "E003"
    assert changed["person_employment_type"] == "affiliate"
    assert changed["person_employer"] == "北電小売"
    assert changed["own_employee"] is False

    working, retired = rows["e002-working"], rows["e002-retired"]
    assert (working["person_status"], working["person_employment_type"]) == ("active", "contractor")
    assert working["own_employee"] is False  # a contractor is never an own employee
    assert retired["person_status"] == "retired"
    assert retired["person_known"] is True


def test_entitlements_direct_by_role_by_function_and_granted_later(snapshot: Path) -> None:
    rows = enrich_rows(
        connection(snapshot),
        [
            event("e001-view", jst(2024, 1, 10, 10), activity="view"),
            event("e001-update", jst(2024, 1, 10, 10, 1), activity="update"),
            event("e001-logon", jst(2024, 1, 10, 10, 2), activity="logon", **{"class": "authentication"}),
            event("e001-pwchange", jst(2024, 1, 10, 10, 3), activity="password_change"),
            event(
                "e002-billing",
                jst(2024, 6, 30, 23, 59, 59),
                account="e002",
                activity="update",
                function="Billing",
            ),
            event(
                "e002-other-function", jst(2024, 6, 30, 12), account="e002", activity="view", function="meter"
            ),
            event(
                "e002-membership-ended", jst(2024, 7, 1), account="e002", activity="view", function="billing"
            ),
            event("e003-before-grant", jst(2024, 10, 1) - SECOND, activity="view"),
            event("e003-granted", jst(2024, 10, 1), activity="export"),
            event("e003-admin-activity", jst(2024, 10, 2), activity="password_reset"),
            event("service", jst(2024, 1, 10), account="svc01"),
        ],
    )
    view = rows["e001-view"]
    assert (view["entitled"], view["entitled_level"], view["required_level"]) == (True, "view", "view")
    assert view["entitled_for_activity"] is True
    update = rows["e001-update"]
    assert (update["required_level"], update["entitled_for_activity"]) == ("update", False)
    assert rows["e001-logon"]["required_level"] == "view"
    assert rows["e001-logon"]["entitled_for_activity"] is True
    # An activity that needs no particular level only needs an entitlement at all.
    pw = rows["e001-pwchange"]
    assert pw["required_level"] is None and pw["entitled_for_activity"] is True

    billing = rows["e002-billing"]  # through the BILLING job role, for its function only (case-insensitive)
    assert (billing["entitled"], billing["entitled_level"], billing["entitled_for_activity"]) == (
        True,
        "update",
        True,
    )
    other = rows["e002-other-function"]
    assert other["entitled"] is True and other["entitled_level"] is None
    assert other["entitled_for_activity"] is False
    ended = rows["e002-membership-ended"]
    assert (ended["entitled"], ended["entitled_level"], ended["entitled_for_activity"]) == (
        False,
        None,
        False,
    )

    assert rows["e003-before-grant"]["entitled"] is False
    assert rows["e003-before-grant"]["entitled_for_activity"] is False
    granted = rows["e003-granted"]
    assert (granted["entitled"], granted["entitled_level"], granted["required_level"]) == (
        True,
        "export",
        "export",
    )
    assert granted["entitled_for_activity"] is True
    admin = rows["e003-admin-activity"]
    assert (admin["required_level"], admin["entitled_for_activity"]) == ("admin", False)

    service = rows["service"]
    assert (service["account_known"], service["account_kind"], service["owner"]) == (True, "service", None)
    assert (service["person_known"], service["own_employee"], service["entitled"]) == (False, False, False)


def test_account_matching_ignores_case_domain_and_upn_suffix(snapshot: Path) -> None:
    rows = enrich_rows(
        connection(snapshot),
        [
            event("domain", jst(2024, 2, 1), account="CORP\\U001"),
            event("upn", jst(2024, 2, 1, 0, 1), account="u001@corp.example.co.jp"),
            event("spaces", jst(2024, 2, 1, 0, 2), account=" U001 "),
            event("ghost", jst(2024, 2, 1, 0, 3), account="ghost"),
            event("other-system", jst(2024, 2, 1, 0, 4), system="MDMS"),
            event("no-account", jst(2024, 2, 1, 0, 5), account=None),
        ],
    )
    for key in ("domain", "upn", "spaces"):
        assert rows[key]["owner"] == "E001", key
    assert rows["ghost"]["account_known"] is False
    assert rows["other-system"]["account_known"] is False  # the ID exists, but in another system
    assert rows["other-system"]["system_name"] is None
    assert rows["domain"]["system_name"] == "託送料金システム"
    assert rows["domain"]["system_holds_non_public"] is True
    assert rows["no-account"]["account_known"] is False and rows["no-account"]["owner"] is None


def test_terminal_by_tag_host_or_address_with_loan_and_return(snapshot: Path) -> None:
    rows = enrich_rows(
        connection(snapshot),
        [
            event("before-loan", jst(2024, 5, 1) - SECOND, terminal="PC-0001"),
            event("lent", jst(2024, 5, 1), terminal="pc-0001"),
            event("still-lent", jst(2024, 5, 10) - SECOND, src_host="TD-PC-0001.corp.example"),
            event("returned", jst(2024, 5, 10), src_ip="10.20.1.5"),
            event("unknown-tag-known-host", jst(2024, 6, 1), terminal="PC-9999", src_host="td-pc-0001"),
            event("unknown", jst(2024, 6, 1, 1), terminal="PC-9999", src_host="nowhere", src_ip="10.30.0.1"),
            event("before-registration", jst(2022, 3, 31, 12), terminal="PC-0001"),
        ],
    )
    before = rows["before-loan"]
    assert (before["terminal_tag"], before["terminal_known"], before["terminal_status"]) == (
        "PC-0001",
        True,
        "in_use",
    )
    assert (before["terminal_room"], before["terminal_zone"], before["terminal_zone_kind"]) == (
        "R-TD-1",
        "TD",
        "td_only",
    )
    assert before["terminal_lent_to"] is None
    lent = rows["lent"]
    assert (lent["terminal_status"], lent["terminal_lent_to"]) == ("lent", "E003")
    still = rows["still-lent"]
    assert (still["terminal_tag"], still["terminal_status"]) == ("PC-0001", "lent")
    returned = rows["returned"]
    assert (returned["terminal_tag"], returned["terminal_status"], returned["terminal_lent_to"]) == (
        "PC-0001",
        "in_use",
        None,
    )
    assert rows["unknown-tag-known-host"]["terminal_tag"] == "PC-0001"
    unknown = rows["unknown"]
    assert (unknown["terminal_tag"], unknown["terminal_known"], unknown["terminal_status"]) == (
        None,
        False,
        None,
    )
    assert rows["before-registration"]["terminal_known"] is False


def test_network_segment_is_the_longest_prefix_valid_at_the_time(snapshot: Path) -> None:
    rows = enrich_rows(
        connection(snapshot),
        [
            event("nested", jst(2024, 12, 31, 23, 59, 59), src_ip="10.20.9.9"),
            event("nested-retired", jst(2025, 1, 1), src_ip="10.20.9.9"),
            event("outer", jst(2024, 6, 1), src_ip="10.30.0.1"),
            event("affiliate", jst(2024, 6, 1), src_ip="192.168.5.7"),
            event("edge-low", jst(2024, 6, 1), src_ip="192.168.5.0"),
            event("edge-high", jst(2024, 6, 1), src_ip="192.168.5.255"),
            event("outside", jst(2024, 6, 1), src_ip="192.168.6.0"),
            event("public", jst(2024, 6, 1), src_ip="8.8.8.8"),
            event("ipv6", jst(2024, 6, 1), src_ip="fe80::1"),
            event("garbage", jst(2024, 6, 1), src_ip="10.0.0.300"),
        ],
    )
    assert (rows["nested"]["net_segment"], rows["nested"]["net_zone"], rows["nested"]["net_zone_kind"]) == (
        "10.20.0.0/16",
        "TD",
        "td_only",
    )
    assert rows["nested-retired"]["net_segment"] == "10.0.0.0/8"
    assert rows["outer"]["net_segment"] == "10.0.0.0/8"
    assert (rows["affiliate"]["net_segment"], rows["affiliate"]["net_zone_kind"]) == (
        "192.168.5.0/24",
        "affiliate",
    )
    assert rows["edge-low"]["net_segment"] == rows["edge-high"]["net_segment"] == "192.168.5.0/24"
    for key in ("outside", "public", "ipv6", "garbage"):
        assert rows[key]["net_segment"] is None, key
        assert rows[key]["net_zone_kind"] is None, key


def test_emergency_grants_are_not_yet_known(snapshot: Path) -> None:
    rows = enrich_rows(connection(snapshot), [event("any", jst(2024, 2, 1))])
    assert rows["any"]["emergency_grant_active"] is False
    assert rows["any"]["emergency_grant_until"] is None

# mypy: disable-error-code="union-attr"
# (Answers are Optional; a None where a test expects a value fails the test with AttributeError.)
"""As-of questions across transfers, retirements, owner changes, loans and late-recorded changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ringfence.core.timeutil import JST
from ringfence.registry import services as s
from ringfence.registry.selectors import asof
from ringfence.registry.selectors.asof import AccountState, NotInRegistry

from .conftest import ACTOR, day

pytestmark = pytest.mark.django_db


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def test_account_owner_across_a_transfer(world):
    before = asof.account_owner_at("CIS", "u001", at("2024-03-31 23:59"))
    after = asof.account_owner_at("CIS", "u001", day("2024-04-01"))
    assert before.state == after.state == AccountState.OWNED
    assert before.owner_employee_number == after.owner_employee_number == "E001"
    assert before.owner.unit.code == "DPLAN"
    assert [u.code for u in before.owner.unit.path] == ["HQ", "DIST", "DPLAN"]
    assert before.owner.unit.path_names == "本店 > 配電部 > 配電計画課"
    assert after.owner.unit.code == "NSALES"
    assert [u.name for u in after.owner.unit.path] == ["本店", "北支社", "北支社営業課"]
    assert after.owner.employment_type == "own_employee"
    assert before.system_name == "託送料金システム"


def test_account_owner_across_a_change_of_owner(world):
    old = asof.account_owner_at("CIS", "u001", at("2024-08-31 23:59:59"))
    new = asof.account_owner_at("CIS", "u001", day("2024-09-01"))
    assert old.owner_employee_number == "E001"
    assert new.owner_employee_number == "E003"
    assert (new.owner.employment_type, new.owner.employer) == ("affiliate", "北電小売")


def test_account_owner_across_a_retirement(world):
    active = asof.account_owner_at("CIS", "e002", day("2024-06-30"))
    retired = asof.account_owner_at("CIS", "e002", day("2024-07-01"))
    assert active.owner.status == "active" and retired.owner.status == "retired"
    assert retired.owner.employment_type == "contractor"
    assert retired.owner.employer == "東北エンジ"


def test_account_states_without_owner_or_existence(world):
    assert asof.account_owner_at("CIS", "svc01", day("2024-01-01")).state == AccountState.NO_OWNER
    assert asof.account_owner_at("CIS", "u001", day("2022-12-31")).state == AccountState.NOT_VALID
    unknown = asof.account_owner_at("CIS", "ghost", day("2024-01-01"))
    assert unknown.state == AccountState.UNKNOWN_ACCOUNT and unknown.owner is None
    with pytest.raises(NotInRegistry, match="Unknown system NOPE"):
        asof.account_owner_at("NOPE", "u001", day("2024-01-01"))


def test_late_recorded_transfer_is_seen_only_when_known(world):
    """E003 moved to DPLAN on 2024-06-01, but personnel told us only on the day after the first check."""
    question = day("2024-06-15")
    first_answer_time = timezone.now()
    assert asof.account_owner_at("CIS", "u001", day("2024-09-15")).owner.unit.code == "NSALES"
    s.transfer_person("E003", "DPLAN", effective=day("2024-06-01"), actor=ACTOR)
    recorded = timezone.now()

    then = asof.person_at("E003", question, known_at=first_answer_time)
    now = asof.person_at("E003", question)
    assert then.unit.code == "NSALES"
    assert now.unit.code == "DPLAN"
    assert asof.person_at("E003", question, known_at=recorded).unit.code == "DPLAN"
    # The account question follows the same knowledge cut.
    owner_then = asof.account_owner_at("CIS", "u001", day("2024-09-15"), known_at=first_answer_time)
    owner_now = asof.account_owner_at("CIS", "u001", day("2024-09-15"))
    assert owner_then.owner.unit.code == "NSALES"
    assert owner_now.owner.unit.code == "DPLAN"
    # Before it happened, nothing changes either way.
    assert asof.person_at("E003", day("2024-05-31")).unit.code == "NSALES"


def test_late_recorded_transfer_does_not_undo_a_later_one(world):
    s.transfer_person("E003", "DPLAN", effective=day("2024-10-01"), actor=ACTOR)
    s.transfer_person("E003", "NORTH", effective=day("2024-06-01"), actor=ACTOR)  # recorded late
    assert asof.person_at("E003", day("2024-05-31")).unit.code == "NSALES"
    assert asof.person_at("E003", day("2024-06-01")).unit.code == "NORTH"
    assert asof.person_at("E003", day("2024-10-01")).unit.code == "DPLAN"


def test_person_unknown_or_not_yet_hired(world):
    with pytest.raises(NotInRegistry):
        asof.person_at("E999", day("2024-01-01"))
    assert asof.person_at("E003", day("2023-03-31")) is None


def test_terminal_during_loan_and_after_return(world):
    before = asof.terminal_at(day("2024-04-30"), asset_tag="PC-0001")
    during = asof.terminal_at(day("2024-05-09"), hostname="TD-PC-0001")
    after = asof.terminal_at(day("2024-05-10"), ip="10.20.1.5")
    assert before.status == "in_use" and before.lent_to_employee_number is None
    assert during.status == "lent"
    assert during.lent_to_employee_number == "E003"
    assert during.lent_until == dt.datetime(2024, 5, 8, tzinfo=JST)
    assert after.status == "in_use" and after.lent_to == "" and after.lent_until is None
    for t in (before, during, after):
        assert t.asset_tag == "PC-0001"
        assert (t.room.code, t.room.zone.code, t.room.zone.kind) == ("R-TD-1", "TD", "td_only")
        assert t.network.cidr == "10.20.0.0/16"  # longest prefix wins over 10.0.0.0/8
        assert t.network.zone.kind == "td_only"


def test_terminal_not_found(world):
    assert asof.terminal_at(day("2024-05-01"), ip="10.99.99.99") is None
    assert asof.terminal_at(day("2021-05-01"), asset_tag="PC-0001") is None
    with pytest.raises(NotInRegistry):
        asof.terminal_at(day("2024-05-01"), asset_tag="PC-9999")


def test_shared_address_is_reported(world):
    s.register_terminal("PC-0002", ip_address="10.20.1.5", effective=day("2024-01-01"), actor=ACTOR)
    t = asof.terminal_at(day("2024-02-01"), ip="10.20.1.5")
    assert t.asset_tag == "PC-0001" and t.other_matches == ("PC-0002",)


def test_zone_of_ip_longest_prefix_and_outside(world):
    assert asof.zone_of_ip("10.20.255.1", day("2024-01-01")).cidr == "10.20.0.0/16"
    assert asof.zone_of_ip("10.21.0.1", day("2024-01-01")).cidr == "10.0.0.0/8"
    aff = asof.zone_of_ip("192.168.5.77", day("2024-01-01"))
    assert (aff.zone.code, aff.zone.kind) == ("AFF", "affiliate")
    assert asof.zone_of_ip("172.16.0.1", day("2024-01-01")) is None
    assert asof.zone_of_ip("10.20.0.1", day("2014-01-01")) is None  # before the segments existed


def test_entitlements_direct_and_through_role(world):
    e002 = asof.entitlements_at("E002", "CIS", day("2024-01-01"))
    assert [(e.function, e.level, e.via, e.role_code) for e in e002] == [
        ("billing", "update", "role", "BILLING")
    ]
    assert asof.entitlements_at("E002", "CIS", day("2024-07-01")) == ()  # membership ended
    e001 = asof.entitlements_at("E001", "CIS", day("2024-01-01"))
    assert [(e.function, e.level, e.via) for e in e001] == [("*", "view", "direct")]
    s.add_role_member("BILLING", "E001", effective_from=day("2024-02-01"), actor=ACTOR)
    both = asof.entitlements_at("E001", "CIS", day("2024-02-01"))
    assert {(e.function, e.via) for e in both} == {("*", "direct"), ("billing", "role")}


def test_revoked_role_grant_ends_for_every_member(world):
    s.revoke_entitlement(
        "CIS", role_code="BILLING", function="billing", effective=day("2024-02-01"), actor=ACTOR
    )
    assert len(asof.entitlements_at("E002", "CIS", day("2024-01-31"))) == 1
    assert asof.entitlements_at("E002", "CIS", day("2024-02-01")) == ()


def test_responsibles_direct_and_with_ancestors(world):
    direct = asof.responsibles_at("DPLAN", day("2024-01-01"))
    assert [(r.role, r.employee_number, r.name_kanji) for r in direct] == [
        ("conduct_manager", "E001", "送配 太郎")
    ]
    assert asof.responsibles_at("DPLAN", day("2024-04-01")) == ()
    chain = asof.responsibles_at("DPLAN", day("2024-01-01"), include_ancestors=True)
    assert [(r.unit_code, r.role) for r in chain] == [("HQ", "conduct_officer"), ("DPLAN", "conduct_manager")]


def test_unit_ancestry(world):
    assert [u.code for u in asof.unit_ancestry_at("NSALES", day("2024-01-01"))] == ["HQ", "NORTH", "NSALES"]
    assert asof.unit_ancestry_at("NSALES", day("1999-01-01")) == ()
    with pytest.raises(NotInRegistry):
        asof.unit_ancestry_at("NOPE", day("2024-01-01"))


def test_answers_are_frozen_plain_values(world):
    answer = asof.account_owner_at("CIS", "u001", day("2024-05-01"))
    with pytest.raises(AttributeError):
        answer.state = "x"  # type: ignore[misc]
    assert isinstance(answer.owner.unit.path, tuple)


def test_a_handful_of_queries(world, django_assert_max_num_queries):
    # system, account, owner, and one per level of the owner's unit path (HQ > NORTH > NSALES)
    with django_assert_max_num_queries(6):
        asof.account_owner_at("CIS", "u001", day("2024-05-01"))
    with django_assert_max_num_queries(8):
        asof.terminal_at(day("2024-05-03"), ip="10.20.1.5")
    with django_assert_max_num_queries(5):
        asof.entitlements_at("E002", "CIS", day("2024-01-01"))
    with django_assert_max_num_queries(6):
        asof.responsibles_at("DPLAN", day("2024-01-01"), include_ancestors=True)


def test_query_count_does_not_grow_with_history(world, django_assert_max_num_queries):
    for n in range(30):
        s.change_account(
            "CIS",
            "u001",
            privilege=f"p{n}",
            effective=dt.date(2024, 1, 1) + dt.timedelta(days=n),
            actor=ACTOR,
        )
    with django_assert_max_num_queries(6):
        answer = asof.account_owner_at("CIS", "u001", day("2024-01-15"))
    assert answer.privilege == "p14"

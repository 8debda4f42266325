# mypy: disable-error-code="union-attr"
# (Answers are Optional; a None where a test expects a value fails the test with AttributeError.)
"""Registry services against a real database: histories written, impossible input refused, audit kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ringfence.audit.models import AuditEvent
from ringfence.audit.services import verify_chain
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry import services as s
from ringfence.registry.models import (
    NetworkSegment,
    OrgUnitVersion,
    Person,
    PersonVersion,
    TerminalVersion,
)
from ringfence.registry.selectors import asof

from .conftest import ACTOR, day

pytestmark = pytest.mark.django_db


def units_of(employee_number: str) -> list[tuple[dt.datetime, dt.datetime | None, str]]:
    rows = (
        PersonVersion.objects.known_at()
        .filter(entity__employee_number=employee_number)
        .order_by("valid_from")
        .values_list("valid_from", "valid_to", "unit__code")
    )
    return list(rows)


def test_transfer_splits_the_history_at_jst_midnight(world):
    history = units_of("E001")
    assert [code for _f, _t, code in history] == ["DPLAN", "NSALES"]
    boundary = start_of_day_jst(day("2024-04-01"))
    assert history[0][1] == boundary and history[1][0] == boundary
    # 00:00 JST is 15:00 UTC the day before: the convention the whole registry follows.
    assert boundary.astimezone(dt.UTC) == dt.datetime(2024, 3, 31, 15, 0, tzinfo=dt.UTC)


def test_every_change_is_audited_with_its_actor(world):
    events = AuditEvent.objects.filter(target_type="registry.person", target_ref="E001").order_by("id")
    operations = [e.detail["operation"] for e in events]
    assert operations == ["hire", "transfer"]
    assert {e.actor for e in events} == {ACTOR}
    assert events[1].detail["values"] == {"unit": "NSALES"}
    assert events[1].detail["effective_from"].startswith("2024-04-01T00:00:00+09:00")
    assert verify_chain() == []


def test_audit_names_personal_fields_without_copying_them(world):
    hire = AuditEvent.objects.get(target_ref="E002", detail__operation="hire")
    assert "name_kanji" in hire.detail["personal_fields"]
    assert "委託" not in str(hire.detail)
    assert hire.detail["values"]["employment_type"] == "contractor"


def test_refused_change_leaves_neither_data_nor_audit(world):
    before_events = AuditEvent.objects.count()
    before_rows = PersonVersion.objects.count()
    with pytest.raises(RingfenceError, match="Unknown unit NOPE"):
        s.transfer_person("E003", "NOPE", effective=day("2024-10-01"), actor=ACTOR)
    assert AuditEvent.objects.count() == before_events
    assert PersonVersion.objects.count() == before_rows


def test_transfer_of_unknown_person_or_before_hire_is_refused(world):
    with pytest.raises(RingfenceError, match="Unknown employee number E999"):
        s.transfer_person("E999", "DPLAN", effective=day("2024-10-01"), actor=ACTOR)
    with pytest.raises(RingfenceError, match="does not exist"):
        s.transfer_person("E003", "DPLAN", effective=day("2022-10-01"), actor=ACTOR)


def test_retired_person_cannot_be_transferred_but_can_be_rehired(world):
    with pytest.raises(RingfenceError, match="not possible"):
        s.transfer_person("E002", "NSALES", effective=day("2024-08-01"), actor=ACTOR)
    s.hire_person(
        "E002",
        name_kanji="委託 花子",
        unit_code="NSALES",
        employment_type="own_employee",
        effective=day("2025-04-01"),
        actor=ACTOR,
    )
    later = asof.person_at("E002", day("2025-04-02"))
    assert later is not None
    assert (later.status, later.employment_type, later.unit.code) == ("active", "own_employee", "NSALES")
    between = asof.person_at("E002", day("2024-12-01"))
    assert between is not None and between.status == "retired"


def test_hiring_someone_already_employed_is_refused(world):
    with pytest.raises(RingfenceError, match="already employed"):
        s.hire_person("E003", name_kanji="x", unit_code="DPLAN", effective=day("2024-01-01"), actor=ACTOR)


def test_invalid_code_list_value_is_refused_with_the_field_named(world):
    with pytest.raises(RingfenceError, match="employment type"):
        s.change_employment_type("E003", "boss", effective=day("2024-10-01"), actor=ACTOR)


def test_leave_and_return(world):
    s.start_leave("E003", effective=day("2024-10-01"), actor=ACTOR)
    with pytest.raises(RingfenceError):
        s.start_leave("E003", effective=day("2024-11-01"), actor=ACTOR)
    s.return_from_leave("E003", effective=day("2025-01-06"), actor=ACTOR)
    assert asof.person_at("E003", day("2024-12-01")).status == "on_leave"
    assert asof.person_at("E003", day("2025-01-06")).status == "active"


def test_employment_type_change_keeps_unit(world):
    s.change_employment_type(
        "E003", "seconded", employer="北電小売", effective=day("2024-10-01"), actor=ACTOR
    )
    p = asof.person_at("E003", day("2024-10-01"))
    assert (p.employment_type, p.unit.code) == ("seconded", "NSALES")
    assert asof.person_at("E003", day("2024-09-30")).employment_type == "affiliate"


def test_reparenting_moves_the_subtree_and_refuses_cycles(world):
    s.change_unit("NSALES", parent_code="DIST", effective=day("2025-04-01"), actor=ACTOR)
    assert [u.code for u in asof.unit_ancestry_at("NSALES", day("2025-04-01"))] == ["HQ", "DIST", "NSALES"]
    assert [u.code for u in asof.unit_ancestry_at("NSALES", day("2025-03-31"))] == ["HQ", "NORTH", "NSALES"]
    with pytest.raises(RingfenceError, match="sub-units"):
        s.change_unit("DIST", parent_code="NSALES", effective=day("2025-05-01"), actor=ACTOR)
    with pytest.raises(RingfenceError, match="itself"):
        s.change_unit("DIST", parent_code="DIST", effective=day("2025-05-01"), actor=ACTOR)
    event = AuditEvent.objects.filter(target_ref="NSALES", detail__operation="reparent_unit").get()
    assert event.detail["values"]["parent"] == "DIST"


def test_unit_with_people_cannot_be_closed(world):
    with pytest.raises(RingfenceError, match="people"):
        s.close_unit("NSALES", effective=day("2025-04-01"), actor=ACTOR)
    s.create_unit(
        "TMP", name="臨時課", kind="section", parent_code="DIST", effective=day("2024-01-01"), actor=ACTOR
    )
    s.close_unit("TMP", effective=day("2024-06-01"), actor=ACTOR)
    assert OrgUnitVersion.objects.known_at().filter(entity__code="TMP").get().valid_to == start_of_day_jst(
        day("2024-06-01")
    )


def test_personal_account_needs_an_owner_and_owner_must_exist(world):
    with pytest.raises(RingfenceError, match="owner"):
        s.register_account("CIS", "nobody", effective=day("2024-01-01"), actor=ACTOR)
    with pytest.raises(RingfenceError, match="does not exist"):
        s.register_account(
            "CIS", "early", owner_employee_number="E003", effective=day("2020-01-01"), actor=ACTOR
        )
    with pytest.raises(RingfenceError, match="already exists"):
        s.register_account(
            "CIS", "u001", owner_employee_number="E003", effective=day("2024-01-01"), actor=ACTOR
        )
    with pytest.raises(RingfenceError, match="Unknown system"):
        s.register_account("XXX", "a", owner_employee_number="E003", effective=day("2024-01-01"), actor=ACTOR)


def test_disable_account_records_when(world):
    s.disable_account("CIS", "e002", effective=day("2024-07-01"), actor=ACTOR)
    answer = asof.account_owner_at("CIS", "e002", day("2024-07-02"))
    assert answer.status == "disabled"
    assert asof.account_owner_at("CIS", "e002", day("2024-06-30")).status == "enabled"


def test_entitlement_needs_exactly_one_grantee(world):
    with pytest.raises(RingfenceError, match="either a person or a job role"):
        s.grant_entitlement(
            "CIS",
            employee_number="E001",
            role_code="BILLING",
            level="view",
            effective_from=day("2024-01-01"),
            actor=ACTOR,
        )
    with pytest.raises(RingfenceError, match="either a person or a job role"):
        s.grant_entitlement("CIS", level="view", effective_from=day("2024-01-01"), actor=ACTOR)


def test_revoking_what_was_never_granted_is_refused(world):
    with pytest.raises(RingfenceError):
        s.revoke_entitlement("CIS", employee_number="E003", effective=day("2024-01-01"), actor=ACTOR)


def test_overlapping_cidrs_in_different_zones_are_refused(world):
    with pytest.raises(RingfenceError, match=r"overlaps 10\.0\.0\.0/8"):
        s.save_network_segment("10.30.0.0/16", zone_code="AFF", effective=day("2024-01-01"), actor=ACTOR)
    with pytest.raises(RingfenceError, match="overlaps"):
        s.save_network_segment("192.168.0.0/16", zone_code="TD", effective=day("2024-01-01"), actor=ACTOR)
    assert not NetworkSegment.objects.filter(cidr="10.30.0.0/16").exists()
    # The same range moved to another zone collides with the nested TD ranges too.
    with pytest.raises(RingfenceError, match="overlaps"):
        s.save_network_segment("10.20.0.0/16", zone_code="AFF", effective=day("2024-01-01"), actor=ACTOR)


def test_cidr_is_normalised_and_host_bits_refused(world):
    with pytest.raises(RingfenceError, match="CIDR"):
        s.save_network_segment("10.1.2.3/16", zone_code="TD", effective=day("2024-01-01"), actor=ACTOR)
    s.save_network_segment("2001:DB8:0::/32", zone_code="TD", effective=day("2024-01-01"), actor=ACTOR)
    assert NetworkSegment.objects.filter(cidr="2001:db8::/32").exists()


def test_retired_segment_no_longer_blocks_another_zone(world):
    s.retire_network_segment("192.168.5.0/24", effective=day("2024-01-01"), actor=ACTOR)
    s.save_network_segment("192.168.0.0/16", zone_code="TD", effective=day("2024-01-01"), actor=ACTOR)
    assert asof.zone_of_ip("192.168.5.9", day("2023-12-31")).zone.code == "AFF"
    assert asof.zone_of_ip("192.168.5.9", day("2024-01-01")).zone.code == "TD"


def test_disposed_terminal_cannot_be_lent(world):
    s.dispose_terminal("PC-0001", effective=day("2024-12-01"), actor=ACTOR)
    with pytest.raises(RingfenceError, match="Disposed"):
        s.lend_terminal("PC-0001", lent_from=day("2024-12-05"), lent_to="誰か", actor=ACTOR)
    # Before the disposal the terminal could still be lent (a loan recorded late).
    s.lend_terminal(
        "PC-0001", lent_from=day("2024-11-01"), returned_at=day("2024-11-05"), lent_to="誰か", actor=ACTOR
    )
    assert asof.terminal_at(day("2024-11-02"), asset_tag="PC-0001").status == "lent"
    assert asof.terminal_at(day("2024-11-06"), asset_tag="PC-0001").status == "in_use"
    assert asof.terminal_at(day("2024-12-06"), asset_tag="PC-0001").status == "disposed"


def test_lent_terminal_cannot_be_lent_twice_and_return_needs_a_loan(world):
    with pytest.raises(RingfenceError, match="Lent"):
        s.lend_terminal("PC-0001", lent_from=day("2024-05-03"), lent_to="他の人", actor=ACTOR)
    with pytest.raises(RingfenceError, match="not lent"):
        s.return_terminal("PC-0001", returned_at=day("2024-06-01"), actor=ACTOR)


def test_move_assign_and_physical_check(world):
    s.save_room("R-AFF-1", name="小売執務室", zone_code="AFF", effective=day("2015-04-01"), actor=ACTOR)
    s.move_terminal(
        "PC-0001", room_code="R-AFF-1", ip_address="192.168.5.20", effective=day("2024-10-01"), actor=ACTOR
    )
    s.assign_terminal("PC-0001", employee_number="E003", effective=day("2024-10-01"), actor=ACTOR)
    s.record_physical_check("PC-0001", checked_on=day("2024-10-15"), actor=ACTOR)
    t = asof.terminal_at(day("2024-10-20"), asset_tag="PC-0001")
    assert (t.room.code, t.room.zone.kind, t.network.zone.code) == ("R-AFF-1", "affiliate", "AFF")
    assert t.assigned_employee_number == "E003" and t.assigned_unit_code is None
    assert t.last_checked_on == day("2024-10-15")
    assert asof.terminal_at(day("2024-10-14"), asset_tag="PC-0001").last_checked_on is None
    operations = list(
        AuditEvent.objects.filter(target_type="registry.terminal", target_ref="PC-0001")
        .order_by("id")
        .values_list("detail__operation", flat=True)
    )
    assert operations[-3:] == ["move_terminal", "assign_terminal", "physical_check"]


def test_room_needs_a_known_zone(world):
    with pytest.raises(RingfenceError, match="Unknown zone"):
        s.save_room("R-X", name="x", zone_code="NOPE", effective=day("2024-01-01"), actor=ACTOR)


def test_actor_is_required(world):
    with pytest.raises(RingfenceError, match="actor"):
        s.transfer_person("E003", "DPLAN", effective=day("2024-10-01"), actor=" ")


def test_bounded_responsibility_and_end(world):
    s.end_responsibility("NSALES", "E003", "line_manager", effective=day("2025-01-01"), actor=ACTOR)
    assert asof.responsibles_at("NSALES", day("2025-01-01")) == ()
    assert [r.employee_number for r in asof.responsibles_at("NSALES", day("2024-12-31"))] == ["E003"]
    with pytest.raises(RingfenceError, match="no such responsibility"):
        s.end_responsibility("NSALES", "E003", "line_manager", effective=day("2025-02-01"), actor=ACTOR)


def test_service_writes_share_one_recording_time(world):
    before = timezone.now()
    s.transfer_person("E003", "DPLAN", effective=day("2024-10-01"), actor=ACTOR)
    rows = PersonVersion.objects.known_at().filter(entity=Person.objects.get(employee_number="E003"))
    new_rows = [r for r in rows if r.recorded_at >= before]
    assert len(new_rows) == 2 and len({r.recorded_at for r in new_rows}) == 1
    assert all(r.source == ACTOR for r in new_rows)


def test_terminal_history_is_never_updated_in_place(world):
    total_before = TerminalVersion.objects.count()
    current_before = TerminalVersion.objects.known_at().count()
    s.mark_terminal_lost("PC-0001", effective=day("2024-11-01"), actor=ACTOR)
    assert TerminalVersion.objects.count() > total_before
    assert TerminalVersion.objects.known_at().count() == current_before + 1

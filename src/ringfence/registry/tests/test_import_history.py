"""Imports that build history: personnel orders, terminal loans, full account lists, links, Excel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from ringfence.core.errors import BadInput
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry.imports import import_bundle, import_table
from ringfence.registry.models import (
    Account,
    AccountVersion,
    Entitlement,
    Person,
    PersonVersion,
    RoleMembership,
    TerminalVersion,
    UnitResponsibility,
)

DATA = Path(__file__).parent / "data"


def jst(y, m, d):
    return start_of_day_jst(dt.date(y, m, d))


def person_at(number, y, m, d):
    return PersonVersion.objects.as_of(jst(y, m, d)).filter(entity__employee_number=number).first()


@pytest.fixture
def units(db):
    import_table("units", DATA / "units.csv", as_of=dt.date(2024, 4, 1))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_personnel_orders_build_a_history(units):
    report = import_table("personnel_changes", DATA / "personnel_changes.csv")
    assert report.rows == 7
    assert person_at("2001", 2020, 3, 31) is None  # not yet hired
    hired = person_at("2001", 2020, 4, 1)
    assert (hired.unit.code, hired.status, hired.name_kanji) == ("NW-K-1", "active", "鈴木 一郎")
    assert person_at("2001", 2022, 4, 1).unit.code == "NW-K"  # transfer
    assert person_at("2001", 2023, 6, 1).status == "on_leave"
    assert person_at("2001", 2023, 6, 1).unit.code == "NW-K"
    assert person_at("2001", 2023, 12, 31).status == "on_leave"
    assert person_at("2001", 2024, 1, 1).status == "active"  # return
    assert person_at("2001", 2025, 3, 30).status == "active"
    assert person_at("2001", 2025, 3, 31).status == "transferred"  # transfer out
    assert person_at("2002", 2022, 9, 30).status == "active"
    assert person_at("2002", 2022, 10, 1).status == "retired"
    assert person_at("2002", 2022, 10, 1).employment_type == "affiliate"
    again = import_table("personnel_changes", DATA / "personnel_changes.csv")
    assert again.unchanged == 7 and not again.wrote_anything


def test_late_recorded_transfer_keeps_later_known_history(units, tmp_path):
    import_table("personnel_changes", DATA / "personnel_changes.csv")
    late = write(
        tmp_path / "late.csv",
        "employee_number,effective_date,change,unit_code\n2001,2021-10-01,transfer,RT\n",
    )
    import_table("personnel_changes", late)
    assert person_at("2001", 2021, 10, 1).unit.code == "RT"
    assert person_at("2001", 2022, 4, 1).unit.code == "NW-K"  # the later transfer still stands


def test_order_for_unknown_person_without_hire_is_refused(units, tmp_path):
    path = write(tmp_path / "pc.csv", "社員番号,発令日,発令区分\n9999,2024-04-01,異動\n")
    with pytest.raises(BadInput) as caught:
        import_table("personnel_changes", path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "社員番号")]
    assert not Person.objects.exists()


def test_full_list_marks_missing_accounts_deleted(units, tmp_path):
    import_table("people", DATA / "people_cp932.csv", as_of=dt.date(2024, 4, 1))
    write(tmp_path / "systems.csv", "code,name_ja\nTAKU,託送システム\nOTHER,他システム\n")
    import_table("systems", tmp_path / "systems.csv", as_of=dt.date(2024, 4, 1))
    first = write(
        tmp_path / "a1.csv",
        "システムコード,ログインID,社員番号,状態\nTAKU,u1001,1001,有効\nTAKU,u1002,1002,有効\nTAKU,u1003,1003,無効\nOTHER,x1,1001,有効\n",
    )
    assert import_table("accounts", first, as_of=dt.date(2024, 4, 1), full_list=True).created == 4
    second = write(
        tmp_path / "a2.csv", "system_code,account_id,owner_employee_number,status\nTAKU,u1001,1001,enabled\n"
    )
    report = import_table("accounts", second, as_of=dt.date(2024, 9, 1), full_list=True)
    assert (report.unchanged, report.deleted) == (1, 2)

    def status(account, y, m, d):
        return AccountVersion.objects.as_of(jst(y, m, d)).get(entity__account_id=account).status

    assert status("u1002", 2024, 8, 31) == "enabled"
    assert status("u1002", 2024, 9, 1) == "deleted"
    assert status("u1003", 2024, 9, 1) == "deleted"
    assert status("u1001", 2024, 9, 1) == "enabled"
    assert status("x1", 2024, 9, 1) == "enabled"  # another system is not touched
    assert Account.objects.count() == 4
    assert import_table("accounts", second, as_of=dt.date(2024, 9, 1), full_list=True).deleted == 0


def test_xlsx_import_with_sheet_header_row_and_date_cells(units, tmp_path):
    book = Workbook()
    book.create_sheet("表紙", 0)
    sheet = book.create_sheet("社員一覧")
    sheet.append(["社員名簿 2024年4月1日現在"])
    sheet.append(["社員番号", "氏名", "雇用区分", "所属コード", "適用開始日"])
    sheet.append([1001, "ＡＢＣ　太郎", "正社員", "NW-K", dt.datetime(2024, 4, 1)])
    sheet.append([None, None, None, None, None])
    sheet.append([1002.0, "出向 花子", "出向", "NW", 45383])  # Excel serial 45383 = 2024-04-01
    path = tmp_path / "people.xlsx"
    book.save(path)
    mapping = write(tmp_path / "m.toml", 'sheet = "社員一覧"\nheader_row = 2\n')
    report = import_table("people", path, mapping=mapping)
    assert report.created == 2
    abc = PersonVersion.objects.get(entity__employee_number="1001")
    assert abc.name_kanji == "ABC 太郎" and abc.valid_from == jst(2024, 4, 1)
    seconded = PersonVersion.objects.get(entity__employee_number="1002")
    assert seconded.employment_type == "seconded" and seconded.valid_from == jst(2024, 4, 1)
    bad = Workbook()
    bad_sheet = bad.create_sheet("名簿", 0)
    bad_sheet.append(["社員番号", "氏名", "雇用区分"])
    bad_sheet.append([1003, "誰か", "謎"])
    bad.save(tmp_path / "bad.xlsx")
    with pytest.raises(BadInput) as caught:
        import_table("people", tmp_path / "bad.xlsx")
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "雇用区分")]


def test_terminal_loans_lend_and_return(units, tmp_path):
    import_table("people", DATA / "people_cp932.csv", as_of=dt.date(2024, 4, 1))
    write(tmp_path / "zones.csv", "code,name,kind\nZ1,送配電執務室,送配電専用\n")
    write(tmp_path / "rooms.csv", "code,name,zone_code\nR1,3F 執務室,Z1\n")
    write(
        tmp_path / "terminals.csv",
        "資産番号,ホスト名,IPアドレス,MACアドレス,端末種別,設置場所コード,状態\n"
        "PC-001,nwk-pc001,10.1.2.3,00-1A-2B-3C-4D-5E,ノートPC,R1,使用中\n",
    )
    write(
        tmp_path / "terminal_loans.csv",
        "資産番号,貸出日,返却予定日,返却日,貸出先社員番号\nPC-001,2024-05-01,2024-05-10,2024-05-08,1002\n",
    )
    reports = import_bundle(tmp_path, as_of=dt.date(2024, 4, 1))
    assert [r.table for r in reports] == ["zones", "rooms", "terminals", "terminal_loans"]

    def terminal(y, m, d):
        return TerminalVersion.objects.as_of(jst(y, m, d)).get(entity__asset_tag="PC-001")

    assert terminal(2024, 4, 30).status == "in_use"
    lent = terminal(2024, 5, 1)
    assert (lent.status, lent.lent_to_person.employee_number) == ("lent", "1002")
    assert lent.lent_until == jst(2024, 5, 10)
    assert terminal(2024, 5, 8).status == "in_use" and terminal(2024, 5, 8).lent_to_person is None
    assert (lent.mac_address, lent.ip_address, lent.terminal_type) == (
        "00:1a:2b:3c:4d:5e",
        "10.1.2.3",
        "laptop",
    )
    again = import_bundle(tmp_path, as_of=dt.date(2024, 4, 1))
    assert all(not r.wrote_anything for r in again)


def test_links_responsibilities_memberships_entitlements(units, tmp_path):
    import_table("people", DATA / "people_cp932.csv", as_of=dt.date(2024, 4, 1))
    write(tmp_path / "s.csv", "code,name_ja\nTAKU,託送システム\n")
    import_table("systems", tmp_path / "s.csv", as_of=dt.date(2024, 4, 1))
    write(tmp_path / "roles.csv", "ロールコード,ロール名\nBILLING,料金計算担当\n")
    assert import_table("roles", tmp_path / "roles.csv").created == 1
    write(
        tmp_path / "rm.csv",
        "role_code,employee_number,valid_from,valid_to\nBILLING,1001,2024-04-01,2025-04-01\n",
    )
    import_table("role_memberships", tmp_path / "rm.csv")
    write(tmp_path / "ur.csv", "所属コード,社員番号,責任区分\nNW-K-1,1001,所属長\n")
    import_table("unit_responsibilities", tmp_path / "ur.csv", as_of=dt.date(2024, 4, 1))
    write(
        tmp_path / "e.csv",
        "system_code,employee_number,role_code,function,level,valid_from\n"
        "TAKU,,BILLING,,参照,2024-04-01\nTAKU,1002,,contracts,update,2024-04-01\nTAKU,1001,BILLING,,view,2024-04-01\n",
    )
    with pytest.raises(BadInput) as caught:
        import_table("entitlements", tmp_path / "e.csv")
    assert [p.line for p in caught.value.problems] == [4]
    write(
        tmp_path / "e.csv",
        "system_code,employee_number,role_code,function,level,valid_from\n"
        "TAKU,,BILLING,,参照,2024-04-01\nTAKU,1002,,contracts,update,2024-04-01\n",
    )
    assert import_table("entitlements", tmp_path / "e.csv").created == 2
    assert Entitlement.objects.get(role__code="BILLING").function == "*"
    membership = RoleMembership.objects.get()
    assert membership.valid_to == jst(2025, 4, 1)
    assert UnitResponsibility.objects.get().role == "line_manager"
    # Ending a membership that was open-ended.
    write(
        tmp_path / "rm2.csv",
        "role_code,employee_number,valid_from,valid_to\nBILLING,1001,2024-04-01,2024-10-01\n",
    )
    assert import_table("role_memberships", tmp_path / "rm2.csv").changed == 1
    assert RoleMembership.objects.known_at().get().valid_to == jst(2024, 10, 1)


def test_bundle_dry_run_and_unknown_files(db, tmp_path):
    (tmp_path / "units.csv").write_bytes((DATA / "units.csv").read_bytes())
    write(tmp_path / "people.csv", "社員番号,氏名,雇用区分,所属コード\n1,一 太郎,正社員,NW-K\n")
    reports = import_bundle(tmp_path, as_of=dt.date(2024, 4, 1), dry_run=True)
    assert [(r.table, r.created, r.dry_run) for r in reports] == [("units", 5, True), ("people", 1, True)]
    assert not Person.objects.exists()  # people referred to units of the same dry-run bundle
    write(tmp_path / "社員一覧.csv", "a\n1\n")
    with pytest.raises(BadInput) as caught:
        import_bundle(tmp_path)
    assert [str(p.file).endswith("社員一覧.csv") for p in caught.value.problems] == [True]


def test_unit_cycle_is_refused(db, tmp_path):
    write(tmp_path / "u.csv", "code,name,kind,parent_code\nA,甲,division,B\nB,乙,division,A\n")
    with pytest.raises(BadInput) as caught:
        import_table("units", tmp_path / "u.csv")
    assert [p.field for p in caught.value.problems] == ["parent_code"]


def test_large_imports_scan_tables_instead_of_in_lists(units, monkeypatch):
    """Above SCAN_ABOVE keys the importer reads whole tables; the result must be the same."""
    from ringfence.registry.imports import refs, timelines, writers

    import_table("personnel_changes", DATA / "personnel_changes.csv")
    expected = sorted(
        PersonVersion.objects.known_at().values_list("entity__employee_number", "valid_from", "status")
    )
    for module in (refs, timelines, writers):
        monkeypatch.setattr(module, "SCAN_ABOVE", 0)
    again = import_table("personnel_changes", DATA / "personnel_changes.csv")
    assert again.unchanged == 7 and not again.wrote_anything
    report = import_table("people", DATA / "people_cp932.csv", as_of=dt.date(2024, 4, 1))
    assert report.created == 3
    assert person_at("1001", 2024, 4, 1).unit.code == "NW-K-1"
    assert (
        sorted(
            PersonVersion.objects.known_at()
            .filter(entity__employee_number__startswith="2")
            .values_list("entity__employee_number", "valid_from", "status")
        )
        == expected
    )

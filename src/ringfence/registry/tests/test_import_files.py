"""Importing real files: CP932 with Japanese headers, mapping files, bad rows, re-import, dry runs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from ringfence.audit.models import AuditEvent
from ringfence.core.errors import BadInput
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry.imports import import_table
from ringfence.registry.models import OrgUnit, OrgUnitVersion, Person, PersonVersion

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2024, 4, 1)


def current(person: str) -> PersonVersion:
    return PersonVersion.objects.known_at().get(entity__employee_number=person, valid_to__isnull=True)


@pytest.fixture
def units(db):
    return import_table("units", DATA / "units.csv", as_of=AS_OF)


def test_units_with_japanese_headers_and_mixed_date_forms(units):
    assert units.created == 5
    assert OrgUnit.objects.count() == 5
    kanto = OrgUnitVersion.objects.known_at().get(entity__code="NW-K")
    assert kanto.name == "関東支社"
    assert kanto.kind == "branch"
    assert kanto.parent is not None and kanto.parent.code == "NW"
    assert kanto.valid_from == start_of_day_jst(dt.date(2020, 4, 1))


def test_cp932_people_are_normalised(units):
    report = import_table("people", DATA / "people_cp932.csv", as_of=AS_OF)
    assert report.created == 3
    yamada = current("1001")  # full-width １００１ in the file
    assert yamada.name_kanji == "山田 太郎"  # full-width space → one half-width space
    assert yamada.name_kana == "ヤマダ タロウ"  # half-width kana → full-width
    assert yamada.unit is not None and yamada.unit.code == "NW-K-1"
    assert yamada.employment_type == "own_employee"
    assert yamada.job_title == "課長"
    assert yamada.valid_from == start_of_day_jst(AS_OF)
    takahashi = current("1002")
    assert takahashi.name_kanji == "髙橋 花子"  # CP932-only character survives
    assert takahashi.employment_type == "contractor"
    sato = current("1003")
    assert sato.name_kanji == "佐藤 1郎"  # NFKC turns ① into 1: documented normalisation
    assert (sato.employment_type, sato.status) == ("affiliate", "on_leave")


def test_reimport_is_a_no_op_and_audited(units):
    import_table("people", DATA / "people_cp932.csv", as_of=AS_OF)
    rows_before = PersonVersion.objects.count()
    audit_before = AuditEvent.objects.count()
    again = import_table("people", DATA / "people_cp932.csv", as_of=dt.date(2024, 10, 1))
    assert (again.created, again.changed, again.unchanged) == (0, 0, 3)
    assert PersonVersion.objects.count() == rows_before
    assert not again.wrote_anything
    event = AuditEvent.objects.order_by("-id")[0]
    assert AuditEvent.objects.count() == audit_before + 1
    assert event.action == "import"
    assert event.detail["table"] == "people"
    assert event.detail["sha256"] == again.sha256 and len(again.sha256) == 64
    assert event.detail["counts"] == {"unchanged": 3}


def test_change_supersedes_instead_of_overwriting(units, tmp_path):
    import_table("people", DATA / "people_cp932.csv", as_of=AS_OF)
    moved = tmp_path / "people.csv"
    moved.write_text("employee_number,unit_code,valid_from\n1001,NW-K,2024-07-01\n", encoding="utf-8")
    report = import_table("people", moved)
    assert report.changed == 1
    history = list(PersonVersion.objects.known_at().filter(entity__employee_number="1001").order_by("valid_from"))
    assert [v.unit.code for v in history] == ["NW-K-1", "NW-K"]
    assert history[0].valid_to == start_of_day_jst(dt.date(2024, 7, 1))
    assert history[1].name_kanji == "山田 太郎"  # columns not in the file keep their values
    assert PersonVersion.objects.filter(superseded_at__isnull=False).count() == 1


def test_bad_rows_are_all_named_and_nothing_is_imported(units):
    people_before = Person.objects.count()
    with pytest.raises(BadInput) as caught:
        import_table("people", DATA / "people_bad.csv", as_of=AS_OF)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert found == {
        (3, "氏名"),
        (4, "所属コード"),
        (5, "雇用区分"),
        (6, "適用開始日"),
        (7, "メールアドレス"),
    }
    assert all(str(p.file).endswith("people_bad.csv") for p in caught.value.problems)
    assert Person.objects.count() == people_before  # not even the good row 4001
    assert not AuditEvent.objects.filter(target_type="registry.people").exists()


def test_dry_run_counts_but_writes_nothing(units):
    audit_before = AuditEvent.objects.count()
    report = import_table("people", DATA / "people_cp932.csv", as_of=AS_OF, dry_run=True)
    assert report.dry_run and report.created == 3 and report.versions_inserted == 3
    assert Person.objects.count() == 0
    assert PersonVersion.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_mapping_file_with_custom_headers_and_codes(units):
    report = import_table(
        "people", DATA / "people_custom.csv", mapping=DATA / "people_custom.mapping.toml", as_of=AS_OF
    )
    assert report.created == 2
    ito = current("3001")
    assert ito.unit is not None and ito.unit.code == "NW-K"
    assert (ito.employment_type, ito.status) == ("affiliate", "transferred")
    assert ito.employer == "関東送配電株式会社"  # constant for a missing column
    watanabe = current("3002")
    assert (watanabe.employment_type, watanabe.status) == ("own_employee", "active")


def test_unknown_header_is_refused_not_dropped(units, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("社員番号,氏名,雇用区分,趣味\n5001,試験 太郎,正社員,釣り\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        import_table("people", path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(1, "趣味")]
    assert not Person.objects.exists()


def test_duplicate_key_in_one_file_is_refused(units, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        "employee_number,name_kanji,employment_type\n5001,A,own_employee\n5001,B,own_employee\n", encoding="utf-8"
    )
    with pytest.raises(BadInput) as caught:
        import_table("people", path)
    assert [p.line for p in caught.value.problems] == [3]


def test_quoted_value_spanning_lines_keeps_physical_line_numbers(units, tmp_path):
    path = tmp_path / "systems.csv"
    path.write_text(
        'code,name_ja,description,holds_non_public,data_classes\n'
        'S1,託送業務システム,"二行の\n説明",はい,供給地点特定番号;30分値\n'
        'S2,料金システム,,maybe,\n',
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as caught:
        import_table("systems", path)
    assert [(p.line, p.field) for p in caught.value.problems] == [(4, "holds_non_public")]


def test_missing_mapping_target_column_is_reported(db, tmp_path):
    shutil.copy(DATA / "people_custom.csv", tmp_path / "p.csv")
    mapping = tmp_path / "p.toml"
    mapping.write_text('[columns]\n"社員コード" = "staff_no"\n', encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        import_table("people", tmp_path / "p.csv", mapping=mapping)
    assert caught.value.problems[0].field == "columns.社員コード"

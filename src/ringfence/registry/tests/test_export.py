"""Export in the canonical format and the round trip export → import (a no-op)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ringfence.audit.models import AuditEvent
from ringfence.core.errors import RingfenceError
from ringfence.registry.exports import export_all, export_rows, export_table, japanese_header
from ringfence.registry.imports import BUNDLE_ORDER, TABLES, import_bundle, import_table
from ringfence.registry.imports.records import header_aliases
from ringfence.registry.models import AccountVersion, PersonVersion, TerminalVersion

DATA = Path(__file__).parent / "data"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def registry(db, tmp_path):
    """A small registry with history in every table."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "units.csv").write_bytes((DATA / "units.csv").read_bytes())
    (src / "people.csv").write_bytes((DATA / "people_cp932.csv").read_bytes())
    (src / "personnel_changes.csv").write_bytes((DATA / "personnel_changes.csv").read_bytes())
    write(src / "zones.csv", "code,name,kind,site\nZ1,送配電執務室,td_only,本店\nZ2,小売執務室,affiliate,本店\n")
    write(src / "rooms.csv", "code,name,zone_code,building,floor\nR1,3F 執務室,Z1,本館,3\n")
    write(src / "network_segments.csv", "cidr,name,site,zone_code\n10.1.0.0/16,送配電LAN,本店,Z1\n")
    write(src / "unit_responsibilities.csv", "unit_code,employee_number,role\nNW-K-1,1001,line_manager\n")
    write(src / "roles.csv", "code,name\nBILLING,料金計算担当\n")
    write(src / "role_memberships.csv", "role_code,employee_number,valid_from,valid_to\nBILLING,1001,2024-04-01,2025-04-01\n")
    write(
        src / "systems.csv",
        "code,name_ja,name_en,owner_unit_code,holds_non_public,data_classes,go_live,auth_features\n"
        "TAKU,託送システム,Wheeling,NW,はい,供給地点特定番号;30分値,2015-04-01,二要素認証;ログ出力\n",
    )
    write(
        src / "entitlements.csv",
        "system_code,employee_number,role_code,function,level\nTAKU,,BILLING,,view\nTAKU,1002,,contracts,update\n",
    )
    write(
        src / "accounts.csv",
        "system_code,account_id,owner_employee_number,kind,status,last_login_at\n"
        "TAKU,u1001,1001,personal,enabled,2024-03-31 18:05:09\nTAKU,adm,,shared,enabled,\n",
    )
    write(
        src / "terminals.csv",
        "asset_tag,hostname,ip_address,mac_address,room_code,status,last_checked_on\n"
        "PC-001,nwk-pc001,10.1.2.3,00:1a:2b:3c:4d:5e,R1,in_use,2024-03-01\n",
    )
    write(
        src / "terminal_loans.csv",
        "asset_tag,lent_from,lent_until,returned_at,lent_to_employee_number\n"
        "PC-001,2024-05-01,2024-05-10,2024-05-08 17:30,1002\nPC-001,2024-06-01,2024-06-30,,1001\n",
    )
    import_bundle(src, as_of=dt.date(2024, 4, 1))
    return src


def _versions() -> int:
    return sum(m.objects.count() for m in (PersonVersion, AccountVersion, TerminalVersion))


@pytest.mark.parametrize(("fmt", "japanese"), [("csv", False), ("xlsx", True)])
def test_round_trip_is_a_no_op(registry, tmp_path, fmt, japanese):
    out = tmp_path / "out"
    results = export_all(out, fmt=fmt, japanese_headers=japanese)
    assert [r.table for r in results] == list(BUNDLE_ORDER)
    assert {r.table: r.rows for r in results}["personnel_changes"] >= 7
    before = _versions()
    reports = import_bundle(out, as_of=dt.date(2024, 4, 1))
    assert {r.table: (r.created, r.changed) for r in reports if r.created or r.changed} == {}
    assert all(not r.wrote_anything for r in reports)
    assert _versions() == before


def test_csv_is_utf8_with_bom_and_canonical(registry, tmp_path):
    result = export_table("people", tmp_path / "people.csv")
    raw = result.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == TABLES["people"].column_names
    yamada = next(r for r in rows if r[0] == "1001")
    assert yamada[1] == "山田 太郎" and yamada[-1] == "2024-04-01 00:00:00"
    event = AuditEvent.objects.order_by("-id")[0]
    assert (event.action, event.detail["rows"]) == ("export", result.rows)


def test_cp932_export_and_characters_it_cannot_hold(registry, tmp_path):
    result = export_table("units", tmp_path / "units.csv", encoding="cp932")
    assert "関東支社" in result.path.read_bytes().decode("cp932")
    write(tmp_path / "u.csv", "code,name,kind\nX1,絵文字😀課,section\n")
    import_table("units", tmp_path / "u.csv")
    with pytest.raises(RingfenceError):
        export_table("units", tmp_path / "units2.csv", encoding="cp932")
    assert not (tmp_path / "units2.csv").exists()


def test_as_of_export_shows_the_past(registry):
    header, rows = export_rows("terminals", dt.date(2024, 5, 2))
    status = header.index("status")
    assert [r[status] for r in rows] == ["lent"]
    _header, rows = export_rows("terminals", dt.date(2024, 5, 9))
    assert [r[status] for r in rows] == ["in_use"]
    header, rows = export_rows("people", dt.date(2023, 7, 1))
    assert {r[0]: r[header.index("status")] for r in rows} == {"2001": "on_leave", "2002": "retired"}


def test_xlsx_cells_are_text(registry, tmp_path):
    path = export_table("accounts", tmp_path / "a.xlsx", fmt="xlsx", japanese_headers=True).path
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == japanese_header("accounts")
    assert all(isinstance(v, str) for row in rows for v in row if v is not None)


def test_japanese_headers_map_back_to_their_columns():
    for name, spec in TABLES.items():
        aliases = header_aliases(spec)
        from ringfence.core.textnorm import header_key

        assert [aliases[header_key(h)] for h in japanese_header(name)] == spec.column_names, name


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_values_are_not_formulas_and_round_trip(db, tmp_path, fmt):
    write(tmp_path / "units.csv", "code,name,kind\nX1,\"'=HYPERLINK(\"\"http://x\"\")\",section\nX2,+81 課,section\n")
    import_table("units", tmp_path / "units.csv")
    path = export_table("units", tmp_path / f"out.{fmt}", fmt=fmt).path
    if fmt == "csv":
        assert "'=HYPERLINK" in path.read_text(encoding="utf-8-sig")
    else:
        cells = [c for row in load_workbook(path).worksheets[0].iter_rows() for c in row]
        assert all(c.data_type != "f" for c in cells)
        assert any(c.value == '=HYPERLINK("http://x")' for c in cells)
    report = import_table("units", path)
    assert (report.unchanged, report.changed, report.created) == (2, 0, 0)

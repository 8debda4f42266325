"""Reading CSV/TSV/Excel: encoding detection, line numbers, normalised cells."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from ringfence.core.errors import BadInput
from ringfence.core.tabular import detect_encoding, read_table

TEXT = "社員番号,氏名\n１００１,山田　太郎\n,\n1002,\"髙橋\n花子\"\n1003,ﾀﾛｳ\n"


def values(sheet):
    return [(row.line, [row.cells.get(i) for i in range(len(sheet.headers))]) for row in sheet.rows]


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("cp932", b"", "cp932")],
)
def test_encodings_are_detected(tmp_path, encoding, bom, detected):
    path = tmp_path / "people.csv"
    path.write_bytes(bom + TEXT.encode(encoding))
    sheet = read_table(path)
    assert sheet.encoding == detected
    assert sheet.headers == ["社員番号", "氏名"]
    assert values(sheet) == [
        (2, ["1001", "山田 太郎"]),
        (4, ["1002", "髙橋 花子"]),  # the quoted value starts on line 4 and spans two lines
        (6, ["1003", "タロウ"]),
    ]


def test_detection_rule():
    assert detect_encoding("①㈱".encode("cp932")) == "cp932"
    assert detect_encoding(b"abc") == "utf-8"


def test_explicit_encoding_wins_and_wrong_bytes_are_located(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n" + "3,髙\n".encode("cp932"))
    assert read_table(path, encoding="Shift_JIS").rows[1].cells == {0: "3", 1: "髙"}
    with pytest.raises(BadInput) as caught:
        read_table(path, encoding="utf-8")
    assert caught.value.problems[0].line == 3


def test_tsv_and_values_without_header(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("a\tb\n1\t2\t3\n", encoding="utf-8")
    sheet = read_table(path)
    assert sheet.rows[0].cells == {0: "1", 1: "2"}
    assert [(p.line, p.field) for p in sheet.problems] == [(2, None)]


def test_header_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("人事データ 2024年4月\n社員番号\n1001\n", encoding="utf-8")
    sheet = read_table(path, header_row=2)
    assert sheet.header_line == 2 and sheet.headers == ["社員番号"]
    assert [(r.line, r.cells) for r in sheet.rows] == [(3, {0: "1001"})]


def test_xlsx_by_sheet_name_with_row_numbers_and_typed_cells(tmp_path):
    book = Workbook()
    book.create_sheet("表紙", 0).append(["ignored"])
    data = book.create_sheet("台帳")
    data.append(["資産番号", "購入日", "台数"])
    data.append(["ＰＣ－１", dt.datetime(2024, 4, 1), 2.0])
    data.append([None, None, None])
    data.append(["PC-2", None, 3])
    path = tmp_path / "t.xlsx"
    book.save(path)
    sheet = read_table(path, sheet="台帳")
    assert sheet.headers == ["資産番号", "購入日", "台数"]
    assert [(r.line, r.cells) for r in sheet.rows] == [
        (2, {0: "PC-1", 1: dt.datetime(2024, 4, 1), 2: 2}),
        (4, {0: "PC-2", 2: 3}),
    ]
    with pytest.raises(BadInput):
        read_table(path, sheet="無い")


def test_unreadable_files(tmp_path):
    with pytest.raises(BadInput):
        read_table(tmp_path / "missing.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(BadInput):
        read_table(tmp_path / "old.xls")
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(BadInput):
        read_table(tmp_path / "fake.xlsx")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(BadInput):
        read_table(tmp_path / "empty.csv")

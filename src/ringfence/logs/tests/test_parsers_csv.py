"""CSV/TSV: Japanese headers and codes in CP932, quarantine reasons, the vectorised path agrees."""

from __future__ import annotations

import json

import pytest

from ringfence.logs.schema import event_id

from .samples.support import definition, english, parse, parse_path, utc

__all__ = ["english"]  # the autouse fixture

HEADER = "日時,利用者ID,端末名,IPアドレス,操作区分,画面ID,対象ID,件数,結果"
LINES = [
    "2026/10/12 09:00:01,1001234,TDB101-0001,10.1.0.11,ログイン,LOGIN,,,成功",
    "2026/10/12 09:01:15,1001234,TDB101-0001,10.1.0.11,照会,DSP010,0300111122223333444455,1,成功",
    "2026/10/12 09:02:00,1001234,TDB101-0001,10.1.0.11,CSV出力,EXP030,0300111122223333444455,1250,権限エラー",
    "2026/10/12 09:03:00,ＡＢ９９,TDB101-0001,10.1.0.11,印刷,PRT040,C-001,2,失敗",
]


def test_japanese_cp932_log_maps_codes_and_converts_jst_to_utc():
    text = "\r\n".join([HEADER, *LINES]) + "\r\n"
    result = parse("csv_ja_cp932", text, encoding="cp932")
    assert result.quarantined == []
    assert result.skipped == 1 and result.records == 5
    logon, view, export, printed = result.events
    assert (logon["class"], logon["activity"], logon["outcome"]) == ("authentication", "logon", "success")
    assert logon["time"] == utc(2026, 10, 12, 0, 0, 1)
    assert logon["record_ids"] is None and logon["record_count"] is None
    assert (view["class"], view["activity"], view["record_ids"], view["record_count"]) == (
        "record_access", "view", ["0300111122223333444455"], 1)  # fmt: skip
    assert (export["activity"], export["outcome"], export["record_count"]) == ("export", "denied", 1250)
    assert export["src_ip"] == "10.1.0.11" and export["src_host"] == "TDB101-0001"
    assert export["function"] == "EXP030" and export["record_type"] == "supply_point"
    assert printed["account"] == "AB99"  # full-width ID normalised as the registry keeps it
    assert printed["outcome"] == "failure"
    assert export["raw"] == LINES[2]
    assert (export["source_line"], export["source_offset"]) == (
        4,
        len(("\r\n".join([HEADER, *LINES[:2]]) + "\r\n").encode("cp932")),
    )
    assert export["system"] == "TAKUSO" and export["source"] == "takuso-access"
    assert len({e["event_id"] for e in result.events}) == 4


def test_unmapped_columns_go_to_extra_as_json():
    definition_ = definition({"format": "csv", "fields": {"日時": "time", "利用者": "account"},
                              "time_format": "%Y-%m-%d %H:%M:%S"})  # fmt: skip
    result = parse(
        definition_, '日時,利用者,画面,備考\n2026-10-12 09:00:00,u1,顧客照会,"a ""quoted"" note"\n'
    )
    assert json.loads(result.event["extra"]) == {"画面": "顧客照会", "備考": 'a "quoted" note'}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2026/02/30 09:00:00,1001,T,10.0.0.1,照会,S,C1,1,成功", "does not match"),
        ("2026/10/12 09:00:00,,T,10.0.0.1,照会,S,C1,1,成功", "required field account"),
        ("2026/10/12 09:00:00,1001,T,10.0.0.1,閲覧,S,C1,1,成功", "not in the value mapping"),
        ("2026/10/12 09:00:00,1001,T,10.0.0.1,照会,S,C1,多数,成功", "not a whole number"),
        ("2026/10/12 09:00:00,1001,T,10.0.0.1,照会", "5 values for 9 columns"),
        ('2026/10/12 09:00:00,1001,T,10.0.0.1,照会,S,"C1"x,1,成功', "not valid CSV"),
    ],
)
def test_malformed_lines_are_quarantined_with_their_reason(line, reason):
    text = f"{HEADER}\n{LINES[1]}\n{line}\n{LINES[1]}\n"
    result = parse("csv_ja_utf8", text)
    assert len(result.events) == 2
    (bad,) = result.quarantined
    assert reason in bad.reason
    assert bad.line == 3 and bad.raw == line
    assert bad.offset == len(f"{HEADER}\n{LINES[1]}\n".encode())


def test_an_unclosed_quote_takes_the_following_lines_with_it_into_quarantine():
    text = f'{HEADER}\n{LINES[1]}\n2026/10/12 09:00:00,1001,T,"10.0.0.1,照会\n{LINES[1]}\n{LINES[1]}\n'
    result = parse("csv_ja_utf8", text)
    assert [e["source_line"] for e in result.events] == [2]
    (bad,) = result.quarantined
    assert bad.line == 3 and "not valid CSV" in bad.reason
    assert bad.raw.count("\n") == 2  # the record ran to the end of the file: three lines kept as one
    assert result.records == 3


def test_bytes_invalid_in_the_encoding_are_quarantined_and_kept_visible():
    data = (HEADER + "\r\n").encode(
        "cp932"
    ) + b"2026/10/12 09:00:00,\x82\xff,T,1,\x8f\xc6\x89\xef,S,C1,1,\x90\xac\x8c\xf7\r\n"
    result = parse("csv_ja_cp932", data)
    (bad,) = result.quarantined
    assert "not valid cp932" in bad.reason and "\\x82\\xff" in bad.raw


def test_non_strict_definition_keeps_unknown_codes_as_other():
    source = definition("csv_ja_utf8")
    lenient = definition({**source.to_dict(), "id": "lenient", "strict_values": False})
    result = parse(lenient, f"{HEADER}\n2026/10/12 09:00:00,1001,T,10.0.0.1,閲覧,S,C1,1,成功\n")
    assert result.event["activity"] == "other" and result.event["class"] == "other"
    assert json.loads(result.event["extra"])["操作区分"] == "閲覧"


def test_tsv_with_declared_columns_and_quoted_line_break():
    source = definition({"format": "csv", "options": {"delimiter": "\t", "columns": ["ts", "user", "memo"]},
                         "fields": {"ts": "time", "user": "account", "memo": "message"}})  # fmt: skip
    text = '2026-10-12T09:00:00+09:00\tu1\t"two\nlines"\n2026-10-12T09:01:00+09:00\tu2\tone\n'
    result = parse(source, text)
    first, second = result.events
    assert first["message"] == "two\nlines" and first["source_line"] == 1
    assert second["source_line"] == 3 and second["time"] == utc(2026, 10, 12, 0, 1)
    assert result.records == 2


def test_several_columns_fill_record_ids():
    source = definition(
        {"format": "csv", "fields": {"t": "time", "cust": "record_ids", "spid": "record_ids"}}
    )
    result = parse(source, "t,cust,spid\n2026-10-12T00:00:00Z,C1,03001\n2026-10-12T00:00:00Z,,03002\n")
    assert [e["record_ids"] for e in result.events] == [["C1", "03001"], ["03002"]]


def test_vectorised_reading_agrees_with_per_line_parsing_including_bad_lines(tmp_path):
    bad = [
        "2026/02/30 09:00:00,1001,T,10.0.0.1,照会,S,C1,1,成功",
        "2026/10/12 09:00:00,1001,T,10.0.0.1,閲覧,S,C1,1,成功",
        "2026/10/12 09:00:00,ＡＢ９９,T,10.0.0.1,照会,S,C1,1,成功",
        '2026/10/12 09:00:00,"x""y",T,10.0.0.1,照会,S,C1,1,成功',
        "2026/10/12 09:00:00,1001,T,-,照会,S,C1,1,成功",
        "2026/10/12 09:00:00,,T,10.0.0.1,照会,S,C1,1,成功",
    ]
    path = tmp_path / "access.csv"
    path.write_bytes(("\r\n".join([HEADER, *LINES, *bad, *LINES]) + "\r\n").encode("cp932"))
    source = definition("csv_ja_cp932")
    fast = parse_path(source, path, vectorised=True)
    slow = parse_path(source, path, vectorised=False)
    assert fast.per_line == 6  # only the lines Arrow could not map exactly went through the per-line parser
    assert fast.events == slow.events
    assert fast.quarantined == slow.quarantined and len(fast.quarantined) == 3
    assert (fast.records, fast.skipped) == (slow.records, slow.skipped) == (15, 1)


def test_a_block_arrow_refuses_goes_per_line_whole(tmp_path):
    path = tmp_path / "access.csv"
    path.write_text("\n".join([HEADER, LINES[1], "", "only,three,values", LINES[2]]) + "\n", encoding="utf-8")
    source = definition("csv_ja_utf8")
    fast = parse_path(source, path)
    assert fast.per_line == 4  # the whole block
    assert [e["source_line"] for e in fast.events] == [2, 5]
    assert [(q.line, q.reason) for q in fast.quarantined] == [(4, "3 values for 9 columns")]
    assert fast.skipped == 2 and fast.records == 5


def test_event_ids_are_the_schema_event_ids_of_source_origin_and_offset():
    result = parse("csv_ja_utf8", f"{HEADER}\n{LINES[1]}\n")
    offset = len(f"{HEADER}\n".encode())
    assert result.event["event_id"] == event_id("cis-access", "sample.log", offset)


def test_clean_csv_is_read_entirely_by_the_vectorised_path(tmp_path):
    path = tmp_path / "access.csv"
    path.write_bytes(("\r\n".join([HEADER, *LINES[:3], *LINES[:3]]) + "\r\n").encode("cp932"))
    result = parse_path(definition("csv_ja_cp932"), path)
    assert (len(result.events), result.per_line) == (6, 0)

"""Property tests: no input crashes a parser or slips through; valid lines round-trip their key fields."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.logs.parsers import PARSERS, iter_lines

from .samples.support import definition, english, parse, parse_path

__all__ = ["english"]  # the autouse fixture

# One definition per parser format (the samples, plus the formats they do not cover).
DEFINITIONS: dict[str, str | dict[str, Any]] = {
    "csv": "csv_ja_cp932",
    "jsonl": "jsonl",
    "syslog": "syslog3164",
    "linux_auth": "sshd",
    "access_log": "access_log",
    "windows_xml": "winxml",
    "windows_json": "winjson",
    "pgaudit": "pgaudit",
    "oracle_audit_csv": "oracle_audit_csv",
    "regex": {"format": "regex", "options": {"pattern": r"(?P<time>\S+) (?P<account>\S+) (?P<activity>\w+)"}},
    "windows_evtx": {"format": "windows_evtx"},
}
FORMATS = sorted(DEFINITIONS)
PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_every_parser_has_a_property_test():
    assert set(PARSERS) == set(DEFINITIONS)


def _check_accounting(fmt: str, data: bytes) -> None:
    source = definition(DEFINITIONS[fmt])
    lines = list(iter_lines(io.BytesIO(data)))
    result = parse(source, data)
    # Every record is an event, a quarantined line or a counted skip, and nothing crashed on the way.
    assert len(result.events) + len(result.quarantined) + result.skipped == result.records
    if fmt not in ("csv", "oracle_audit_csv"):  # CSV records may span lines (quoted line breaks)
        assert result.records == len(lines)
        blank_or_wrapper = sum(
            1 for raw in lines if not raw.data.strip() or raw.data.strip() in (b"<Events>", b"</Events>")
        )
        assert result.skipped <= blank_or_wrapper
    else:
        assert result.records <= len(lines)
    for bad in result.quarantined:
        assert bad.reason and not bad.reason.startswith("parser error"), bad
    for event in result.events:
        assert event["time"] is not None and event["raw"] is not None and event["event_id"]


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_and_every_line_is_accounted_for(fmt, data):
    _check_accounting(fmt, data)


LINE_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"), max_size=120)


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(
    lines=st.lists(LINE_TEXT, max_size=8),
    prefix=st.sampled_from(
        ["", "<134>", "<134>1 ", "Oct 11 22:14:15 h ", "{", "2026-10-14 07:01:50.981 JST [1] "]
    ),
)
def test_arbitrary_text_never_crashes_and_every_line_is_accounted_for(fmt, lines, prefix):
    _check_accounting(fmt, "\n".join(prefix + line for line in lines).encode("utf-8"))


# -- round trips --------------------------------------------------------------------------------------

ACCOUNTS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,11}", fullmatch=True)
RECORD_IDS = st.from_regex(r"[0-9A-Z]{1,22}", fullmatch=True)
TIMES = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2037, 12, 31)).map(
    lambda t: t.replace(microsecond=0)
)
JST = dt.timezone(dt.timedelta(hours=9))
OPS = {
    "照会": "view",
    "検索": "search",
    "CSV出力": "export",
    "印刷": "print",
    "更新": "update",
    "削除": "delete",
}
RESULTS = {"成功": "success", "失敗": "failure", "権限エラー": "denied"}


@st.composite
def csv_rows(draw):
    return (draw(TIMES), draw(ACCOUNTS), draw(st.sampled_from(sorted(OPS))), draw(RECORD_IDS),
            draw(st.integers(0, 10**9)), draw(st.sampled_from(sorted(RESULTS))))  # fmt: skip


HEADER = "日時,利用者ID,端末名,IPアドレス,操作区分,画面ID,対象ID,件数,結果"


@PROPERTY
@given(rows=st.lists(csv_rows(), min_size=1, max_size=20), vectorised=st.booleans())
def test_valid_csv_rows_round_trip_their_key_fields(rows, vectorised):
    lines = [HEADER] + [
        f"{t:%Y/%m/%d %H:%M:%S},{a},PC1,10.0.0.1,{op},S,{rid},{n},{res}" for t, a, op, rid, n, res in rows
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "access.csv"
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
        result = parse_path(definition("csv_ja_cp932"), path, vectorised=vectorised)
    assert result.quarantined == []
    got = [(e["time"], e["account"], e["activity"], e["record_ids"], e["record_count"], e["outcome"], e["source_line"])
           for e in result.events]  # fmt: skip
    expected = [(t.replace(tzinfo=JST).astimezone(dt.UTC), a, OPS[op], [rid], n, RESULTS[res], line)
                for line, (t, a, op, rid, n, res) in enumerate(rows, start=2)]  # fmt: skip
    assert got == expected


@PROPERTY
@given(lines=st.lists(st.one_of(csv_rows().map(lambda r: f"{r[0]:%Y/%m/%d %H:%M:%S},{r[1]},PC1,10.0.0.1,{r[2]},S,{r[3]},{r[4]},{r[5]}"),
                                LINE_TEXT), min_size=1, max_size=12))  # fmt: skip
def test_the_vectorised_csv_path_always_agrees_with_the_per_line_parser(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "access.csv"
        path.write_bytes(("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))
        fast = parse_path(definition("csv_ja_utf8"), path)
        slow = parse_path(definition("csv_ja_utf8"), path, vectorised=False)
    assert fast.events == slow.events
    assert fast.quarantined == slow.quarantined
    assert (fast.records, fast.skipped) == (slow.records, slow.skipped)


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.text(max_size=12))


@PROPERTY
@given(objects=st.lists(st.fixed_dictionaries(
    {"ts": TIMES.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.123Z")), "user": ACCOUNTS,
     "action": st.sampled_from(["view", "search", "export", "browse"]), "count": st.integers(0, 10**6)},
    optional={"target": RECORD_IDS, "note": JSON_VALUES, "nested": st.fixed_dictionaries({"k": JSON_VALUES})}),
    min_size=1, max_size=12))  # fmt: skip
def test_json_lines_round_trip_and_the_vectorised_path_agrees(objects):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
        fast = parse_path(definition("jsonl"), path)
        slow = parse_path(definition("jsonl"), path, vectorised=False)
    assert fast.events == slow.events and fast.quarantined == slow.quarantined
    valid = [o for o in objects if o["action"] != "browse"]
    assert [(e["account"], e["activity"], e["record_count"]) for e in fast.events] == [
        (o["user"], o["action"], o["count"]) for o in valid]  # fmt: skip
    assert [q.line for q in fast.quarantined] == [
        i for i, o in enumerate(objects, 1) if o["action"] == "browse"
    ]


SD_TEXT = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20)


@PROPERTY
@given(time=TIMES, user=ACCOUNTS, note=SD_TEXT, message=LINE_TEXT)
def test_rfc5424_structured_data_values_round_trip_through_escaping(time, user, note, message):
    escaped = note.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")
    line = (
        f'<134>1 {time:%Y-%m-%dT%H:%M:%S}+09:00 host app 1 ID [a@1 user="{user}" note="{escaped}"] {message}'
    )
    event = parse({"format": "syslog", "fields": {"user": "account"}}, line).event
    assert event["account"] == user and event["time"] == time.replace(tzinfo=JST).astimezone(dt.UTC)
    extra = json.loads(event["extra"])
    if note in ("", "-"):  # the default null values: "nothing here"
        assert "note" not in extra
    else:
        assert extra["note"] == note
    assert event["message"] == message.strip() or event["message"] == message


@PROPERTY
@given(event_id=st.sampled_from([4624, 4625, 4634, 4647, 4648, 4672, 4720, 4722, 4723, 4724, 4725, 4726, 4738, 4740, 4767]),
       target=ACCOUNTS, subject=ACCOUNTS, ip=st.ip_addresses(v=4).map(str), workstation=SD_TEXT)  # fmt: skip
def test_windows_events_round_trip_the_accounts(event_id, target, subject, ip, workstation):
    data = {
        "SubjectUserName": subject,
        "TargetUserName": target,
        "IpAddress": ip,
        "WorkstationName": escape(workstation),
    }
    xml = ("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>"
           f"{event_id}</EventID><TimeCreated SystemTime='2026-10-14T00:15:56.1234567Z'/><Computer>dc01</Computer>"
           f"</System><EventData>{''.join(f'<Data Name={k!r}>{v}</Data>' for k, v in data.items())}</EventData></Event>")  # fmt: skip
    event = parse("winxml", xml).event
    actor_is_target = event_id in (4624, 4625, 4634, 4647)
    assert event["account"] == (target if actor_is_target else subject)
    assert event["src_ip"] == (None if ip == "127.0.0.1" else ip)
    if not actor_is_target:
        assert event["target_account"] == target


BADGE_LINE = st.builds(
    lambda t, a, act, door: f"{t:%Y%m%d%H%M%S} {a} {act}" + (f" {door}" if door else ""),
    TIMES, st.one_of(ACCOUNTS, st.just("")), st.sampled_from(["IN", "OUT", "JUMP"]),
    st.one_of(st.none(), st.from_regex(r"[A-Z0-9-]{1,6}", fullmatch=True), st.just("正門")),
)  # fmt: skip


@PROPERTY
@given(lines=st.lists(st.one_of(BADGE_LINE, LINE_TEXT), min_size=1, max_size=12))
def test_the_vectorised_regex_path_always_agrees_with_the_per_line_parser(lines):
    source = definition({
        "format": "regex", "time_format": "%Y%m%d%H%M%S", "strict_values": True, "required": ["account"],
        "options": {"pattern": r"(?P<time>\d{14}) (?P<account>\S*) (?P<activity>\S+)(?: (?P<door>\S+))?"},
        "values": {"activity": {"IN": "entry", "OUT": "exit"}},
    })  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "badge.log"
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        fast = parse_path(source, path)
        slow = parse_path(source, path, vectorised=False)
    assert fast.events == slow.events
    assert fast.quarantined == slow.quarantined
    assert (fast.records, fast.skipped) == (slow.records, slow.skipped)

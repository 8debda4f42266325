"""JSON lines, syslog (RFC 5424 and RFC 3164), Linux auth.log, Apache/nginx access logs and regex."""

from __future__ import annotations

import json

import pytest

from .samples.support import definition, english, parse, parse_path, utc

__all__ = ["english"]  # the autouse fixture


# -- JSON lines ---------------------------------------------------------------------------------------

MDMS = ('{"ts":"2026-10-13T23:06:32.346Z","system":"MDMS","user":"nfukuda","src_ip":"10.3.128.16",'
        '"src_host":"TDB308-0007","action":"search","target":"0316489114819705998909","count":20,'
        '"outcome":"success"}')  # fmt: skip


def test_json_lines_map_fields_codes_and_keep_the_rest():
    result = parse("jsonl", MDMS + "\n")
    event = result.event
    assert event["time"] == utc(2026, 10, 13, 23, 6, 32, 346000)
    assert (event["class"], event["activity"], event["outcome"]) == ("record_access", "search", "success")
    assert event["account"] == "nfukuda" and event["record_ids"] == ["0316489114819705998909"]
    assert event["record_count"] == 20
    assert json.loads(event["extra"]) == {"system": "MDMS"}


def test_nested_json_is_addressed_by_dotted_paths():
    source = definition({"format": "jsonl", "fields": {"@timestamp": "time", "user.name": "account",
                                                       "event.action": "activity"},
                         "values": {"event.action": {"customer-read": "view"}}})  # fmt: skip
    line = '{"@timestamp":"2026-10-12T09:00:00+09:00","user":{"name":"u1","id":7},"event":{"action":"customer-read"}}'
    event = parse(source, line).event
    assert (event["account"], event["activity"], event["time"]) == ("u1", "view", utc(2026, 10, 12))
    assert json.loads(event["extra"]) == {"user.id": 7}


@pytest.mark.parametrize(
    ("line", "reason"),
    [("{not json", "not valid JSON"), ("[1, 2]", "not a JSON object"), (MDMS.replace("2026-10-13T", "13/10/2026 "), "does not match"),
     (MDMS.replace('"search"', '"browse"'), "not in the value mapping"), (MDMS.replace('"nfukuda"', "null"), "required field account")],
)  # fmt: skip
def test_bad_json_lines_are_quarantined(line, reason):
    result = parse("jsonl", f"{MDMS}\n{line}\n{MDMS}\n")
    assert len(result.events) == 2
    assert [q.line for q in result.quarantined] == [2] and reason in result.quarantined[0].reason


def test_json_vectorised_reading_agrees_with_per_line(tmp_path):
    lines = [MDMS, MDMS.replace('"search"', '"browse"'), MDMS.replace('"nfukuda"', '"ｎｆｕｋｕｄａ"'),
             MDMS.replace('"MDMS"', '"M\\"D"'), "{broken", MDMS]  # fmt: skip
    path = tmp_path / "audit.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, slow = (
        parse_path(definition("jsonl"), path),
        parse_path(definition("jsonl"), path, vectorised=False),
    )
    assert fast.events == slow.events and fast.quarantined == slow.quarantined
    assert [q.line for q in fast.quarantined] == [2, 5]
    assert fast.events[1]["account"] == "nfukuda"


# -- syslog -------------------------------------------------------------------------------------------


def test_rfc5424_example_with_structured_data():
    # RFC 5424 section 6.5, example 3 (with a BOM-less message), and an SD parameter with escapes.
    line = ('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 '
            '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high" note="a \\"b\\" \\]"] '
            'An application event log entry...')  # fmt: skip
    event = parse({"format": "syslog", "options": {"rfc": "5424"}}, line).event
    assert event["time"] == utc(2003, 10, 11, 22, 14, 15, 3000)
    assert event["dst_host"] == "mymachine.example.com"
    assert event["message"] == "An application event log entry..."
    extra = json.loads(event["extra"])
    assert extra == {"facility": "local4", "severity": "notice", "app_name": "evntslog", "msgid": "ID47", "iut": "3",
                     "eventSource": "Application", "eventID": "1011", "class": "high", "note": 'a "b" ]'}  # fmt: skip


def test_rfc5424_access_log_with_mapping():
    line = ('<134>1 2026-10-14T07:15:56.120+09:00 jukyu-ap01 jukyu 2013 ACCESS [access@32473 user="nyamamoto" '
            'src="10.4.96.12" host="TDB406-0003" action="export" target="G3098782" count="120" outcome="denied"] export denied')  # fmt: skip
    event = parse("syslog5424", line).event
    assert event["time"] == utc(2026, 10, 13, 22, 15, 56, 120000)
    assert (event["activity"], event["outcome"], event["record_count"]) == ("export", "denied", 120)
    assert (event["account"], event["src_ip"], event["src_host"]) == (
        "nyamamoto",
        "10.4.96.12",
        "TDB406-0003",
    )


def test_rfc3164_examples_and_key_value_messages():
    # RFC 3164 section 5.4 example 1, then a key=value application line; no year: the reference year.
    source = definition(
        {"format": "syslog", "options": {"message_format": "kv"}, "fields": {"user": "account"}}
    )
    text = ("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n"
            '<134>Oct  2 07:15:56 keito-ap01 keito[4495]: user=nyamamoto note="two words" outcome=success\n')  # fmt: skip
    first, second = parse(source, text).events
    assert first["time"] == utc(2026, 10, 11, 13, 14, 15)  # Asia/Tokyo by default
    assert first["message"] == "'su root' failed for lonvick on /dev/pts/8"
    assert json.loads(first["extra"])["facility"] == "auth" and first["dst_host"] == "mymachine"
    assert second["account"] == "nyamamoto" and json.loads(second["extra"])["note"] == "two words"
    assert second["time"] == utc(2026, 10, 1, 22, 15, 56)


def test_a_yearless_date_after_the_reference_time_is_last_year():
    event = parse({"format": "syslog"}, "Dec 31 23:59:59 host app: late\n").event
    assert event["time"] == utc(2025, 12, 31, 14, 59, 59)


@pytest.mark.parametrize(
    ("line", "reason"),
    [("just some text", "not a syslog line"), ("<999>Oct 11 22:14:15 host app: x", "out of range"),
     ('<34>1 2026-10-11T22:14:15Z host app - - [id a="1" x', "structured data"),
     ("<34>1 - host app - - - nil time", "no time")],
)  # fmt: skip
def test_bad_syslog_lines_are_quarantined(line, reason):
    result = parse({"format": "syslog"}, line + "\n")
    (bad,) = result.quarantined
    assert reason in bad.reason


# -- Linux auth.log -----------------------------------------------------------------------------------

AUTH = """\
Oct 14 07:15:56 gw01 sshd[30001]: Accepted password for tsato from 10.1.2.3 port 50022 ssh2
Oct 14 07:15:57 gw01 sshd[30001]: pam_unix(sshd:session): session opened for user tsato(uid=1001) by (uid=0)
Oct 14 07:16:00 gw01 sshd[30002]: Failed password for invalid user admin from 203.0.113.9 port 41000 ssh2
Oct 14 07:16:01 gw01 sshd[30003]: Failed publickey for tsato from 10.1.2.3 port 50023 ssh2
Oct 14 07:16:02 gw01 sshd[30004]: Invalid user oracle from 203.0.113.9 port 41001
Oct 14 07:17:00 gw01 sudo:    tsato : TTY=pts/0 ; PWD=/home/tsato ; USER=root ; COMMAND=/usr/bin/systemctl restart app
Oct 14 07:17:30 gw01 sudo:    guest : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/guest ; USER=root ; COMMAND=/bin/sh
Oct 14 07:18:00 gw01 sshd[30001]: pam_unix(sshd:session): session closed for user tsato
Oct 14 07:18:01 gw01 sshd[30001]: Received disconnect from 10.1.2.3 port 50022:11: disconnected by user
"""


def test_auth_log_logons_logoffs_and_sudo():
    events = parse("sshd", AUTH).events
    summary = [(e["activity"], e["outcome"], e["account"], e["src_ip"]) for e in events]
    assert summary == [
        ("logon", "success", "tsato", "10.1.2.3"),
        ("logon", "success", "tsato", None),
        ("logon", "failure", "admin", "203.0.113.9"),
        ("logon", "failure", "tsato", "10.1.2.3"),
        ("logon", "failure", "oracle", "203.0.113.9"),
        ("privileged_logon", "success", "tsato", None),
        ("privileged_logon", "denied", "guest", None),
        ("logoff", "success", "tsato", None),
        ("other", "unknown", None, None),
    ]
    assert json.loads(events[2]["extra"])["invalid_user"] is True
    assert json.loads(events[3]["extra"])["auth_method"] == "publickey"
    assert events[5]["target_account"] == "root"
    assert json.loads(events[5]["extra"])["command"] == "/usr/bin/systemctl restart app"
    assert events[0]["time"] == utc(2026, 10, 13, 22, 15, 56) and events[0]["dst_host"] == "gw01"
    assert events[-1]["class"] == "other"


# -- Apache / nginx -----------------------------------------------------------------------------------

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"


def test_combined_log_routes_give_meaning_and_status_gives_outcome():
    text = "\n".join([
        f'10.1.80.13 - 1002849 [14/Oct/2026:07:05:11 +0900] "GET /records/0355122826720047760252 HTTP/1.1" 200 3554 "https://koji/" "{UA}"',
        f'10.1.80.13 - 1002849 [14/Oct/2026:07:06:25 +0900] "POST /records/0367/delete HTTP/1.1" 403 310 "-" "{UA}"',
        f'10.1.80.13 - 1002849 [14/Oct/2026:07:07:00 +0900] "GET /export.csv?target=0368&rows=1250 HTTP/1.1" 200 9 "-" "{UA}"',
        f'10.1.80.13 - - [14/Oct/2026:07:08:00 +0900] "POST /auth/login HTTP/1.1" 401 0 "-" "{UA}"',
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    ])  # fmt: skip
    view, delete, export, logon, common = parse("access_log", text).events
    assert (view["activity"], view["outcome"], view["record_ids"]) == (
        "view",
        "success",
        ["0355122826720047760252"],
    )
    assert view["time"] == utc(2026, 10, 13, 22, 5, 11) and view["account"] == "1002849"
    assert (delete["activity"], delete["outcome"]) == ("delete", "denied")
    assert (export["activity"], export["record_count"], export["record_ids"]) == ("export", 1250, ["0368"])
    assert (logon["class"], logon["activity"], logon["outcome"], logon["account"]) == (
        "authentication", "logon", "failure", None)  # fmt: skip
    assert json.loads(view["extra"])["agent"] == UA
    # The Apache manual's common-format example: no route matches, so it is kept as "other".
    assert (common["class"], common["time"], common["account"]) == (
        "other",
        utc(2000, 10, 10, 20, 55, 36),
        "frank",
    )


def test_access_log_garbage_is_quarantined():
    result = parse("access_log", '10.0.0.1 - - [14/Oct/2026:07:05:11 +0900] "GET / HTTP/1.1" abc 1\n')
    assert "not a common/combined" in result.quarantined[0].reason


# -- regex --------------------------------------------------------------------------------------------


def test_regex_format_with_schema_named_groups_and_codes():
    source = definition({
        "format": "regex", "time_format": "%Y%m%d%H%M%S", "strict_values": True,
        "options": {"pattern": r"(?P<time>\d{14}) (?P<account>\S+) (?P<activity>\S+) (?P<record_ids>\S+) (?P<端末>\S+)"},
        "values": {"activity": {"SHOKAI": "view", "SHUTSURYOKU": "export"}},
    })  # fmt: skip
    result = parse(source, "20261012090000 u1 SHOKAI C001 PC01\n20261012090001 u1 SAKUJO C002 PC01\nnoise\n")
    event = result.event
    assert (event["activity"], event["record_ids"], event["time"]) == ("view", ["C001"], utc(2026, 10, 12))
    assert json.loads(event["extra"]) == {"端末": "PC01"}
    assert [q.reason.split(" ")[-4:] for q in result.quarantined][1] == [
        "match",
        "the",
        "source's",
        "pattern",
    ]
    assert "not in the value mapping" in result.quarantined[0].reason


def test_clean_json_lines_are_read_entirely_by_the_vectorised_path(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text((MDMS + "\n") * 50, encoding="utf-8")
    result = parse_path(definition("jsonl"), path)
    assert (len(result.events), result.per_line) == (50, 0)


BADGE = {
    "format": "regex", "time_format": "%Y%m%d%H%M%S", "strict_values": True, "required": ["account"],
    "options": {"pattern": r"(?P<time>\d{14}) (?P<account>\S*) (?P<activity>IN|OUT|\S+)(?: (?P<door>\S+))?(?: n=(?P<record_count>\S+))?"},
    "values": {"activity": {"IN": "entry", "OUT": "exit"}},
}  # fmt: skip


def test_regex_files_are_read_with_re2_and_agree_with_per_line_parsing(tmp_path):
    lines = ["20261012090000 u1 IN D-101", "20261012090100 u1 OUT", "20261012090200 u2 IN D-102 n=3",
             "20261012090300 u3 JUMP D-1", "20261312090000 u4 IN D-1", "garbage", "20261012090400 ｕ５ IN 正門",
             "20261012090500  IN D-1", "20261012090600 u6 IN D-1 n=many"]  # fmt: skip
    path = tmp_path / "badge.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = parse_path(definition(BADGE), path)
    slow = parse_path(definition(BADGE), path, vectorised=False)
    assert fast.events == slow.events and fast.quarantined == slow.quarantined
    assert [(e["activity"], e["account"], e["class"]) for e in fast.events] == [
        ("entry", "u1", "physical_entry"), ("exit", "u1", "physical_entry"), ("entry", "u2", "physical_entry"),
        ("entry", "u5", "physical_entry")]  # fmt: skip
    assert fast.events[2]["record_count"] == 3 and json.loads(fast.events[0]["extra"]) == {"door": "D-101"}
    assert [q.line for q in fast.quarantined] == [4, 5, 6, 8, 9]
    assert fast.per_line == 6  # the five refused lines and the one with non-ASCII text

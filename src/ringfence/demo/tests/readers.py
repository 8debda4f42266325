"""Small independent readers of the log formats, written from the formats' public descriptions.

They do not share code with the generator, so a test that reads a line with them checks what a real
consumer would see.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
    )
}


@dataclass
class Line:
    """What a consumer learns from one log line."""

    at: dt.datetime
    account: str
    ip: str
    host: str
    action: str  # login/logout/view/search/export/print/update/delete/lockout/other
    outcome: str  # ok/fail/denied
    count: int | None


OP_JA = {"ログイン": "login", "ログアウト": "logout", "照会": "view", "検索": "search", "CSV出力": "export",
         "印刷": "print", "更新": "update", "削除": "delete"}  # fmt: skip
RESULT_JA = {"成功": "ok", "失敗": "fail", "権限エラー": "denied"}
OUTCOME_EN = {"success": "ok", "failure": "fail", "denied": "denied"}
RFC5424 = re.compile(r'^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) \[access@32473 ((?:\w+="[^"]*" ?)+)\] (.*)$')
RFC3164 = re.compile(r"^<(\d+)>(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) (\S+)\[(\d+)\]: (.*)$")
SSHD = re.compile(r"^(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) sshd\[(\d+)\]: (.*)$")
COMBINED = re.compile(r'^(\S+) - (\S+) \[([^\]]+)\] "(\S+) (\S+) HTTP/1\.1" (\d{3}) (\d+) "[^"]*" "[^"]*"$')
PGAUDIT = re.compile(r"^(\S+ \S+) JST \[(\d+)\] (\S+)\((\d+)\) (\S+)@(\S+) (\S*) (LOG|ERROR|FATAL):  (.*)$")


def _year_less(month: str, day: str, h: str, m: str, s: str, year: int) -> dt.datetime:
    return dt.datetime(year, MONTHS[month], int(day), int(h), int(m), int(s), tzinfo=JST)


def _kv(text: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="?([^" ]*)"?', text))


def read_lines(path: Path, log_format: str, year: int = 2026) -> list[tuple[int, Line]]:
    """(line number, parsed line) for every event line of a log file."""
    encoding = "cp932" if log_format == "csv_ja_cp932" else "utf-8"
    text = path.read_bytes().decode(encoding)
    raw = text.splitlines()
    out: list[tuple[int, Line]] = []
    if log_format in ("csv_ja_cp932", "csv_ja_utf8", "oracle_audit_csv"):
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        for number, row in enumerate(rows[1:], start=2):
            assert len(row) == len(header), (path, number)
            out.append((number, _csv_row(dict(zip(header, row, strict=True)), log_format)))
        return out
    for number, line in enumerate(raw, start=1):
        out.append((number, _line(line, log_format, year)))
    return out


def _csv_row(row: dict[str, str], log_format: str) -> Line:
    if log_format == "oracle_audit_csv":
        at = dt.datetime.strptime(row["EVENT_TIMESTAMP_UTC"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.UTC)
        ip = re.search(r"\(HOST=([\d.]+)\)", row["AUTHENTICATION_TYPE"])
        action = {"LOGON": "login", "LOGOFF": "logout", "UPDATE": "update", "DELETE": "delete"}.get(
            row["ACTION_NAME"], "view"
        )
        rows = re.search(r"rows=(\d+)", row["SQL_TEXT"])
        if rows:
            action = "export"
        outcome = {"0": "ok", "1017": "fail", "1031": "denied"}[row["RETURN_CODE"]]
        return Line(at, row["CLIENT_IDENTIFIER"], ip.group(1) if ip else "", row["USERHOST"], action, outcome,
                    int(rows.group(1)) if rows else None)  # fmt: skip
    at = dt.datetime.strptime(row["日時"], "%Y/%m/%d %H:%M:%S").replace(tzinfo=JST)
    return Line(at, row["利用者ID"], row["IPアドレス"], row["端末名"], OP_JA[row["操作区分"]],
                RESULT_JA[row["結果"]], int(row["件数"]) if row["件数"] else None)  # fmt: skip


def _line(line: str, log_format: str, year: int) -> Line:
    if log_format == "jsonl":
        d = json.loads(line)
        at = dt.datetime.fromisoformat(d["ts"])
        return Line(
            at, d["user"], d["src_ip"], d["src_host"], d["action"], OUTCOME_EN[d["outcome"]], d["count"]
        )
    if log_format == "winjson":
        d = json.loads(line)
        data = d["winlog"]["event_data"]
        return _windows(dt.datetime.fromisoformat(d["@timestamp"]), int(d["winlog"]["event_id"]), data)
    if log_format == "winxml":
        event = ET.fromstring(line)
        system = event.find(f"{NS}System")
        assert system is not None
        event_id = int(system.findtext(f"{NS}EventID") or 0)
        created = system.find(f"{NS}TimeCreated")
        assert created is not None
        stamp = created.get("SystemTime", "")
        at = dt.datetime.fromisoformat(stamp[:23] + "+00:00")
        data = {d.get("Name", ""): d.text or "" for d in event.iter(f"{NS}Data")}
        return _windows(at, event_id, data)
    if log_format == "syslog5424":
        m = RFC5424.match(line)
        assert m, line
        kv = _kv(m.group(7))
        return Line(dt.datetime.fromisoformat(m.group(2)), kv["user"], kv["src"], kv["host"], kv["action"],
                    OUTCOME_EN[kv["outcome"]], int(kv["count"]))  # fmt: skip
    if log_format == "syslog3164":
        m = RFC3164.match(line)
        assert m, line
        kv = _kv(m.group(10))
        at = _year_less(m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), year)
        return Line(
            at, kv["user"], kv["src"], kv["host"], kv["action"], OUTCOME_EN[kv["outcome"]], int(kv["count"])
        )
    if log_format == "sshd":
        m = SSHD.match(line)
        assert m, line
        at = _year_less(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), year)
        message = m.group(8)
        if ok := re.match(r"Accepted password for (\S+) from (\S+) port \d+ ssh2$", message):
            return Line(at, ok.group(1), ok.group(2), "", "login", "ok", None)
        if bad := re.match(r"Failed password for (?:invalid user )?(\S+) from (\S+) port \d+ ssh2$", message):
            return Line(at, bad.group(1), bad.group(2), "", "login", "fail", None)
        closed = re.match(r"pam_unix\(sshd:session\): session closed for user (\S+)$", message)
        assert closed, line
        return Line(at, closed.group(1), "", "", "logout", "ok", None)
    if log_format in ("apache", "nginx"):
        m = COMBINED.match(line)
        assert m, line
        at = dt.datetime.strptime(m.group(3), "%d/%b/%Y:%H:%M:%S %z")
        method, target, status = m.group(4), m.group(5), int(m.group(6))
        action = ("login" if target == "/auth/login" else "logout" if target == "/auth/logout"
                  else "export" if target.startswith("/export") else "search" if target.startswith("/search")
                  else "print" if target.startswith("/print") else "delete" if target.endswith("/delete")
                  else "update" if method == "POST" else "view")  # fmt: skip
        rows = re.search(r"rows=(\d+)", target)
        outcome = "ok" if status < 400 else "fail" if status == 401 else "denied"
        return Line(at, m.group(2), m.group(1), "", action, outcome, int(rows.group(1)) if rows else None)
    if log_format == "pgaudit":
        m = PGAUDIT.match(line)
        assert m, line
        at = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=JST)
        level, message = m.group(8), m.group(9)
        account, ip, host = m.group(5), m.group(3), m.group(7)
        if level == "FATAL":
            return Line(at, account, ip, host, "login", "fail", None)
        if level == "ERROR":
            return Line(at, account, ip, host, "other", "denied", None)
        if message.startswith("connection authorized"):
            return Line(at, account, ip, host, "login", "ok", None)
        if message.startswith("disconnection"):
            return Line(at, account, ip, host, "logout", "ok", None)
        fields = next(csv.reader([message.removeprefix("AUDIT: ")]))
        assert len(fields) == 10, line
        action = {"COPY": "export", "UPDATE": "update", "DELETE": "delete"}.get(fields[4], "view")
        return Line(at, account, ip, host, action, "ok", int(fields[9]))
    raise AssertionError(log_format)


def _windows(at: dt.datetime, event_id: int, data: dict[str, str]) -> Line:
    action = {4624: "login", 4625: "login", 4634: "logout", 4740: "lockout"}.get(event_id, "other")
    outcome = "fail" if event_id == 4625 else "ok"
    account = data.get("TargetUserName") or data.get("SubjectUserName", "")
    return Line(
        at, account, data.get("IpAddress", ""), data.get("WorkstationName", ""), action, outcome, None
    )

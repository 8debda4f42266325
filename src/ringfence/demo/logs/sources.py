"""``logs/sources.json``: what each system's log files look like, for building log-source definitions."""

from __future__ import annotations

from typing import Any

from ..world import System
from .formats import CSV_JA_COLUMNS, FILE_STEM, FORMATS, OP_JA, ORACLE_COLUMNS, RESULT_EN, RESULT_JA

_ACTIONS = ["login", "logout", "view", "search", "export", "print", "update", "delete"]

_LAYOUTS: dict[str, dict[str, Any]] = {
    "csv_ja_cp932": {
        "kind": "csv",
        "timestamp": {"column": "日時", "format": "%Y/%m/%d %H:%M:%S", "time_zone": "Asia/Tokyo"},
        "columns": CSV_JA_COLUMNS,
        "fields": {"account": "利用者ID", "host": "端末名", "source_ip": "IPアドレス", "action": "操作区分",
                   "target": "対象ID", "record_count": "件数", "outcome": "結果", "screen": "画面ID"},
        "value_codes": {"操作区分": {v: k for k, v in OP_JA.items()}, "結果": {v: k for k, v in RESULT_JA.items()}},
    },
    "jsonl": {
        "kind": "jsonl",
        "timestamp": {"field": "ts", "format": "ISO 8601", "time_zone": "UTC"},
        "fields": {"account": "user", "host": "src_host", "source_ip": "src_ip", "action": "action",
                   "target": "target", "record_count": "count", "outcome": "outcome"},
        "value_codes": {"action": {a: a for a in _ACTIONS}, "outcome": {v: k for k, v in RESULT_EN.items()}},
    },
    "syslog5424": {
        "kind": "syslog-rfc5424",
        "timestamp": {"format": "RFC 5424 TIMESTAMP", "time_zone": "+09:00 in the timestamp"},
        "structured_data_id": "access@32473",
        "fields": {"account": "user", "host": "host", "source_ip": "src", "action": "action", "target": "target",
                   "record_count": "count", "outcome": "outcome"},
        "value_codes": {"outcome": {v: k for k, v in RESULT_EN.items()}},
    },
    "syslog3164": {
        "kind": "syslog-rfc3164",
        "timestamp": {"format": "%b %e %H:%M:%S (no year)", "time_zone": "Asia/Tokyo"},
        "message": "key=value pairs: user src host action target count outcome",
        "fields": {"account": "user", "host": "host", "source_ip": "src", "action": "action", "target": "target",
                   "record_count": "count", "outcome": "outcome"},
        "value_codes": {"outcome": {v: k for k, v in RESULT_EN.items()}},
    },
    "sshd": {
        "kind": "linux-auth-log",
        "timestamp": {"format": "%b %e %H:%M:%S (no year)", "time_zone": "Asia/Tokyo"},
        "messages": {"Accepted password for USER from IP port P ssh2": "login ok",
                     "Failed password for USER from IP port P ssh2": "login fail",
                     "Failed password for invalid user USER from IP port P ssh2": "login fail, unknown user",
                     "pam_unix(sshd:session): session closed for user USER": "logout"},
    },
    "combined": {
        "kind": "combined-access-log",
        "timestamp": {"format": "[%d/%b/%Y:%H:%M:%S %z]", "time_zone": "+0900 in the timestamp"},
        "fields": {"source_ip": "remote address", "account": "remote user", "action": "request line",
                   "outcome": "status", "record_count": "rows= in the query of /export.csv"},
        "requests": {"POST /auth/login": "login (302 ok, 401 failure)", "GET /auth/logout": "logout",
                     "GET /records/ID": "view", "GET /search?q=ID": "search",
                     "GET /export.csv?target=ID&rows=N": "export", "GET /print/ID": "print",
                     "POST /records/ID": "update", "POST /records/ID/delete": "delete"},
        "value_codes": {"status": {"200": "ok", "302": "ok", "401": "fail", "403": "denied"}},
    },
    "windows": {
        "kind": "windows-security",
        "event_ids": {"4624": "logon", "4625": "failed logon", "4634": "logoff", "4648": "explicit credentials",
                      "4672": "special privileges", "4720": "user created", "4726": "user deleted",
                      "4740": "account locked out"},
        "fields": {"account": "TargetUserName", "host": "WorkstationName", "source_ip": "IpAddress"},
    },
    "pgaudit": {
        "kind": "postgresql-pgaudit",
        "log_line_prefix": "%m [%p] %r %u@%d %a ",
        "prefix_note": "%r is client address(port); %a (application_name) carries the client host name",
        "timestamp": {"format": "%Y-%m-%d %H:%M:%S.%f %Z", "time_zone": "Asia/Tokyo (JST)"},
        "audit_fields": ["AUDIT_TYPE", "STATEMENT_ID", "SUBSTATEMENT_ID", "CLASS", "COMMAND", "OBJECT_TYPE",
                         "OBJECT_NAME", "STATEMENT", "PARAMETER", "ROWS"],
        "messages": {"connection authorized": "login ok", "password authentication failed": "login fail",
                     "disconnection": "logout", "permission denied": "denied",
                     "AUDIT: SESSION ... READ,SELECT": "view", "AUDIT: SESSION ... READ,COPY": "export",
                     "AUDIT: SESSION ... WRITE,UPDATE|DELETE": "update/delete"},
    },
    "oracle_audit_csv": {
        "kind": "oracle-unified-audit-csv",
        "timestamp": {"column": "EVENT_TIMESTAMP_UTC", "format": "%Y-%m-%d %H:%M:%S.%f", "time_zone": "UTC"},
        "columns": ORACLE_COLUMNS,
        "fields": {"account": "CLIENT_IDENTIFIER", "host": "USERHOST", "source_ip": "AUTHENTICATION_TYPE (HOST=)",
                   "action": "ACTION_NAME", "outcome": "RETURN_CODE",
                   "record_count": "rows= in the SQL_TEXT comment of exports"},
        "value_codes": {"RETURN_CODE": {"0": "ok", "1017": "fail", "1031": "denied"},
                        "ACTION_NAME": {"LOGON": "login", "LOGOFF": "logout", "SELECT": "view", "UPDATE": "update",
                                        "DELETE": "delete"}},
    },
}  # fmt: skip
_LAYOUT_OF = {"csv_ja_utf8": "csv_ja_cp932", "apache": "combined", "nginx": "combined", "winxml": "windows",
              "winjson": "windows"}  # fmt: skip


def describe(system: System) -> dict[str, Any]:
    """The sources.json entry of one system."""
    spec = FORMATS[system.log_format]
    layout = dict(_LAYOUTS[_LAYOUT_OF.get(system.log_format, system.log_format)])
    if system.log_format == "winxml":
        layout["container"] = "one <Event> element per line, as `wevtutil qe Security /f:xml` prints them"
    if system.log_format == "winjson":
        layout["container"] = "one JSON object per line as a log shipper writes them (winlog.event_data.*)"
    return {
        "system": system.code,
        "name_ja": system.name_ja,
        "name_en": system.name_en,
        "format": system.log_format,
        "encoding": spec["encoding"],
        "newline": "CRLF" if spec["newline"] == "\r\n" else "LF",
        "header_line": spec["header"] is not None,
        "files": f"logs/{system.code}/{FILE_STEM[system.log_format]}_YYYYMMDD.{spec['ext']}",
        "rotation": "daily at 00:00 JST",
        **layout,
    }

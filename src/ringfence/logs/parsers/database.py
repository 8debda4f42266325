"""Database audit logs: PostgreSQL server logs with pgaudit, Oracle unified audit exported as CSV.

PostgreSQL lines start with the server's ``log_line_prefix``; the definition gives it as configured
(option ``line_prefix``, default ``%m [%p] ``) and it is compiled into a pattern. After the severity
(``LOG:  ``), ``AUDIT: SESSION|OBJECT,...`` is pgaudit's CSV record (audit type, statement ID, substatement
ID, class, command, object type, object name, statement, parameter, and rows with ``pgaudit.log_rows``);
connection, authentication failure, disconnection and permission-denied messages are mapped too.

Oracle's ``UNIFIED_AUDIT_TRAIL`` exported to CSV is read by the CSV parser with its column names; the
action, return code and client address are mapped here. For both, ``statement_rules`` (pattern → activity),
``record_id_pattern`` and ``record_count_pattern`` options pull business meaning out of SQL text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from ..sources import SourceDefinition
from .base import LineError, LineParser, ParseContext, RawLine
from .delimited import CsvParser

# log_line_prefix escapes → named patterns (PostgreSQL documentation, "What to Log").
_PREFIX_ESCAPES = {
    "m": r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?: [A-Za-z]{1,5}| ?[+-]\d\d(?::?\d\d)?)?)",
    "t": r"(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [A-Za-z]{1,5}| ?[+-]\d\d(?::?\d\d)?)?)",
    "n": r"(?P<epoch>\d+\.\d+)",
    "p": r"(?P<pid>\d+)",
    "r": r"(?:(?P<client>[^\s(]*)(?:\((?P<client_port>\d+)\))?)",
    "h": r"(?P<client>\S*)",
    "u": r"(?P<user>[^\s@]*)",
    "d": r"(?P<database>\S*)",
    "a": r"(?P<application>.*?)",
    "c": r"(?P<session>[0-9a-f]+\.[0-9a-f]+)",
    "l": r"(?P<line_number>\d+)",
    "s": r"(?P<session_start>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Za-z]{1,5})",
    "v": r"(?P<vxid>\S*)",
    "x": r"(?P<xid>\d+)",
    "e": r"(?P<sqlstate>[0-9A-Z]{5})",
    "i": r"(?P<command_tag>[A-Z ]*?)",
    "b": r"(?P<backend_type>.*?)",
    "q": "",
    "%": "%",
}
_SEVERITY = re.compile(
    r"(?P<severity>DEBUG\d?|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC|STATEMENT|DETAIL|HINT|CONTEXT):  "
)
_AUDIT_FIELDS = ("audit_type", "statement_id", "substatement_id", "audit_class", "command", "object_type",
                 "object_name", "statement", "parameter", "rows")  # fmt: skip
_CONNECTION = re.compile(r"connection authorized: user=(?P<user>\S+)(?: database=(?P<database>\S+))?")
_AUTH_FAILED = re.compile(r'password authentication failed for user "(?P<user>[^"]*)"')
_NO_ROLE = re.compile(r'role "(?P<user>[^"]*)" does not exist')
_DISCONNECTION = re.compile(
    r"disconnection: session time: (?P<duration>\S+) user=(?P<user>\S+) database=(?P<database>\S+)(?: host=(?P<host>\S+))?"
)
_DENIED = re.compile(r"permission denied for (?P<object_type>\w+) (?P<object_name>\S+)")

SQL_ACTIVITY = {"SELECT": "view", "COPY": "export", "INSERT": "create", "UPDATE": "update", "DELETE": "delete",
                "MERGE": "update", "TRUNCATE": "delete", "CREATE ROLE": "account_create",
                "CREATE USER": "account_create", "ALTER ROLE": "account_change", "ALTER USER": "account_change",
                "DROP ROLE": "account_delete", "DROP USER": "account_delete", "GRANT": "account_change",
                "REVOKE": "account_change", "LOGON": "logon", "LOGOFF": "logoff",
                "LOGOFF BY CLEANUP": "logoff"}  # fmt: skip
# Oracle return codes that mean an access control refused the action rather than a plain failure.
ORACLE_DENIED = frozenset({1031, 1045, 1720, 1749, 1994})  # insufficient privileges, no CREATE SESSION ...


def compile_prefix(prefix: str) -> re.Pattern[str]:
    """A pattern for lines that start with PostgreSQL's ``log_line_prefix`` as configured."""
    parts: list[str] = []
    index = 0
    seen: set[str] = set()
    while index < len(prefix):
        char = prefix[index]
        if char == "%" and index + 1 < len(prefix):
            code = prefix[index + 1]
            piece = _PREFIX_ESCAPES.get(code)
            if piece is None:
                raise ValueError(_("unsupported log_line_prefix escape %%%(code)s") % {"code": code})
            if code in seen and "?P<" in piece:  # a repeated escape matches but is not captured twice
                piece = re.sub(r"\?P<\w+>", "?:", piece)
            seen.add(code)
            parts.append(piece)
            index += 2
            continue
        parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts))


class StatementRules:
    """Business meaning of SQL text: which statements are exports, where record IDs and counts are."""

    def __init__(self, definition: SourceDefinition) -> None:
        self.rules = [
            (re.compile(str(rule["pattern"]), re.IGNORECASE), str(rule.get("activity", "other")))
            for rule in definition.option("statement_rules", []) or []
        ]
        id_pattern = definition.option("record_id_pattern")
        count_pattern = definition.option("record_count_pattern")
        self.record_ids = re.compile(id_pattern) if id_pattern else None
        self.record_count = re.compile(count_pattern) if count_pattern else None

    def apply(self, statement: str, native: dict[str, Any]) -> None:
        """Refine ``native`` (activity, record IDs, record count) from ``statement``."""
        if not statement:
            return
        for pattern, activity in self.rules:
            if pattern.search(statement):
                native["activity"] = activity
                break
        if self.record_ids is not None:
            ids = [m.group(1) if m.groups() else m.group(0) for m in self.record_ids.finditer(statement)]
            if ids:
                native["record_ids"] = ids
        if self.record_count is not None:
            match = self.record_count.search(statement)
            if match:
                native["record_count"] = int(match.group(1))


class PgauditParser(LineParser):
    """PostgreSQL server log lines (stderr format) with pgaudit records."""

    format_name = "pgaudit"
    default_time_formats = ("%Y-%m-%d %H:%M:%S.%f %Z", "%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S.%f%z",
                            "%Y-%m-%d %H:%M:%S%z", "iso8601")  # fmt: skip

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        super().__init__(definition, context)
        self.prefix = compile_prefix(definition.option("line_prefix", "%m [%p] "))
        self.statements = StatementRules(definition)

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Prefix fields, severity and the message; audit records split into their fields."""
        match = self.prefix.match(text)
        if match is None:
            raise LineError(_("does not start with the log_line_prefix"))
        severity = _SEVERITY.match(text, match.end())
        if severity is None:
            raise LineError(_("no severity (LOG:, ERROR: ...) after the prefix"))
        prefix = {k: v for k, v in match.groupdict().items() if v not in (None, "", "[unknown]")}
        message = text[severity.end() :]
        level = severity.group("severity")
        native: dict[str, Any] = {"message": message}
        time = prefix.pop("time", None)
        epoch = prefix.pop("epoch", None)
        native["time"] = time if time is not None else (round(float(epoch) * 1e6) if epoch else None)
        if "user" in prefix:
            native["account"] = prefix.pop("user")
        if "client" in prefix:
            native["src_ip"] = prefix.pop("client")
        if "database" in prefix:
            native["dst_host"] = prefix["database"]
        if "session" in prefix:
            native["session_id"] = prefix["session"]
        source: dict[str, Any] = {**prefix, "severity": level}
        if message.startswith("AUDIT: "):
            self._audit(message[7:], source, native)
        else:
            self._server_message(level, message, native)
        return source, native

    def _audit(self, record: str, source: dict[str, Any], native: dict[str, Any]) -> None:
        try:
            values = next(csv.reader([record], strict=True))
        except (csv.Error, StopIteration):
            raise LineError(_("pgaudit record is not valid CSV")) from None
        if len(values) < 9:
            raise LineError(
                _("pgaudit record has %(count)d fields, expected 9 or 10") % {"count": len(values)}
            )
        audit = dict(zip(_AUDIT_FIELDS, values, strict=False))
        command = audit["command"].upper()
        statement = audit["statement"]
        activity = SQL_ACTIVITY.get(command, "other")
        if command == "COPY" and re.search(r"\bFROM\s+STDIN\b|\bFROM\s+'", statement, re.IGNORECASE):
            activity = "create"  # COPY ... FROM loads rows; only COPY ... TO takes them out
        native["activity"] = activity
        native["outcome"] = "success"
        native["function"] = command
        if audit["object_name"]:
            native["record_type"] = audit["object_name"]
        rows = audit.get("rows", "")
        if rows.isdigit():
            native["record_count"] = int(rows)
        self.statements.apply(statement, native)
        source.update(
            {k: v for k, v in audit.items() if k not in ("rows",) and v not in ("", "<not logged>")}
        )

    def _server_message(self, level: str, message: str, native: dict[str, Any]) -> None:
        if match := _CONNECTION.match(message):
            native.update(activity="logon", outcome="success", account=match.group("user"))
        elif (match := _AUTH_FAILED.search(message)) or (match := _NO_ROLE.search(message)):
            native.update(activity="logon", outcome="failure", account=match.group("user"))
        elif match := _DISCONNECTION.match(message):
            native.update(activity="logoff", outcome="success", account=match.group("user"))
        elif match := _DENIED.match(message):
            native.update(activity="other", outcome="denied", record_type=match.group("object_name"))
            native["class"] = "record_access"
        elif level in ("ERROR", "FATAL", "PANIC"):
            native["outcome"] = "failure"


class OracleAuditParser(CsvParser):
    """Oracle unified audit trail exported as CSV (column names as in UNIFIED_AUDIT_TRAIL)."""

    format_name = "oracle_audit_csv"
    default_time_formats = ("iso8601",)

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        super().__init__(definition, context)
        self.statements = StatementRules(definition)

    def native(self, fields: Mapping[str, str]) -> Mapping[str, Any]:
        """Time, account, client, action and outcome from the audit trail's own columns."""
        native: dict[str, Any] = {}
        for column in ("EVENT_TIMESTAMP_UTC", "EVENT_TIMESTAMP"):
            if fields.get(column):
                native["time"] = fields[column]
                break
        account = fields.get("CLIENT_IDENTIFIER") or fields.get("DBUSERNAME")
        if account:
            native["account"] = account  # CLIENT_IDENTIFIER carries the end user behind an application server
        if fields.get("USERHOST"):
            native["src_host"] = fields["USERHOST"]
        if fields.get("TERMINAL"):
            native["terminal"] = fields["TERMINAL"]
        if fields.get("SESSIONID"):
            native["session_id"] = fields["SESSIONID"]
        host = re.search(r"\(HOST=([^)]+)\)", fields.get("AUTHENTICATION_TYPE", ""))
        if host:
            native["src_ip"] = host.group(1)
        action = fields.get("ACTION_NAME", "").upper()
        native["activity"] = SQL_ACTIVITY.get(action, "other")
        native["function"] = action or None
        if fields.get("OBJECT_NAME"):
            schema = fields.get("OBJECT_SCHEMA")
            native["record_type"] = f"{schema}.{fields['OBJECT_NAME']}" if schema else fields["OBJECT_NAME"]
        if action in ("CREATE USER", "ALTER USER", "DROP USER") and fields.get("OBJECT_NAME"):
            native["target_account"] = fields["OBJECT_NAME"]
        code_text = fields.get("RETURN_CODE", "")
        if code_text:
            try:
                code = int(code_text)
            except ValueError:
                raise LineError(
                    _("RETURN_CODE %(value)r is not a number") % {"value": code_text[:20]}
                ) from None
            if code == 0:
                native["outcome"] = "success"
            elif code in ORACLE_DENIED:
                native["outcome"] = "denied"
            else:
                native["outcome"] = "failure"
        self.statements.apply(fields.get("SQL_TEXT", ""), native)
        return native

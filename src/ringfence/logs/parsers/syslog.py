"""Syslog: RFC 5424 and RFC 3164 (BSD) lines, as received or as written to files by rsyslog.

The header becomes native fields (time, host → ``dst_host``, the message) and source fields (facility,
severity, app_name, procid, msgid) that a definition may map or leave in ``extra``. RFC 5424 structured data
parameters are source fields by their name (and ``SD-ID.name`` when two elements share a name). The message
can be parsed further (option ``message_format``): ``kv`` for ``key=value`` pairs, ``json`` for a JSON
object, or ``regex`` with ``message_pattern`` (named groups).

RFC 3164 carries no year: the year is the one that puts the time closest before the file's reference time.
Option ``rfc`` is ``5424``, ``3164`` or ``auto`` (default; decided per line by the version after PRI).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from ..sources import SourceDefinition
from .base import LineError, LineParser, ParseContext, RawLine, split_kv
from .jsonlines import flatten, load_object

_PRI = re.compile(r"<(\d{1,3})>")
_RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<version>[1-9]\d{0,2}) (?P<time>\S+) (?P<hostname>\S+) (?P<app_name>\S+) "
    r"(?P<procid>\S+) (?P<msgid>\S+) ?"
)
# BSD header: "Mmm dd hh:mm:ss host tag[pid]: message"; rsyslog may write an RFC 3339 time instead.
_RFC3164 = re.compile(
    r"(?:<(?P<pri>\d{1,3})>)?(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) "
    r"(?:(?P<hostname>[^\s:\[]+) )?(?P<tag>[^\s:\[]+)(?:\[(?P<procid>[^\]]*)\])?: ?"
)
FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
              "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3",
              "local4", "local5", "local6", "local7")  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
BSD_TIME_FORMATS = ("%b %e %H:%M:%S", "iso8601")


def parse_structured_data(text: str) -> tuple[dict[str, str], str]:
    """RFC 5424 STRUCTURED-DATA at the start of ``text`` as fields, and the rest (the MSG)."""
    fields: dict[str, str] = {}
    if text.startswith("-"):
        return fields, text[2:] if text.startswith("- ") else text[1:]
    index = 0
    length = len(text)
    while index < length and text[index] == "[":
        end_id = index + 1
        while end_id < length and text[end_id] not in " ]":
            end_id += 1
        sd_id = text[index + 1 : end_id]
        if not sd_id:
            raise LineError(_("structured data element without an ID"))
        index = end_id
        while index < length and text[index] == " ":
            eq = text.find("=", index)
            if eq == -1 or eq + 1 >= length or text[eq + 1] != '"':
                raise LineError(_("structured data parameter without a quoted value"))
            name = text[index + 1 : eq]
            chars: list[str] = []
            pos = eq + 2
            while pos < length and text[pos] != '"':
                if text[pos] == "\\" and pos + 1 < length and text[pos + 1] in '"\\]':
                    pos += 1
                chars.append(text[pos])
                pos += 1
            if pos >= length:
                raise LineError(_("unterminated structured data value"))
            key = name if name not in fields else f"{sd_id}.{name}"
            fields[key] = "".join(chars)
            index = pos + 1
        if index >= length or text[index] != "]":
            raise LineError(_("unterminated structured data element"))
        index += 1
    rest = text[index:]
    return fields, rest[1:] if rest.startswith(" ") else rest


def priority_fields(pri: str | None) -> dict[str, str]:
    """Facility and severity names of a PRI value."""
    if not pri:
        return {}
    value = int(pri)
    if value > 191:
        raise LineError(_("PRI %(value)s is out of range") % {"value": pri})
    return {"facility": FACILITIES[value >> 3], "severity": SEVERITIES[value & 7]}


class SyslogParser(LineParser):
    """RFC 5424 / RFC 3164 lines with an optional inner message format."""

    format_name = "syslog"

    default_time_formats = BSD_TIME_FORMATS

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        super().__init__(definition, context)
        self.rfc = str(definition.option("rfc", "auto"))
        self.message_format = definition.option("message_format")
        pattern = definition.option("message_pattern")
        self.message_pattern = re.compile(pattern) if pattern else None

    def header(self, text: str) -> tuple[dict[str, Any], dict[str, Any], str]:
        """(source fields, native fields, message) of a syslog line."""
        if self.rfc != "3164" and (match := _RFC5424.match(text)):
            source: dict[str, Any] = priority_fields(match.group("pri"))
            for name in ("app_name", "procid", "msgid"):
                if match.group(name) != "-":
                    source[name] = match.group(name)
            native: dict[str, Any] = {}
            if match.group("time") == "-":
                raise LineError(_("no time (NILVALUE)"))
            native["time"] = match.group("time")
            if match.group("hostname") != "-":
                native["dst_host"] = match.group("hostname")
            structured, message = parse_structured_data(text[match.end() :])
            source.update(structured)
            return source, native, message.removeprefix("\ufeff")
        if self.rfc == "5424":
            raise LineError(_("not an RFC 5424 syslog line"))
        match = _RFC3164.match(text)
        if match is None:
            raise LineError(_("not a syslog line (no timestamp and tag)"))
        source = priority_fields(match.group("pri"))
        source["app_name"] = match.group("tag")
        if match.group("procid"):
            source["procid"] = match.group("procid")
        native = {"time": match.group("time")}
        if match.group("hostname"):
            native["dst_host"] = match.group("hostname")
        return source, native, text[match.end() :].strip()

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Header fields plus the fields of the message."""
        source, native, message = self.header(text)
        native["message"] = message
        self.inner(message, source)
        return source, native

    def inner(self, message: str, source: dict[str, Any]) -> None:
        """Fields of the message by the definition's inner format."""
        if self.message_format == "kv":
            source.update(split_kv(message))
        elif self.message_format == "json":
            source.update(flatten(load_object(message)))
        elif self.message_pattern is not None:
            match = self.message_pattern.search(message)
            if match is None:
                raise LineError(_("message does not match message_pattern"))
            source.update({k: v for k, v in match.groupdict().items() if v is not None})

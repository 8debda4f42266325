"""Apache and nginx access logs, combined and common format.

``host ident user [time] "request" status size ["referer" "user-agent"]``. The outcome follows the status
(2xx/3xx success, 401 failure, 403 denied, other 4xx/5xx failure). What a request *means* depends on the
application, so the definition's ``routes`` say it: each has an optional ``method``, a ``path`` pattern
matched against the request target (path and query), an ``activity`` and optionally a ``class``; named
groups ``record_id`` (one or more times: ``record_id``, ``record_id2`` ...) and ``record_count`` fill those
fields, other named groups go to ``extra``. Requests no route matches are class ``other``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from django.utils.translation import gettext as _

from ..sources import SourceDefinition
from .base import LineError, LineParser, ParseContext, RawLine

_LINE = re.compile(
    r'(?P<host>\S+) (?P<ident>\S+) (?P<user>\S+|"[^"]*") \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>\d{3}) (?P<size>\d+|-)"
    r'(?: "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?(?P<rest>.*)$'
)
DEFAULT_TIME_FORMAT = ("%d/%b/%Y:%H:%M:%S %z",)


def outcome_of_status(status: int) -> str:
    """The outcome an HTTP status means for the user's request."""
    if status < 400:
        return "success"
    if status == 403:
        return "denied"
    return "failure"


class AccessLogParser(LineParser):
    """Combined / common log format with route rules for meaning."""

    format_name = "access_log"

    default_time_formats = DEFAULT_TIME_FORMAT

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        super().__init__(definition, context)
        self.routes = [
            (
                str(route.get("method", "")).upper() or None,
                re.compile(str(route["path"])),
                str(route.get("activity", "other")),
                route.get("class"),
            )
            for route in definition.option("routes", []) or []
        ]

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Fields of the line and the meaning of its request."""
        match = _LINE.match(text)
        if match is None:
            raise LineError(_("not a common/combined access log line"))
        groups = match.groupdict()
        status = int(groups["status"])
        native: dict[str, Any] = {"time": groups["time"], "outcome": outcome_of_status(status)}
        native["src_ip"] = groups["host"]
        user = groups["user"].strip('"')
        if user not in ("-", ""):
            native["account"] = unquote(user)
        request = groups["request"]
        parts = request.split(" ")
        method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", request)
        native["function"] = f"{method} {target.split('?', 1)[0]}" if method else None
        native["message"] = request
        source: dict[str, Any] = {"status": groups["status"], "method": method, "target": target}
        if groups["size"] != "-":
            source["size"] = int(groups["size"])
        for name in ("ident", "referer", "agent"):
            if groups.get(name) not in (None, "-", ""):
                source[name] = groups[name]
        if groups["rest"].strip():
            source["trailing"] = groups["rest"].strip()
        self.route(method, target, native, source)
        return source, native

    def route(self, method: str, target: str, native: dict[str, Any], source: dict[str, Any]) -> None:
        """Activity, class, record IDs and count from the first matching route."""
        for route_method, pattern, activity, klass in self.routes:
            if route_method is not None and route_method != method:
                continue
            match = pattern.search(target)
            if match is None:
                continue
            native["activity"] = activity
            if klass:
                native["class"] = klass
            ids: list[str] = []
            for name, value in match.groupdict().items():
                if value in (None, ""):
                    continue
                if name.startswith("record_id"):
                    ids.append(unquote(value))
                elif name == "record_count":
                    native["record_count"] = value
                else:
                    source[name] = unquote(value)
            if ids:
                native["record_ids"] = ids
            return
        native.setdefault("class", "other")

"""Timestamps of log lines to UTC epoch microseconds, fast.

``datetime.strptime`` costs several microseconds a call, which alone would cap a parser far below the
throughput batch ingest needs. A strptime-style format is therefore compiled once into a regular expression
with integer groups; ISO 8601 uses the C ``fromisoformat``. Naive times are in the source's zone; times
without a year (syslog RFC 3164, auth.log) take the year that puts them closest before a reference time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec"), start=1)}  # fmt: skip
# Zone abbreviations that log writers print (PostgreSQL %m prints the server's abbreviation).
ABBREVIATIONS = {"UTC": 0, "GMT": 0, "Z": 0, "JST": 9 * 3600}

_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "e": r"\s?(?P<d>\d{1,2})",
    "H": r"(?P<H>\d{1,2})",
    "M": r"(?P<M>\d{2})",
    "S": r"(?P<S>\d{2})",
    "f": r"(?P<f>\d{1,9})",
    "z": r"\s?(?P<z>Z|[+-]\d{2}(?::?\d{2})?)",
    "Z": r"(?P<Z>[A-Za-z]{1,5})",
    "b": r"(?P<b>[A-Za-z]{3})",
}


class TimeError(ValueError):
    """A timestamp that does not follow any of the source's formats; the message is the reason."""


def _offset_seconds(text: str) -> int:
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)


def _compile(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char == "%" and index + 1 < len(fmt):
            code = fmt[index + 1]
            if code == "T":
                parts.append(_DIRECTIVES["H"] + ":" + _DIRECTIVES["M"] + ":" + _DIRECTIVES["S"])
            elif code == "%":
                parts.append("%")
            elif code in _DIRECTIVES:
                parts.append(_DIRECTIVES[code])
            else:
                raise ValueError(_("unsupported time directive %%%(code)s") % {"code": code})
            index += 2
            continue
        parts.append(r"\s+" if char == " " else re.escape(char))
        index += 1
    return re.compile("".join(parts) + r"\Z")


class TimeParser:
    """Parses a source's timestamps (any of its formats) to UTC epoch microseconds."""

    def __init__(self, formats: Sequence[str], zone: ZoneInfo, reference: dt.datetime) -> None:
        self.zone = zone
        self.reference = reference
        self.parsers: list[Callable[[str], int]] = []
        for fmt in formats or ("iso8601",):
            if fmt == "iso8601":
                self.parsers.append(self._iso)
            elif fmt in ("epoch", "epoch_s"):
                self.parsers.append(lambda text: round(float(text) * 1_000_000))
            elif fmt == "epoch_ms":
                self.parsers.append(lambda text: int(text) * 1000)
            else:
                self.parsers.append(self._pattern(_compile(fmt)))
        self.formats = tuple(formats or ("iso8601",))

    def parse(self, text: str) -> int:
        """UTC epoch microseconds of ``text``; raises ``TimeError`` naming the expected formats."""
        text = text.strip()
        for parser in self.parsers:
            try:
                return parser(text)
            except (ValueError, OverflowError, KeyError, IndexError):
                continue
        raise TimeError(
            _("time %(value)r does not match %(formats)s")
            % {"value": text[:40], "formats": " | ".join(self.formats)}
        )

    def from_datetime(self, value: dt.datetime) -> int:
        """Epoch microseconds of a datetime; a naive one is in the source's zone."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        delta = value - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds

    def _iso(self, text: str) -> int:
        if len(text) < 10:
            raise ValueError(text)
        if " " in text and "T" not in text:
            text = text.replace(" ", "T", 1)
        # fromisoformat takes at most 6 fraction digits; Windows writes 7 (100 ns), Oracle 9.
        dot = text.find(".", 19)
        if dot != -1:
            end = dot + 1
            while end < len(text) and text[end].isdigit():
                end += 1
            if end - dot > 7:
                text = text[: dot + 7] + text[end:]
        return self.from_datetime(dt.datetime.fromisoformat(text))

    def _pattern(self, pattern: re.Pattern[str]) -> Callable[[str], int]:
        groups = pattern.groupindex

        def parse(text: str) -> int:
            match = pattern.match(text)
            if match is None:
                raise ValueError(text)
            g = match.groupdict()
            month = MONTHS[g["b"].lower()] if "b" in groups else int(g["m"])
            if "Y" in groups:
                year = int(g["Y"])
            elif "y" in groups:
                year = 2000 + int(g["y"])
            else:
                year = self._year_for(month, int(g["d"]))
            fraction = g.get("f") or ""
            micro = int((fraction + "000000")[:6]) if fraction else 0
            value = dt.datetime(
                year,
                month,
                int(g["d"]),
                int(g.get("H") or 0),
                int(g.get("M") or 0),
                int(g.get("S") or 0),
                micro,
            )
            if g.get("z"):
                value = value.replace(tzinfo=dt.timezone(dt.timedelta(seconds=_offset_seconds(g["z"]))))
            elif g.get("Z"):
                offset = ABBREVIATIONS.get(g["Z"].upper())
                if offset is None:
                    raise ValueError(g["Z"])
                value = value.replace(tzinfo=dt.timezone(dt.timedelta(seconds=offset)))
            return self.from_datetime(value)

        return parse

    def _year_for(self, month: int, day: int) -> int:
        """The year of a year-less date: the latest one not more than a day after the reference time."""
        reference = self.reference.astimezone(self.zone)
        year = reference.year
        try:
            candidate = dt.datetime(year, month, day, tzinfo=self.zone)
        except ValueError:  # 29 Feb outside a leap year: the previous leap year
            return year - 1 if month == 2 and day == 29 else year
        if candidate - reference > dt.timedelta(days=1):
            return year - 1
        return year


def to_datetime(micros: int) -> dt.datetime:
    """The aware UTC datetime of epoch microseconds (for tests and messages)."""
    return EPOCH + dt.timedelta(microseconds=micros)

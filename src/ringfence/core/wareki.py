"""Dates as Japanese files write them: ISO, 2024/4/1, 20240401, 和暦 (令和6年4月1日, R6.4.1, H31/4/30),
with or without a time, and Excel cells (datetime objects or serial numbers).

Naive results are Japanese time (JST). Era years are checked against the era's real boundaries, so
平成31年5月1日 (the day 令和 began) is refused rather than silently turned into 2019-05-01.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .textnorm import nfkc
from .timeutil import JST


class DateParseError(ValueError):
    """The text is not a date (or not a valid one); the message says why in one line."""


@dataclass(frozen=True)
class Era:
    """A Japanese era: its names and the first and last day it was in use (Gregorian)."""

    kanji: str
    letter: str
    first_day: dt.date
    last_day: dt.date | None

    def to_gregorian_year(self, era_year: int) -> int:
        return self.first_day.year + era_year - 1


ERAS: tuple[Era, ...] = (
    Era("明治", "M", dt.date(1868, 10, 23), dt.date(1912, 7, 29)),
    Era("大正", "T", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("昭和", "S", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("平成", "H", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("令和", "R", dt.date(2019, 5, 1), None),
)
_BY_NAME: dict[str, Era] = {}
for _era in ERAS:
    _BY_NAME[_era.kanji] = _era
    _BY_NAME[_era.kanji[0]] = _era  # 令6.4.1, 平31.4.30
    _BY_NAME[_era.letter] = _era
    _BY_NAME[_era.letter.lower()] = _era

_TIME = r"(?:[ T]*(?P<hour>\d{1,2})(?::|時)(?P<minute>\d{1,2})(?:(?::|分)(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,6}))?秒?)?分?)?"
_ZONE = r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
_ERA_NAMES = "|".join(sorted(_BY_NAME, key=len, reverse=True))
_WAREKI = re.compile(
    rf"^(?P<era>{_ERA_NAMES})\s*(?P<year>\d{{1,3}}|元)\s*(?:年|[./-])\s*(?P<month>\d{{1,2}})\s*(?:月|[./-])\s*"
    rf"(?P<day>\d{{1,2}})\s*日?{_TIME}$"
)
_WESTERN = re.compile(
    rf"^(?P<year>\d{{4}})\s*(?:年|[./-])\s*(?P<month>\d{{1,2}})\s*(?:月|[./-])\s*(?P<day>\d{{1,2}})\s*日?{_TIME}{_ZONE}$"
)
_COMPACT = re.compile(rf"^(?P<year>\d{{4}})(?P<month>\d{{2}})(?P<day>\d{{2}}){_TIME}$")
# Excel counts days from 1899-12-30 (its phantom 1900-02-29 makes that the right origin after day 60).
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31


def from_excel_serial(serial: float) -> dt.datetime:
    """The naive datetime an Excel serial number stands for (1900 date system)."""
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        raise DateParseError(_("%(value)s is not an Excel date serial number") % {"value": serial})
    return _EXCEL_EPOCH + dt.timedelta(days=float(serial))


def _time_of(m: re.Match[str]) -> dt.time:
    if m.group("hour") is None:
        return dt.time()
    hour, minute = int(m.group("hour")), int(m.group("minute"))
    second = int(m.group("second") or 0)
    fraction = int((m.group("fraction") or "0").ljust(6, "0"))
    try:
        return dt.time(hour, minute, second, fraction)
    except ValueError as exc:
        raise DateParseError(_("invalid time of day")) from exc


def _date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DateParseError(
            _("%(year)d-%(month)d-%(day)d is not a calendar date")
            % {"year": year, "month": month, "day": day}
        ) from exc


def _wareki(m: re.Match[str]) -> dt.date:
    era = _BY_NAME[m.group("era")]
    era_year = 1 if m.group("year") == "元" else int(m.group("year"))
    if era_year < 1:
        raise DateParseError(_("era year must be 1 (元年) or more"))
    day = _date(era.to_gregorian_year(era_year), int(m.group("month")), int(m.group("day")))
    if day < era.first_day or (era.last_day is not None and day > era.last_day):
        raise DateParseError(
            _("%(era)s %(year)d is outside the %(era)s era (%(first)s to %(last)s)")
            % {
                "era": era.kanji,
                "year": era_year,
                "first": era.first_day.isoformat(),
                "last": era.last_day.isoformat() if era.last_day else "",
            }
        )
    return day


def _zone_of(text: str | None) -> dt.tzinfo:
    if text is None:
        return JST
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= dt.timedelta(hours=24):
        raise DateParseError(_("invalid time-zone offset"))
    return dt.timezone(sign * offset)


def _parse_text(text: str, formats: Sequence[str]) -> tuple[dt.datetime, bool]:
    """The datetime written in ``text`` (aware) and whether a time of day was written."""
    value = nfkc(text).strip()
    if not formats and len(value) >= 10 and value.isascii() and value[4] == "-" and value[:4].isdigit():
        # ISO 8601, by far the most common form in system exports: parsed in C.
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)), len(value) > 10
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        has_time = any(code in fmt for code in ("%H", "%I", "%M"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)), has_time
    m = _WAREKI.match(value)
    if m:
        return dt.datetime.combine(_wareki(m), _time_of(m), tzinfo=JST), m.group("hour") is not None
    m = _WESTERN.match(value) or _COMPACT.match(value)
    if m:
        day = _date(int(m.group("year")), int(m.group("month")), int(m.group("day")))
        zone = _zone_of(m.groupdict().get("zone"))
        return dt.datetime.combine(day, _time_of(m), tzinfo=zone), m.group("hour") is not None
    raise DateParseError(_("%(value)r is not a date ringfence understands") % {"value": text[:40]})


def parse_datetime(value: object, formats: Sequence[str] = ()) -> dt.datetime:
    """An aware datetime from a cell: text (ISO, 和暦, ...), ``datetime``/``date`` or Excel serial.

    ``formats`` are ``strptime`` patterns tried first (date format hints from a mapping file). A date
    without a time means 00:00 JST of that day.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=JST)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=JST)
    if isinstance(value, bool):
        raise DateParseError(_("a yes/no value is not a date"))
    if isinstance(value, int | float):
        return from_excel_serial(value).replace(tzinfo=JST)
    if isinstance(value, str):
        return _parse_text(value, formats)[0]
    raise DateParseError(_("%(value)r is not a date ringfence understands") % {"value": str(value)[:40]})


def parse_date(value: object, formats: Sequence[str] = ()) -> dt.date:
    """A calendar date from a cell; a time other than midnight is refused rather than dropped."""
    if isinstance(value, dt.datetime):
        moment = value
        has_time = value.time() != dt.time()
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, str):
        moment, has_time = _parse_text(value, formats)
        has_time = has_time and moment.timetz().replace(tzinfo=None) != dt.time()
    else:
        moment = parse_datetime(value, formats)
        has_time = moment.time() != dt.time()
    if has_time:
        raise DateParseError(_("expected a date without a time of day"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(JST)
    return moment.date()


def to_wareki(day: dt.date) -> str:
    """``day`` written as 和暦 (令和6年4月1日; 元年 for the first year)."""
    for era in reversed(ERAS):
        if day >= era.first_day:
            year = day.year - era.first_day.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era.kanji}{year_text}年{day.month}月{day.day}日"
    raise DateParseError(_("dates before 明治 are not supported"))

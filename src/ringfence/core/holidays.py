"""The working calendar in Japan: weekends, public holidays (国民の祝日, via jpholiday) and company holidays.

Company holidays come from the setting ``RINGFENCE_COMPANY_HOLIDAYS``: a sequence of items, each a month-day
``"MM-DD"``, a month-day range ``"MM-DD..MM-DD"`` (may wrap over the new year), or one date
``"YYYY-MM-DD"``. The default is the new-year break 12/29–1/3 (年末年始). Business hours come from
``RINGFENCE_BUSINESS_HOURS`` (``"HH:MM-HH:MM"``, default ``"07:00-21:00"``; the end is exclusive).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jpholiday
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import RingfenceError

DEFAULT_COMPANY_HOLIDAYS: tuple[str, ...] = ("12-29..01-03",)
DEFAULT_BUSINESS_HOURS = "07:00-21:00"
NEW_YEAR_BREAK_NAME = "年末年始"
COMPANY_HOLIDAY_NAME = "会社休日"

_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class CalendarDay:
    """One day of the working calendar."""

    day: dt.date
    day_off: bool
    holiday_name: str | None


def _month_day(text: str, setting: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(text.strip())
    if not match:
        raise RingfenceError(_("%(setting)s: %(value)r is not MM-DD") % {"setting": setting, "value": text})
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2000, month, day)  # a leap year, so 02-29 is accepted
    except ValueError as exc:
        raise RingfenceError(
            _("%(setting)s: %(value)r is not a day of the year") % {"setting": setting, "value": text}
        ) from exc
    return month, day


@dataclass(frozen=True)
class CompanyHolidays:
    """Company holidays as recurring month-days and one-off dates."""

    month_days: frozenset[tuple[int, int]]
    dates: frozenset[dt.date]

    def name(self, day: dt.date) -> str | None:
        """The holiday's name, or None when ``day`` is a working day as far as the company is concerned."""
        if day in self.dates:
            return COMPANY_HOLIDAY_NAME
        if (day.month, day.day) in self.month_days:
            return NEW_YEAR_BREAK_NAME if day.month in (12, 1) else COMPANY_HOLIDAY_NAME
        return None


def parse_company_holidays(
    items: Iterable[str], setting: str = "RINGFENCE_COMPANY_HOLIDAYS"
) -> CompanyHolidays:
    """Parse the setting's items (see the module docstring); a bad item raises RingfenceError naming it."""
    month_days: set[tuple[int, int]] = set()
    dates: set[dt.date] = set()
    for item in items:
        text = item.strip()
        if _DATE.match(text):
            try:
                dates.add(dt.date.fromisoformat(text))
            except ValueError as exc:
                raise RingfenceError(
                    _("%(setting)s: %(value)r is not a date") % {"setting": setting, "value": text}
                ) from exc
        elif ".." in text:
            first_text, last_text = text.split("..", 1)
            first, last = _month_day(first_text, setting), _month_day(last_text, setting)
            # Walk a leap year from the first to the last month-day, wrapping over the new year.
            cursor = dt.date(2000, *first)
            end = dt.date(2000 if last >= first else 2001, *last)
            while cursor <= end:
                month_days.add((cursor.month, cursor.day))
                cursor += dt.timedelta(days=1)
        else:
            month_days.add(_month_day(text, setting))
    return CompanyHolidays(frozenset(month_days), frozenset(dates))


def company_holidays() -> CompanyHolidays:
    """The company holidays of the settings."""
    items: Sequence[str] | str = getattr(settings, "RINGFENCE_COMPANY_HOLIDAYS", DEFAULT_COMPANY_HOLIDAYS)
    if isinstance(items, str):
        items = [part for part in items.split(",") if part.strip()]
    return parse_company_holidays(items)


def parse_business_hours(text: str, setting: str = "RINGFENCE_BUSINESS_HOURS") -> tuple[int, int]:
    """``"HH:MM-HH:MM"`` as (first minute of the day inside, first minute after), e.g. (420, 1260)."""
    match = _HOURS.match(text.strip())
    if not match:
        raise RingfenceError(
            _("%(setting)s: %(value)r is not HH:MM-HH:MM") % {"setting": setting, "value": text}
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= start < end <= 24 * 60) or m1 > 59 or m2 > 59:
        raise RingfenceError(
            _("%(setting)s: %(value)r must be a range within one day, start before end")
            % {"setting": setting, "value": text}
        )
    return start, end


def business_hours() -> tuple[int, int]:
    """Business hours of the settings as minutes of the JST day [start, end)."""
    return parse_business_hours(str(getattr(settings, "RINGFENCE_BUSINESS_HOURS", DEFAULT_BUSINESS_HOURS)))


@lru_cache(maxsize=256)
def public_holidays(year: int) -> dict[dt.date, str]:
    """Japanese public holidays of a year (jpholiday computes them by rule; cached, it is slow)."""
    return dict(jpholiday.year_holidays(year))


def calendar_days(first: dt.date, last: dt.date, company: CompanyHolidays | None = None) -> list[CalendarDay]:
    """Every day from ``first`` to ``last`` inclusive, with day_off and the holiday's name."""
    company = company or company_holidays()
    days: list[CalendarDay] = []
    cursor = first
    while cursor <= last:
        name = public_holidays(cursor.year).get(cursor) or company.name(cursor)
        days.append(CalendarDay(cursor, cursor.weekday() >= 5 or name is not None, name))
        cursor += dt.timedelta(days=1)
    return days


def is_business_day(day: dt.date) -> bool:
    """A working day: not a weekend, public holiday or company holiday."""
    return not calendar_days(day, day)[0].day_off

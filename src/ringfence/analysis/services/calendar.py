"""Working days and business hours as the analysis reads them (JST; Japanese public holidays).

The completeness check needs to know when a system is expected to log: an empty hour at 03:00 on a
Sunday says nothing, an empty hour at 10:00 on a Wednesday may be a lost log.
"""

from __future__ import annotations

import datetime as dt

import jpholiday
from django.conf import settings

DEFAULT_BUSINESS_HOURS = (7, 21)


def is_company_holiday(day: dt.date) -> bool:
    """The year-end and new-year closure (12/29 to 1/3)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_day_off(day: dt.date) -> bool:
    """Saturday, Sunday, a Japanese public holiday or the company's year-end closure."""
    return day.weekday() >= 5 or jpholiday.is_holiday(day) or is_company_holiday(day)


def business_hours() -> tuple[int, int]:
    """First and end hour (exclusive) of business hours, from ``RINGFENCE_BUSINESS_HOURS`` (default 7-21)."""
    value = getattr(settings, "RINGFENCE_BUSINESS_HOURS", DEFAULT_BUSINESS_HOURS)
    try:
        first, end = value
        if isinstance(first, dt.time):
            return first.hour, end.hour if isinstance(end, dt.time) else int(end)
        return int(first), int(end)
    except (TypeError, ValueError):
        return DEFAULT_BUSINESS_HOURS

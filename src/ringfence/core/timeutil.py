"""Time conventions: stored in UTC, shown in JST; validity intervals are half-open [from, to)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

JST = ZoneInfo("Asia/Tokyo")


def now() -> dt.datetime:
    return timezone.now()


def start_of_day_jst(day: dt.date) -> dt.datetime:
    """Effective dates in personnel orders (発令) mean 00:00 JST of that day."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=JST)


def ensure_aware(value: dt.datetime) -> dt.datetime:
    """Naive datetimes coming from files are Japanese local time."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=JST)
    return value


def to_jst(value: dt.datetime) -> dt.datetime:
    return ensure_aware(value).astimezone(JST)

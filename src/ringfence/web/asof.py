"""The as-of date (基準日) every registry page is read at: ``?as_of=YYYY-MM-DD``, default now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone

from ringfence.core.timeutil import start_of_day_jst, to_jst


@dataclass(frozen=True)
class AsOf:
    """The moment a page is read at and how the user asked for it."""

    at: dt.datetime
    day: dt.date
    explicit: bool
    invalid: str = ""

    @property
    def param(self) -> str:
        """The query-string value that reproduces this date ('' for now)."""
        return self.day.isoformat() if self.explicit else ""


def as_of_from_request(request: HttpRequest) -> AsOf:
    """The as-of date of a request. A date means 00:00 JST of that day, as personnel orders do.

    An unreadable date falls back to now and is reported on the page, never silently ignored.
    """
    raw = (request.GET.get("as_of") or "").strip()
    now = timezone.now()
    if not raw:
        return AsOf(now, to_jst(now).date(), explicit=False)
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return AsOf(now, to_jst(now).date(), explicit=False, invalid=raw[:40])
    return AsOf(start_of_day_jst(day), day, explicit=True)

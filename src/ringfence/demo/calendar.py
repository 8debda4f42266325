"""Dates of the demo: the week of logs, Japanese public holidays, and JST/UTC arithmetic on epoch seconds."""

from __future__ import annotations

import datetime as dt

from ringfence.core.timeutil import JST

DEFAULT_WEEK_START = dt.date(2026, 10, 12)

# Japanese public holidays (国民の祝日, incl. substitute holidays) for the years the demo can cover; the
# generator needs them offline and only to shape traffic, so a table is enough.
HOLIDAYS: frozenset[dt.date] = frozenset(
    dt.date.fromisoformat(d)
    for d in [
        "2024-01-01",
        "2024-01-08",
        "2024-02-11",
        "2024-02-12",
        "2024-02-23",
        "2024-03-20",
        "2024-04-29",
        "2024-05-03",
        "2024-05-04",
        "2024-05-05",
        "2024-05-06",
        "2024-07-15",
        "2024-08-11",
        "2024-08-12",
        "2024-09-16",
        "2024-09-22",
        "2024-09-23",
        "2024-10-14",
        "2024-11-03",
        "2024-11-04",
        "2024-11-23",
        "2025-01-01",
        "2025-01-13",
        "2025-02-11",
        "2025-02-23",
        "2025-02-24",
        "2025-03-20",
        "2025-04-29",
        "2025-05-03",
        "2025-05-04",
        "2025-05-05",
        "2025-05-06",
        "2025-07-21",
        "2025-08-11",
        "2025-09-15",
        "2025-09-23",
        "2025-10-13",
        "2025-11-03",
        "2025-11-23",
        "2025-11-24",
        "2026-01-01",
        "2026-01-12",
        "2026-02-11",
        "2026-02-23",
        "2026-03-20",
        "2026-04-29",
        "2026-05-03",
        "2026-05-04",
        "2026-05-05",
        "2026-05-06",
        "2026-07-20",
        "2026-08-11",
        "2026-09-21",
        "2026-09-22",
        "2026-09-23",
        "2026-10-12",
        "2026-11-03",
        "2026-11-23",
        "2027-01-01",
        "2027-01-11",
        "2027-02-11",
        "2027-02-23",
        "2027-03-21",
        "2027-03-22",
        "2027-04-29",
        "2027-05-03",
        "2027-05-04",
        "2027-05-05",
        "2027-07-19",
        "2027-08-11",
        "2027-09-20",
        "2027-09-23",
        "2027-10-11",
        "2027-11-03",
        "2027-11-23",
    ]
)


def is_day_off(day: dt.date) -> bool:
    """Saturdays, Sundays and public holidays: the network still runs, the offices mostly do not."""
    return day.weekday() >= 5 or day in HOLIDAYS


def week_days(start: dt.date) -> list[dt.date]:
    """The seven days of the log week starting at ``start``."""
    return [start + dt.timedelta(days=i) for i in range(7)]


def jst_epoch(day: dt.date, seconds: int = 0) -> int:
    """Epoch seconds of ``seconds`` after 00:00 JST of ``day``."""
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=JST).timestamp()) + seconds


def jst_datetime(epoch: int) -> dt.datetime:
    """An aware JST datetime for epoch seconds."""
    return dt.datetime.fromtimestamp(epoch, JST)

"""Silent days of a log source, judged against the source's own neighbouring days and its peers."""

from __future__ import annotations

import datetime as dt

from ringfence.logs.selectors import silent_days

WEEK = [dt.date(2026, 10, 12) + dt.timedelta(days=n) for n in range(7)]


def _counts(per_day: list[int]) -> dict[dt.date, int]:
    return {day: n for day, n in zip(WEEK, per_day, strict=True) if n}


def test_a_day_with_a_few_lines_after_midnight_is_silent_when_peers_log_normally() -> None:
    counts = {
        "jukyu": _counts([5000, 5200, 7, 5100, 4900, 800, 700]),
        "cis": _counts([9000, 9100, 9050, 8900, 9200, 1200, 1000]),
        "call": _counts([4000, 4100, 4050, 3900, 4200, 900, 800]),
    }
    assert silent_days(counts, WEEK) == {"jukyu": (WEEK[2],)}


def test_a_quieter_day_is_not_silent() -> None:
    counts = {
        "jukyu": _counts([5000, 5200, 2600, 5100, 4900, 800, 700]),
        "cis": _counts([9000, 9100, 9050, 8900, 9200, 1200, 1000]),
    }
    assert silent_days(counts, WEEK) == {}


def test_a_day_every_source_goes_nearly_silent_is_a_day_off() -> None:
    counts = {
        "jukyu": _counts([5000, 5200, 10, 5100, 4900, 4800, 4700]),
        "cis": _counts([9000, 9100, 12, 8900, 9200, 9000, 9100]),
        "call": _counts([4000, 4100, 0, 3900, 4200, 4000, 4100]),
    }
    assert silent_days(counts, WEEK) == {}


def test_a_day_without_any_event_is_silent() -> None:
    counts = {
        "jukyu": _counts([5000, 5200, 0, 5100, 4900, 4800, 4700]),
        "cis": _counts([9000, 9100, 9050, 8900, 9200, 9000, 9100]),
    }
    assert silent_days(counts, WEEK) == {"jukyu": (WEEK[2],)}

"""Time fields of enrichment: Japan time, weekdays, public and company holidays, business hours; the calendar
settings and their errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from ringfence.core.errors import RingfenceError
from ringfence.core.holidays import (
    calendar_days,
    is_business_day,
    parse_business_hours,
    parse_company_holidays,
)
from ringfence.registry.tests.conftest import build_world

from .enrich_support import connection, enrich_rows, event, jst, take_snapshot

SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def snapshot(db: None, tmp_path: Path) -> Path:
    build_world()
    return take_snapshot(tmp_path)


def test_japan_time_weekday_holidays_and_business_hours(snapshot: Path) -> None:
    rows = enrich_rows(
        connection(snapshot),
        [
            event("sports-day", jst(2026, 10, 12, 10)),  # スポーツの日 (Monday)
            event("utc-previous-day", jst(2026, 10, 13, 8, 30)),  # 23:30 UTC on the 12th
            event("before-hours", jst(2026, 10, 13, 7) - SECOND),
            event("opening", jst(2026, 10, 13, 7)),
            event("last-second", jst(2026, 10, 13, 21) - SECOND),
            event("closing", jst(2026, 10, 13, 21)),
            event("saturday", jst(2026, 10, 17, 12)),
            event("sunday", jst(2026, 10, 18, 12)),
            event("year-end", jst(2026, 12, 29, 10)),
            event("new-year-3rd", jst(2027, 1, 3, 10)),
            event("first-working-day", jst(2027, 1, 4, 10)),
        ],
    )
    sports = rows["sports-day"]
    assert sports["time_jst"] == dt.datetime(2026, 10, 12, 10)
    assert (sports["hour_jst"], sports["weekday_jst"]) == (10, 0)
    assert (sports["day_off"], sports["holiday_name"], sports["business_hours"]) == (
        True,
        "スポーツの日",
        False,
    )

    early = rows["utc-previous-day"]
    assert early["time_jst"] == dt.datetime(2026, 10, 13, 8, 30)
    assert (early["hour_jst"], early["weekday_jst"], early["day"]) == (8, 1, dt.date(2026, 10, 13))
    assert (early["day_off"], early["holiday_name"], early["business_hours"]) == (False, None, True)

    assert rows["before-hours"]["business_hours"] is False
    assert rows["opening"]["business_hours"] is True
    assert rows["last-second"]["business_hours"] is True
    assert rows["closing"]["business_hours"] is False
    assert (rows["saturday"]["weekday_jst"], rows["saturday"]["day_off"]) == (5, True)
    assert rows["saturday"]["holiday_name"] is None and rows["saturday"]["business_hours"] is False
    assert (rows["sunday"]["weekday_jst"], rows["sunday"]["day_off"]) == (6, True)
    assert (rows["year-end"]["day_off"], rows["year-end"]["holiday_name"]) == (True, "年末年始")
    assert (rows["new-year-3rd"]["day_off"], rows["new-year-3rd"]["holiday_name"]) == (True, "年末年始")
    assert (rows["first-working-day"]["day_off"], rows["first-working-day"]["business_hours"]) == (
        False,
        True,
    )


def test_settings_change_business_hours_and_company_holidays(snapshot: Path, settings) -> None:
    settings.RINGFENCE_BUSINESS_HOURS = "08:30-17:15"
    settings.RINGFENCE_COMPANY_HOLIDAYS = ["08-13..08-15", "2026-10-16"]
    rows = enrich_rows(
        connection(snapshot),
        [
            event("early", jst(2026, 10, 13, 8, 29)),
            event("opening", jst(2026, 10, 13, 8, 30)),
            event("closing", jst(2026, 10, 13, 17, 15)),
            event("one-off", jst(2026, 10, 16, 10)),
            event("obon", jst(2026, 8, 14, 10)),
            event("year-end-is-work-now", jst(2026, 12, 29, 10)),
        ],
    )
    assert rows["early"]["business_hours"] is False
    assert rows["opening"]["business_hours"] is True
    assert rows["closing"]["business_hours"] is False
    assert (rows["one-off"]["day_off"], rows["one-off"]["holiday_name"]) == (True, "会社休日")
    assert rows["obon"]["day_off"] is True
    assert rows["year-end-is-work-now"]["day_off"] is False


def test_calendar_wraps_the_new_year_and_knows_substitute_holidays() -> None:
    company = parse_company_holidays(["12-29..01-03"])
    days = {d.day: d for d in calendar_days(dt.date(2026, 12, 27), dt.date(2027, 1, 5), company)}
    new_year_break = [dt.date(2026, 12, 29) + dt.timedelta(days=i) for i in range(6)]
    assert all(days[d].day_off for d in new_year_break)
    assert not days[dt.date(2026, 12, 28)].day_off  # a Monday before the break
    assert [d for d, c in days.items() if c.holiday_name == "年末年始"] == [
        d for d in new_year_break if d != dt.date(2027, 1, 1)
    ]
    assert days[dt.date(2027, 1, 1)].holiday_name == "元日"  # the public holiday's name wins
    assert days[dt.date(2027, 1, 5)].day_off is False
    # 2026-05-06 is a substitute holiday (振替休日) for Sunday 5/3.
    assert calendar_days(dt.date(2026, 5, 6), dt.date(2026, 5, 6))[0].day_off is True
    assert is_business_day(dt.date(2026, 10, 13)) is True
    assert is_business_day(dt.date(2026, 10, 12)) is False


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        (["13-01"], "'13-01' is not a day of the year"),
        (["12/29"], "'12/29' is not MM-DD"),
        (["2026-02-30"], "not a date"),
    ],
)
def test_bad_company_holidays_name_the_setting_and_item(items: list[str], problem: str) -> None:
    with (
        translation.override("en"),
        pytest.raises(RingfenceError, match="RINGFENCE_COMPANY_HOLIDAYS") as caught,
    ):
        parse_company_holidays(items)
    assert problem in str(caught.value)


@pytest.mark.parametrize("text", ["7-21", "21:00-07:00", "07:00-25:00", "07:60-21:00"])
def test_bad_business_hours_are_refused(text: str) -> None:
    with translation.override("en"), pytest.raises(RingfenceError, match="RINGFENCE_BUSINESS_HOURS"):
        parse_business_hours(text)


def test_business_hours_parse_to_minutes() -> None:
    assert parse_business_hours("07:00-21:00") == (420, 1260)
    assert parse_business_hours("8:30 - 17:15") == (510, 1035)

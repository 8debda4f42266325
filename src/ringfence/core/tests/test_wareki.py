"""Date parsing: ISO, slashes, compact, 和暦 in its usual forms, Excel cells; invalid dates refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.timeutil import JST
from ringfence.core.wareki import ERAS, DateParseError, parse_date, parse_datetime, to_wareki


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-01", dt.date(2024, 4, 1)),
        ("2024/4/1", dt.date(2024, 4, 1)),
        ("2024.04.01", dt.date(2024, 4, 1)),
        ("20240401", dt.date(2024, 4, 1)),
        ("2024年4月1日", dt.date(2024, 4, 1)),
        ("２０２４／０４／０１", dt.date(2024, 4, 1)),
        ("令和6年4月1日", dt.date(2024, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("R6.4.1", dt.date(2024, 4, 1)),
        ("R06/04/01", dt.date(2024, 4, 1)),
        ("r6-4-1", dt.date(2024, 4, 1)),
        ("令6.4.1", dt.date(2024, 4, 1)),
        ("㋿6年4月1日", dt.date(2024, 4, 1)),
        ("H31.4.30", dt.date(2019, 4, 30)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("S64.1.7", dt.date(1989, 1, 7)),
        ("大正15年12月24日", dt.date(1926, 12, 24)),
        ("2024-04-01 00:00", dt.date(2024, 4, 1)),
    ],
)
def test_date_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "平成31年5月1日",  # 令和 had begun
        "昭和64年1月8日",  # 平成 had begun
        "令和元年4月30日",  # still 平成
        "平成0年1月1日",
        "2024/2/30",
        "2023-02-29",
        "R6.13.1",
        "20241301",
        "明日",
        "2024-04",
        "",
    ],
)
def test_invalid_dates_are_refused(text):
    with pytest.raises(DateParseError):
        parse_date(text)


def test_datetimes_naive_means_jst():
    assert parse_datetime("2024-04-01 09:30") == dt.datetime(2024, 4, 1, 9, 30, tzinfo=JST)
    assert parse_datetime("令和6年4月1日 9時30分") == dt.datetime(2024, 4, 1, 9, 30, tzinfo=JST)
    assert parse_datetime("R6.4.1 09:30:15") == dt.datetime(2024, 4, 1, 9, 30, 15, tzinfo=JST)
    assert parse_datetime("2024-04-01T00:30:00Z") == dt.datetime(2024, 4, 1, 9, 30, tzinfo=JST)
    assert parse_datetime("2024-04-01 09:30:00.250") == dt.datetime(2024, 4, 1, 9, 30, 0, 250000, tzinfo=JST)
    assert parse_datetime(dt.datetime(2024, 4, 1, 9, 30)).tzinfo is JST
    assert parse_datetime(dt.date(2024, 4, 1)) == dt.datetime(2024, 4, 1, tzinfo=JST)


def test_date_column_refuses_a_time_rather_than_dropping_it():
    with pytest.raises(DateParseError):
        parse_date("2024-04-01 09:30")
    with pytest.raises(DateParseError):
        parse_date(dt.datetime(2024, 4, 1, 9, 30))


def test_excel_serials():
    assert parse_date(45383) == dt.date(2024, 4, 1)
    assert parse_datetime(45383.375) == dt.datetime(2024, 4, 1, 9, 0, tzinfo=JST)
    assert parse_date(61) == dt.date(1900, 3, 1)
    with pytest.raises(DateParseError):
        parse_date(0)
    with pytest.raises(DateParseError):
        parse_date(True)


def test_format_hints_are_tried_first():
    assert parse_date("01.04.2024", ["%d.%m.%Y"]) == dt.date(2024, 4, 1)
    assert parse_date("2024-04-01", ["%d.%m.%Y"]) == dt.date(2024, 4, 1)  # built-in forms still work


@given(st.dates(min_value=dt.date(1868, 10, 23), max_value=dt.date(2200, 12, 31)))
def test_wareki_round_trip(day):
    assert parse_date(to_wareki(day)) == day
    era = next(e for e in reversed(ERAS) if day >= e.first_day)
    short = f"{era.letter}{day.year - era.first_day.year + 1}.{day.month}.{day.day}"
    assert parse_date(short) == day


@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日"]))
def test_western_forms_round_trip(day, fmt):
    text = day.strftime(fmt)
    if day.year < 1000 or len(str(day.year)) != 4:
        return
    assert parse_date(text) == day


@given(st.text(max_size=40))
def test_parser_never_crashes(text):
    try:
        result = parse_datetime(text)
    except DateParseError:
        return
    assert result.tzinfo is not None


@given(
    st.sampled_from(ERAS),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=15),
    st.integers(min_value=0, max_value=35),
)
def test_wareki_accepts_only_days_inside_the_era(era, year, month, day):
    text = f"{era.kanji}{year}年{month}月{day}日"
    try:
        parsed = parse_date(text)
    except DateParseError:
        try:
            real = dt.date(era.first_day.year + year - 1, month, day)
        except ValueError:
            return
        assert year < 1 or real < era.first_day or (era.last_day is not None and real > era.last_day)
        return
    assert parsed >= era.first_day
    assert era.last_day is None or parsed <= era.last_day
    assert (parsed.month, parsed.day) == (month, day)

"""Each rule of the built-in pack against its sample events (tests/rule_cases/*.yml), compiled for real.

The rules are compiled by the Sigma compilers (detections and correlations) against the columns of the
enriched relation and evaluated by DuckDB over a table holding the case's events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from .rule_pack_support import (
    ORDINARY,
    Case,
    PackRules,
    compile_pack,
    correlation_triggers,
    detection_matches,
    enriched_columns,
    event_rows,
    load_cases,
    load_relation,
)

CASES = load_cases()


@pytest.fixture(scope="module")
def columns() -> dict[str, str]:
    return enriched_columns()


@pytest.fixture(scope="module")
def pack(columns: dict[str, str]) -> PackRules:
    return compile_pack(columns)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.origin)
def test_rule_case(
    case: Case, pack: PackRules, columns: dict[str, str], con: duckdb.DuckDBPyConnection
) -> None:
    load_relation(con, "enriched", event_rows(case.events, columns), columns)
    if case.correlation:
        triggers = correlation_triggers(con, "enriched", pack.correlations[case.rule], pack)
        assert bool(triggers) == case.expect, f"{case.origin}: triggers {triggers}"
        missing = {f"e{i}" for i in case.fires_at} - set(triggers)
        assert not missing, f"{case.origin}: did not fire at {sorted(missing)} (fired at {triggers})"
    else:
        matched = detection_matches(con, "enriched", pack.detections[case.rule])
        assert (matched == ["e0"]) == case.expect, f"{case.origin}: matched {matched}"


def test_an_ordinary_day_raises_nothing(
    pack: PackRules, columns: dict[str, str], con: duckdb.DuckDBPyConnection
) -> None:
    """A working day of an own employee, entitled, on their own terminal: no alerting rule fires."""
    day: list[dict[str, Any]] = [
        {"class": "authentication", "activity": "logon", "record_count": None, "at": "0m"},
        *({"activity": "search", "record_count": 40, "after": "3m"} for _ in range(5)),
        *({"activity": "view", "after": "2m"} for _ in range(20)),
        {
            "activity": "export",
            "record_count": 2500,
            "required_level": "export",
            "entitled_level": "export",
            "after": "5m",
        },
        {"activity": "update", "required_level": "update", "after": "5m"},
        {"class": "authentication", "activity": "logon", "outcome": "failure", "after": "4h"},
        {"class": "authentication", "activity": "logon", "after": "10s"},
        {"class": "authentication", "activity": "logoff", "after": "3h"},
    ]
    load_relation(con, "enriched", event_rows(day, columns), columns)
    alerting = {
        name: compiled for name, compiled in pack.detections.items()
        if compiled.level != "informational"
    }  # fmt: skip
    for name, compiled in alerting.items():
        assert detection_matches(con, "enriched", compiled) == [], name
    for name, compiled in pack.correlations.items():
        assert correlation_triggers(con, "enriched", compiled, pack) == [], name


def test_ordinary_event_is_what_the_cases_assume() -> None:
    """The cases describe departures from this event; keep it an unremarkable one."""
    assert ORDINARY["own_employee"] is True and ORDINARY["entitled_for_activity"] is True
    assert ORDINARY["business_hours"] is True and ORDINARY["day_off"] is False
    assert ORDINARY["owner"] == ORDINARY["terminal_assigned_employee"]


def test_every_rule_compiles_to_spark_sql_too(columns: dict[str, str]) -> None:
    """A later issue runs the pack on Spark: every detection and correlation must render as Spark SQL."""
    import sqlglot

    spark = compile_pack(columns, dialect="spark")
    assert set(spark.detections) == set(compile_pack(columns).detections)
    for name, compiled in spark.detections.items():
        parsed = sqlglot.parse_one(f"SELECT event_id FROM enriched WHERE {compiled.where_sql}", read="spark")
        assert parsed is not None, name
    for name, compiled in spark.correlations.items():
        sql = compiled.sql("matches")
        assert "OVER" in sql.upper() and " JOIN " not in sql.upper(), name
        assert sqlglot.parse_one(sql, read="spark") is not None, name

"""The shape of correlation SQL: window functions only (near-linear), and its Spark spelling."""

from __future__ import annotations

import re

import duckdb
import pytest
import sqlglot
from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule

from ringfence.core.errors import BadInput
from ringfence.detection.sigma import parse_rules
from ringfence.detection.sigma.correlation import match_column
from ringfence.detection.sigma.correlation_ranges import extra_bounds

from .sigma_correlation_support import StubContext, base_rules, compile_text, events

KINDS = {
    "event_count": "  condition: {gte: 3}\n",
    "value_count": "  condition: {gte: 2, field: src_ip}\n",
    "value_sum": "  condition: {gte: 2, field: record_count}\n",
    "value_percentile": "  condition: {gte: 2, field: record_count, percentile: 95}\n",
    "value_median": "  condition: {gte: 2, field: record_count}\n",
    "temporal": "",
    "temporal_ordered": "",
}


def rule_text(kind: str) -> str:
    return base_rules("a", "b") + (
        f"title: t\nname: t_{kind}\ncorrelation:\n  type: {kind}\n  rules: [a, b]\n  group-by: [system, account]\n"
        f"  timespan: 1h\n{KINDS[kind]}"
    )


def physical_plan(sql: str) -> str:
    con = duckdb.connect()
    rows = [
        {"t": i, "account": f"u{i % 3}", "src_ip": "10.0.0.1", "record_count": 1, "hit": ["a"]}
        for i in range(9)
    ]
    con.register("matches", events(rows, ["a", "b"]))
    return "\n".join(str(row[1]) for row in con.sql("EXPLAIN " + sql).fetchall())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_plan_uses_windows_and_no_join(kind: str) -> None:
    plan = physical_plan(compile_text(rule_text(kind)).sql("matches"))
    # Operator names appear as box titles ("╭─ Window ─"); their spelling case varies between DuckDB versions.
    operators = [name.strip().lower() for name in re.findall(r"╭─ ([^─]+)─", plan)]
    assert any("window" in op for op in operators), operators
    assert not any(re.search(r"join|cross|delim", op) for op in operators), operators


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_spark_sql_is_valid_spark_without_distinct_windows(kind: str) -> None:
    spark = compile_text(rule_text(kind), StubContext(dialect="spark")).sql("matches")
    tree = sqlglot.parse_one(spark, read="spark")  # parses as Spark SQL
    assert tree.find(sqlglot.exp.Window) is not None
    assert ("`account`" in spark and "RANGE BETWEEN INTERVAL" in spark) or kind == "temporal_ordered"
    for window in tree.find_all(sqlglot.exp.Window):
        assert not isinstance(window.this, sqlglot.exp.Count) or not isinstance(
            window.this.this, sqlglot.exp.Distinct
        ), "Spark has no distinct window aggregates"
    if kind == "value_count":
        assert "SIZE(COLLECT_SET(" in spark
    if kind == "value_percentile":
        assert "PERCENTILE(" in spark.upper() and "QUANTILE" not in spark.upper()


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(Exception, match="dialect"):
        compile_text(rule_text("event_count"), StubContext(dialect="oracle"))


def test_match_column_is_a_safe_identifier() -> None:
    assert match_column("6F0C8A52-0b7e") == "m_6f0c8a52_0b7e"
    assert match_column("rf.bulk records") == "m_rf_bulk_records"
    assert re.fullmatch(r"m_[0-9a-z_]+", match_column("名前-x"))


def test_range_conditions_parse_through_the_project_parser_and_bad_bounds_are_named() -> None:
    text = base_rules("a", "b") + (
        "title: r\nname: r\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [account]\n"
        "  timespan: 1h\n  condition: {gt: 1, lte: 5}\n"
    )
    correlation = parse_rules(text, "range.yml")[-1]
    assert isinstance(correlation, SigmaCorrelationRule)
    assert isinstance(correlation.condition, SigmaCorrelationCondition)
    assert (correlation.condition.op.name, correlation.condition.count) == ("GT", 1)
    assert extra_bounds(correlation.condition) == {"lte": 5.0}
    with pytest.raises(BadInput) as caught:
        parse_rules(text.replace("lte: 5", "lte: many"), "range.yml")
    assert "range.yml" in str(caught.value.problems[0]) and "many" in str(caught.value.problems[0])


def test_state_columns_cover_what_the_sql_reads() -> None:
    """Re-running the SQL over only the state columns gives the same triggers (what the live monitor relies on)."""
    compiled = compile_text(rule_text("value_count"))
    rows = [{"t": i, "account": "u", "src_ip": f"10.0.0.{i}", "hit": ["a"]} for i in range(4)]
    table = events(rows, ["a", "b"])
    con = duckdb.connect()
    con.register("full_rel", table)
    con.register("state_rel", table.select(list(compiled.state_columns)))
    full = con.sql(compiled.sql("full_rel")).fetchall()
    assert full and con.sql(compiled.sql("state_rel")).fetchall() == full

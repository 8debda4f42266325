"""The few SQL constructs correlation queries need that differ between DuckDB and Spark.

Correlation SQL is written once in DuckDB syntax. For Spark it is transpiled with sqlglot, after rewriting the
two window aggregates Spark refuses or names differently: ``count(DISTINCT x) OVER w`` (Spark has no distinct
window aggregates, so it becomes ``size(collect_set(x)) OVER w``, which also ignores NULLs) and
``quantile_cont(x, p) OVER w`` (Spark's exact ``percentile(x, p)``).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ringfence.core.errors import RingfenceError

DIALECTS = ("duckdb", "spark")


def check_dialect(dialect: str) -> None:
    if dialect not in DIALECTS:
        raise RingfenceError(f"unknown SQL dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")


def render(duckdb_sql: str, dialect: str) -> str:
    """Return ``duckdb_sql`` in ``dialect`` (unchanged for DuckDB)."""
    check_dialect(dialect)
    if dialect == "duckdb":
        return duckdb_sql
    tree = sqlglot.parse_one(duckdb_sql, read="duckdb")
    tree = tree.transform(_spark_window_aggregates)
    return tree.sql(dialect="spark")


def _spark_window_aggregates(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Window):
        return node
    inner = node.this
    if isinstance(inner, exp.Count) and isinstance(inner.this, exp.Distinct):
        values = inner.this.expressions
        if len(values) != 1:
            raise RingfenceError("a distinct count over a window takes exactly one value")
        # Spark cannot window a non-aggregate function: window the collect_set and take its size outside.
        window = node.copy()
        window.set("this", exp.ArrayUniqueAgg(this=values[0].copy()))
        return exp.ArraySize(this=window)
    if isinstance(inner, exp.PercentileCont):
        window = node.copy()
        window.set(
            "this",
            exp.Anonymous(this="percentile", expressions=[inner.this.copy(), inner.expression.copy()]),
        )
        return window
    return node

"""SQL dialects: we generate DuckDB SQL and let sqlglot re-spell it for Spark (so the rules can run on a
lakehouse too); regular expressions are checked against the engine that will run them (RE2 in DuckDB)."""

from __future__ import annotations

import functools
import threading

import duckdb
import sqlglot
from sqlglot.errors import SqlglotError

DIALECTS = ("duckdb", "spark")
_regex_lock = threading.Lock()


def to_dialect(duckdb_sql: str, dialect: str) -> str:
    """``duckdb_sql`` (an expression) in ``dialect``; ValueError when sqlglot cannot parse or write it."""
    if dialect == "duckdb":
        return duckdb_sql
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    try:
        return sqlglot.transpile(
            duckdb_sql, read="duckdb", write=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE
        )[0]
    except SqlglotError as error:
        raise ValueError(str(error).splitlines()[0]) from error


@functools.lru_cache(maxsize=1024)
def check_regex(pattern: str) -> str | None:
    """None when DuckDB's RE2 accepts ``pattern``, else its complaint (e.g. look-around, back-references)."""
    with _regex_lock:
        try:
            _regex_connection().execute("SELECT regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as error:
            return str(error).splitlines()[0]
    return None


@functools.cache
def _regex_connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")

"""Helpers of the enrichment tests (no tests here): a registry world exported to a real snapshot, events
registered in DuckDB, and a reader of enriched rows by event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ringfence.core.timeutil import JST
from ringfence.detection.enrich import attach_registry, create_enriched_view, snapshot_registry
from ringfence.logs.tests.test_lake_support import make_events


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=JST)


def event(key: str, when: dt.datetime, **fields: Any) -> dict[str, Any]:
    """One event row; ``key`` (kept in ``message``) names it in assertions."""
    return {"time": when, "message": key, "account": fields.pop("account", "u001"), **fields}


def connection(snapshot: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    attach_registry(con, snapshot)
    return con


def enrich_rows(
    con: duckdb.DuckDBPyConnection,
    rows: list[dict[str, Any]],
    *,
    history: list[dict[str, Any]] | None = None,
    name: str = "enriched",
    **options: Any,
) -> dict[str, dict[str, Any]]:
    """Enrich ``rows`` (and optional ``history`` rows); return enriched rows keyed by their ``message``."""
    con.register("test_events", make_events(rows, source_file="events.log"))
    if history is not None:
        con.register("test_history", make_events(history, source_file="history.log"))
    create_enriched_view(
        con, "test_events", name, history="test_history" if history is not None else None, **options
    )
    table: pa.Table = con.sql(f"SELECT * FROM {name} ORDER BY time, message").to_arrow_table()
    return {row["message"]: row for row in table.to_pylist()}


def take_snapshot(tmp_path: Path) -> Path:
    return snapshot_registry(tmp_path / "snapshot")

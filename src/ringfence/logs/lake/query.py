"""Reading the lake with DuckDB, over exactly the files the manifest lists as live.

A glob over ``events/`` would also read a file slipped in behind the manifest's back, and would read a
file a compaction has just replaced alongside its replacement; listing the manifest's files avoids both.
``system`` and ``day`` come from the Hive-style directory names, so filtering on them skips whole files.

These helpers return personal data (account names, raw lines). They do not write the audit trail
themselves; a view or command that shows their results to a person must call ``audit.services.record``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ringfence.logs.schema import EVENT_SCHEMA

from .durable import os_errors
from .layout import Partition, lake_dir
from .manifest import scan
from .writer import LakeFile, read_event_ids

HIVE_TYPES = "{'system': 'VARCHAR', 'day': 'DATE'}"


def live_files(
    root: Path | None = None, system: str | None = None, days: Iterable[dt.date] | None = None
) -> list[LakeFile]:
    """The live files of the lake (optionally of one system and some days), oldest entry first."""
    root = root or lake_dir()
    wanted_days = set(days) if days is not None else None
    files = [LakeFile.from_entry(entry.fields) for entry in scan(root).live.values()]
    return [
        f
        for f in sorted(files, key=lambda f: f.seq)
        if (system is None or f.system == system) and (wanted_days is None or f.day in wanted_days)
    ]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(database: str = ":memory:", root: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view ``events`` over the lake's live files (plus ``day``, a DATE)."""
    root = root or lake_dir()
    files = live_files(root)
    con = duckdb.connect(database)
    if files:
        listing = ", ".join(_sql_string(str(root / f.path)) for f in files)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM read_parquet([{listing}], "
            f"hive_partitioning = true, hive_types = {HIVE_TYPES})"
        )
    else:
        empty = EVENT_SCHEMA.empty_table().append_column("day", pa.array([], pa.date32()))
        con.register("lake_empty_events", empty)
        con.execute("CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM lake_empty_events")
    return con


def count_events(
    con: duckdb.DuckDBPyConnection | None = None,
    system: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[str, dt.date, int]]:
    """Events per (system, JST day), for days in [start, end), ordered by system and day."""
    con = con or connect()
    clauses: list[str] = ["TRUE"]
    params: list[object] = []
    if system is not None:
        clauses.append("system = ?")
        params.append(system)
    if start is not None:
        clauses.append("day >= ?")
        params.append(start)
    if end is not None:
        clauses.append("day < ?")
        params.append(end)
    sql = f"SELECT system, day, count(*) FROM events WHERE {' AND '.join(clauses)} GROUP BY ALL ORDER BY 1, 2"
    return [(str(s), d, int(n)) for s, d, n in con.execute(sql, params).fetchall()]


def events_by_id(ids: Iterable[str], con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """The stored events with these IDs (any order; IDs not stored are simply absent)."""
    con = con or connect()
    wanted = pa.table({"event_id": pa.array(sorted(set(ids)), pa.string())})
    con.register("lake_wanted_ids", wanted)
    try:
        return con.sql(
            "SELECT e.* FROM events e SEMI JOIN lake_wanted_ids w ON e.event_id = w.event_id ORDER BY e.time"
        ).to_arrow_table()
    finally:
        con.unregister("lake_wanted_ids")


def known_event_ids(
    system: str, days: Iterable[dt.date], candidate_ids: Iterable[str], root: Path | None = None
) -> set[str]:
    """Which of ``candidate_ids`` the lake already holds in ``system`` on the given JST days.

    An event's ID is derived from where its line came from (``schema.event_id``), and so is its time, so a
    re-ingested line lands in the same partition as before: looking only at the candidates' partitions is
    enough. ``append`` already skips known events under the writer lock (that is what guarantees no
    duplicates); ingest calls this first to report a file or batch as already ingested without rewriting
    it, or to count duplicates for its summary.
    """
    root = root or lake_dir()
    candidates = pa.array(sorted(set(candidate_ids)), pa.string())
    if not len(candidates):
        return set()
    partitions = {Partition(system, day).relative_dir + "/" for day in days}
    paths = [
        str(root / path) for path in scan(root).live if any(path.startswith(prefix) for prefix in partitions)
    ]
    if not paths:
        return set()
    with os_errors(paths[0]):
        stored = read_event_ids(paths)
    return set(pc.filter(candidates, pc.is_in(candidates, value_set=stored)).to_pylist())

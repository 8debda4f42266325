"""The monitor's state: one DuckDB database file, changed only in whole transactions.

``<data dir>/monitor/state.duckdb`` holds

* ``monitor_position`` — one row: the manifest position consumed (sequence, byte offset, lake ID) and the
  watermark (newest event time seen);
* ``window_events`` — enriched events that matched a base rule of a correlation, newer than the watermark
  minus the longest correlation timespan and the lateness allowance: what a correlation completing in a
  later batch needs (the correlation "state");
* ``history_events`` — every event seen, folded per hour and key (system, account, terminal, address,
  activity, ...) into one pseudo-event with the summed ``record_count``: enough for first-seen pairs and
  per-hour/per-day baselines, at a fraction of the events' size.

A batch updates all three and the position in one DuckDB transaction (write-ahead logged and synced at
commit), so after a crash the state is that of the last batch whose alerts were handed over, and the batch
in flight is evaluated again from the same state (the alerts' idempotent keys absorb the repetition).
A lock file keeps a second monitor away from the same state.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from pathlib import Path
from typing import IO, Any

import duckdb
from django.conf import settings
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError
from ringfence.logs.schema import EVENT_SCHEMA

from .follower import Position

STATE_FILE = "state.duckdb"
LOCK_FILE = ".lock"

# Arrow type -> DuckDB type of the event columns (history pseudo-events need typed NULLs).
_DUCK_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "timestamp[us, tz=UTC]": "TIMESTAMPTZ",
    "list<item: string>": "VARCHAR[]",
}

# Columns that identify a pseudo-event of the history (besides its hour): everything enrichment keys on.
HISTORY_KEYS = (
    "system",
    "source",
    "class",
    "activity",
    "outcome",
    "account",
    "account_domain",
    "src_ip",
    "src_host",
    "terminal",
    "function",
    "record_type",
)


def default_state_dir() -> Path:
    """``<data dir>/monitor``."""
    return Path(settings.DATA_DIR) / "monitor"


class MonitorBusy(RingfenceError):
    """Another monitor holds the state directory."""


def lock_state(state_dir: Path) -> IO[bytes]:
    """Hold the state directory's lock for the life of the returned file; refuses when it is taken."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    handle = open(state_dir / LOCK_FILE, "ab")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise MonitorBusy(
            _("another monitor is running on %(dir)s (ringfence monitor or stream run --monitor)")
            % {"dir": state_dir}
        ) from None
    return handle


def _history_ddl() -> str:
    columns = ", ".join(f'"{f.name}" {_DUCK_TYPES[str(f.type)]}' for f in EVENT_SCHEMA)
    return f"CREATE TABLE IF NOT EXISTS history_events ({columns}, day DATE)"


def open_state(state_dir: Path) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the state database; the connection is also where enrichment runs."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    path = state_dir / STATE_FILE
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE IF NOT EXISTS monitor_position (seq BIGINT, manifest_offset BIGINT, lake_id VARCHAR, "
        "watermark TIMESTAMPTZ, batches BIGINT, events BIGINT, updated_at TIMESTAMPTZ)"
    )
    con.execute(_history_ddl())
    path.chmod(0o640)  # events are personal data
    return con


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, reading the result to its end (DuckDB refuses new work on a connection
    whose last result was not consumed)."""
    rows = con.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def read_position(con: duckdb.DuckDBPyConnection) -> tuple[Position, dt.datetime | None] | None:
    """The stored position and watermark, or None for a new state."""
    row = first_row(con, "SELECT seq, manifest_offset, lake_id, watermark FROM monitor_position LIMIT 1")
    if row is None:
        return None
    return Position(seq=int(row[0]), offset=int(row[1]), lake_id=str(row[2] or "")), row[3]


def write_position(
    con: duckdb.DuckDBPyConnection, position: Position, watermark: dt.datetime | None, events: int
) -> None:
    """Replace the position row (inside the caller's transaction)."""
    previous = first_row(con, "SELECT batches, events FROM monitor_position LIMIT 1")
    batches, total = (int(previous[0]), int(previous[1])) if previous else (0, 0)
    con.execute("DELETE FROM monitor_position")
    con.execute(
        "INSERT INTO monitor_position VALUES (?, ?, ?, ?, ?, ?, now())",
        [position.seq, position.offset, position.lake_id, watermark, batches + 1, total + events],
    )


def window_exists(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``window_events`` has been created (by the first batch, with the enriched columns)."""
    row = first_row(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'window_events' AND NOT temporary"
    )
    return bool(row and row[0])


def fold_into_history(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Add the events of ``relation`` to ``history_events``, one pseudo-event per key and hour."""
    keys = ", ".join(f'"{k}"' for k in HISTORY_KEYS)
    select: list[str] = []
    for field in EVENT_SCHEMA:
        name = field.name
        if name in HISTORY_KEYS:
            select.append(f'"{name}"')
        elif name == "event_id":
            select.append(f"'h:' || md5(concat_ws('|', {keys}, min(time)::VARCHAR)) AS event_id")
        elif name == "time":
            select.append("min(time) AS time")
        elif name == "record_count":
            select.append("sum(coalesce(record_count, 1))::BIGINT AS record_count")
        elif name in ("raw",):
            select.append("'' AS raw")
        elif name == "ingested_at":
            select.append("max(ingested_at) AS ingested_at")
        else:
            select.append(f'NULL::{_DUCK_TYPES[str(field.type)]} AS "{name}"')
    select.append("min(day) AS day")
    con.execute(
        f"INSERT INTO history_events SELECT {', '.join(select)} FROM {relation} "
        f"GROUP BY {keys}, date_trunc('hour', time)"
    )


def prune_history(con: duckdb.DuckDBPyConnection, before: dt.datetime) -> None:
    """Forget pseudo-events older than ``before`` (outside any baseline or first-seen horizon)."""
    con.execute("DELETE FROM history_events WHERE time < ?", [before])

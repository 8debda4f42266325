"""The monitor's state: one DuckDB database file, changed only in whole transactions.

``<data dir>/monitor/state.duckdb`` holds

* ``monitor_position`` — one row: the manifest position consumed (sequence, byte offset, lake ID) and the
  watermark (newest event time seen);
* ``window_events`` — enriched events that matched a base rule of a correlation, newer than the watermark
  minus the longest correlation timespan and the lateness allowance: what a correlation completing in a
  later batch needs (the correlation "state");
* ``history_events`` — every event seen, folded into pseudo-events: the first time of each (system,
  account, terminal, host, address) per JST day, and the records of each (system, account) per hour —
  what the enrichment reads of earlier events for first-seen flags and baselines, at a fraction of the
  events' size (see ``fold_into_history``).

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

from .follower import Position

STATE_FILE = "state.duckdb"
LOCK_FILE = ".lock"

# The history: just what enrichment reads of earlier events (first-seen pairs and baselines), folded.
HISTORY_COLUMNS = (
    "k VARCHAR PRIMARY KEY, time TIMESTAMPTZ, system VARCHAR, account VARCHAR, terminal VARCHAR, "
    "src_host VARCHAR, src_ip VARCHAR, record_count BIGINT"
)
_NULLABLE = "coalesce({0}, '\x00')"


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
    con.execute(f"CREATE TABLE IF NOT EXISTS history_events ({HISTORY_COLUMNS})")
    # Files read ahead of the position (a catch-up reads files in time order, not manifest order).
    con.execute("CREATE TABLE IF NOT EXISTS done_files (path VARCHAR PRIMARY KEY, seq BIGINT)")
    from .updates import UPDATES_DDL

    for statement in UPDATES_DDL:
        con.execute(statement)
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


def folded_sql(relation: str, where: str = "TRUE") -> str:
    """SELECT of the pseudo-events (``history_events`` columns) that the events of ``relation`` fold into.

    * per JST day and (system, account, terminal, host, address): the earliest time — first-seen pairs
      (kept per day so that a pair last seen before the history horizon counts as new again, as in a batch
      analysis); no record count;
    * per hour and (system, account): the earliest time and the summed ``record_count`` (NULL when the
      source gives none, which the baselines ignore, as they ignore it in a batch analysis) — no terminal.
    """
    pair_key = ", ".join(_NULLABLE.format(c) for c in ("system", "account", "terminal", "src_host", "src_ip"))
    hour_key = f"date_trunc('hour', time), {_NULLABLE.format('system')}, {_NULLABLE.format('account')}"
    return f"""SELECT md5(concat_ws('|', 'p', day, {pair_key})) AS k, min(time) AS time, system, account, terminal,
       src_host, src_ip, NULL::BIGINT AS record_count
FROM {relation} WHERE account IS NOT NULL AND ({where})
GROUP BY day, system, account, terminal, src_host, src_ip
UNION ALL
SELECT md5(concat_ws('|', 'h', {hour_key})), min(time), system, account, NULL, NULL, NULL, sum(record_count)::BIGINT
FROM {relation} WHERE account IS NOT NULL AND ({where})
GROUP BY date_trunc('hour', time), system, account"""


def fold_into_history(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Add the events of ``relation`` to ``history_events`` (inside the caller's transaction), each
    pseudo-event (``folded_sql``) merged into the row with the same key."""
    con.execute(
        f"""INSERT INTO history_events {folded_sql(relation)}
ON CONFLICT (k) DO UPDATE SET time = least(time, EXCLUDED.time),
    record_count = CASE WHEN record_count IS NULL THEN EXCLUDED.record_count
                        WHEN EXCLUDED.record_count IS NULL THEN record_count
                        ELSE record_count + EXCLUDED.record_count END"""
    )


def prune_history(con: duckdb.DuckDBPyConnection, before: dt.datetime) -> None:
    """Forget pseudo-events older than ``before`` (outside any baseline or first-seen horizon)."""
    con.execute("DELETE FROM history_events WHERE time < ?", [before])

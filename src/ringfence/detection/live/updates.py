"""Findings of incidents the monitor has already raised: kept in the state, coalesced, delivered later.

An ongoing incident (an affiliate's account used all day, an unknown account polling a system) matches
again in every micro-batch. Handing each of those findings to the alert intake at once would make every
batch wait on database writes that only add evidence to an existing alert — and delay the *new* alerts of
the next batch. So a batch delivers the findings of new incident keys immediately (before its commit), and
stores the others in ``pending_updates`` inside its commit; the runner delivers them, merged per key, when
no new events are waiting (or when the oldest has waited ``max_delay``). Delivery is at least once — a
crash after delivery and before the delete delivers them again — which the intake's idempotent keys absorb.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

import duckdb
import pyarrow as pa

from ringfence.alerts.findings import Evidence, Finding

UPDATES_DDL = (
    "CREATE TABLE IF NOT EXISTS pending_updates (k VARCHAR, stored_at TIMESTAMPTZ, payload VARCHAR)",
    "CREATE TABLE IF NOT EXISTS delivered_keys (k VARCHAR PRIMARY KEY, window_end TIMESTAMPTZ)",
)
_TIMES = ("window_start", "window_end", "first_seen", "last_seen")


def to_json(finding: Finding) -> str:
    """A finding as JSON (times in ISO 8601)."""
    data = {spec.name: getattr(finding, spec.name) for spec in fields(finding)}  # asdict copies deeply
    for name in _TIMES:
        data[name] = getattr(finding, name).isoformat()
    data["evidence"] = [[e.event_id, e.time.isoformat(), e.system] for e in finding.evidence]
    return json.dumps(data, ensure_ascii=False, default=str)


def from_json(text: str) -> Finding:
    """The finding ``to_json`` wrote."""
    data: dict[str, Any] = json.loads(text)
    for name in _TIMES:
        data[name] = dt.datetime.fromisoformat(data[name])
    data["evidence"] = tuple(Evidence(e[0], dt.datetime.fromisoformat(e[1]), e[2]) for e in data["evidence"])
    return Finding(**data)


def coalesce(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per key: evidence united (by event ID, in time order), first/last seen widened."""
    merged: dict[str, Finding] = {}
    for finding in findings:
        earlier = merged.get(finding.key)
        if earlier is None:
            merged[finding.key] = finding
            continue
        evidence = {e.event_id: e for e in (*earlier.evidence, *finding.evidence)}
        detail = {**earlier.detail, **finding.detail}
        if "events" in earlier.detail or "events" in finding.detail:
            detail["events"] = max(int(earlier.detail.get("events", 0)), int(finding.detail.get("events", 0)))
        merged[finding.key] = replace(
            finding,
            first_seen=min(earlier.first_seen, finding.first_seen),
            last_seen=max(earlier.last_seen, finding.last_seen),
            evidence=tuple(sorted(evidence.values(), key=lambda e: (e.time, e.event_id))),
            detail=detail,
        )
    return list(merged.values())


def split_fresh(
    con: duckdb.DuckDBPyConnection, findings: list[Finding]
) -> tuple[list[Finding], list[Finding]]:
    """(findings of keys not delivered before, findings of keys already delivered)."""
    if not findings:
        return [], []
    keys = sorted({f.key for f in findings})
    placeholders = ", ".join("?" for _ in keys)
    known = {
        row[0]
        for row in con.execute(f"SELECT k FROM delivered_keys WHERE k IN ({placeholders})", keys).fetchall()
    }
    return [f for f in findings if f.key not in known], [f for f in findings if f.key in known]


def remember(con: duckdb.DuckDBPyConnection, fresh: list[Finding], later: list[Finding]) -> None:
    """Inside the batch's transaction: the fresh keys as delivered, the others as pending updates."""
    # Through Arrow: one statement per table, not one per row.
    keys = coalesce(fresh)
    if keys:
        _insert(
            con,
            "INSERT INTO delivered_keys SELECT k, window_end FROM {rows} ON CONFLICT (k) DO NOTHING",
            pa.table(
                {
                    "k": pa.array([f.key for f in keys], pa.string()),
                    "window_end": pa.array([f.window_end for f in keys], pa.timestamp("us", tz="UTC")),
                }
            ),
        )
    waiting = coalesce(later)
    if waiting:
        _insert(
            con,
            "INSERT INTO pending_updates SELECT k, now(), payload FROM {rows}",
            pa.table(
                {
                    "k": pa.array([f.key for f in waiting], pa.string()),
                    "payload": pa.array([to_json(f) for f in waiting], pa.string()),
                }
            ),
        )


def _insert(con: duckdb.DuckDBPyConnection, sql: str, rows: pa.Table) -> None:
    con.register("live_rows", rows)
    try:
        con.execute(sql.format(rows="live_rows"))
    finally:
        con.unregister("live_rows")


def pending(con: duckdb.DuckDBPyConnection) -> tuple[int, dt.datetime | None]:
    """How many updates wait, and since when."""
    rows = con.execute("SELECT count(*), min(stored_at) FROM pending_updates").fetchall()
    return (int(rows[0][0]), rows[0][1]) if rows else (0, None)


def take(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> tuple[list[Finding], list[str], Any]:
    """The updates of the ``limit`` longest-waiting keys, merged per key, with those keys and the newest
    storing time read (they stay stored until ``forget``)."""
    bound = f"LIMIT {int(limit)}" if limit else ""
    rows = con.execute(
        f"""WITH chosen AS (SELECT k FROM pending_updates GROUP BY k ORDER BY min(stored_at), k {bound})
SELECT p.k, p.stored_at, p.payload FROM pending_updates p JOIN chosen USING (k) ORDER BY p.stored_at"""
    ).fetchall()
    keys = sorted({row[0] for row in rows})
    upto = max((row[1] for row in rows), default=None)
    return coalesce(from_json(row[2]) for row in rows), keys, upto


def forget(con: duckdb.DuckDBPyConnection, keys: list[str], upto: Any) -> None:
    """Delete the delivered updates of ``keys`` stored up to ``upto``."""
    if keys and upto is not None:
        placeholders = ", ".join("?" for _ in keys)
        con.execute(
            f"DELETE FROM pending_updates WHERE stored_at <= ? AND k IN ({placeholders})", [upto, *keys]
        )


def prune_keys(con: duckdb.DuckDBPyConnection, before: dt.datetime) -> None:
    """Forget delivered keys whose incident window ended before ``before`` (no new finding can have them)."""
    con.execute("DELETE FROM delivered_keys WHERE window_end < ?", [before])

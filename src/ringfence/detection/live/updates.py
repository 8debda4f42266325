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


def take(con: duckdb.DuckDBPyConnection, upto: dt.datetime) -> list[Finding]:
    """The updates stored up to ``upto``, merged per key (they stay stored until ``forget``)."""
    rows = con.execute(
        "SELECT payload FROM pending_updates WHERE stored_at <= ? ORDER BY stored_at", [upto]
    ).fetchall()
    return coalesce(from_json(row[0]) for row in rows)


def forget(con: duckdb.DuckDBPyConnection, upto: dt.datetime) -> None:
    """Delete the updates stored up to ``upto`` (delivered)."""
    con.execute("DELETE FROM pending_updates WHERE stored_at <= ?", [upto])


def prune_keys(con: duckdb.DuckDBPyConnection, before: dt.datetime) -> None:
    """Forget delivered keys whose incident window ended before ``before`` (no new finding can have them)."""
    con.execute("DELETE FROM delivered_keys WHERE window_end < ?", [before])

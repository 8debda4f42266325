"""The live monitor: the batch rules, evaluated on micro-batches of new events, with state between them.

For each micro-batch of events that are durable in the lake:

1. events already in the correlation window (a batch replayed after a crash, a compacted file read again)
   are dropped;
2. the new events alone are enriched (C1) against the registry snapshot attached once to the monitor's
   connection, with the folded history of everything seen before (``live_history``), so first-seen flags
   and baselines know the past as a batch analysis of that day would;
3. the enriched new events, with the kept window rows of the correlation groups they touch, are evaluated
   with the engine's ``evaluate`` — the same compiled SQL as ``ringfence analyze``;
4. detections of new events and correlation triggers at or after the earliest new event become findings
   (``findings_from``, mode ``live``); those of incidents not delivered before go to ``deliver`` at once,
   the others wait in the state as updates (``updates``);
5. only then are the window, the history, the delivered keys, the updates and the manifest position
   committed, in one transaction.

A crash before 5 evaluates the batch again from the same state after the restart; the alerts' keys are
deterministic, so the second delivery updates the alerts of the first instead of raising new ones.
``LiveMonitor`` takes no lock: ``MonitorRunner`` holds the state directory's lock for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from ringfence.alerts.findings import Finding
from ringfence.core.timeutil import JST
from ringfence.logs.schema import EVENT_SCHEMA

from . import updates
from .follower import Position
from .state import (
    default_state_dir,
    first_row,
    fold_into_history,
    folded_sql,
    open_state,
    prune_history,
    read_position,
    window_exists,
    write_position,
)

log = logging.getLogger(__name__)

MODE = "live"
# How late an event may arrive (behind the newest event seen) and still be correlated with its window.
DEFAULT_LATENESS = dt.timedelta(hours=1)
JST_OFFSET_US = 9 * 3600 * 1_000_000

Deliver = Callable[[list[Finding]], Any]


@dataclass
class BatchResult:
    """What one micro-batch did."""

    events: int = 0  # events received
    evaluated: int = 0  # new events after dropping those already seen
    matches: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0


def with_day(events: pa.Table) -> pa.Table:
    """The events in EVENT_SCHEMA plus ``day``, the JST calendar day (as the lake's partitions have it)."""
    table = events.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
    micros = pc.cast(pc.cast(table.column("time"), pa.timestamp("us")), pa.int64())
    local = pc.cast(pc.add(micros, JST_OFFSET_US), pa.timestamp("us"))
    return table.append_column("day", pc.cast(local, pa.date32()))


class LiveMonitor:
    """Evaluates a ruleset on micro-batches of new events; state and position in ``state_dir``.

    ``process`` is the contract (C6) and returns every finding of the batch; ``deliver`` (normally the
    alert intake) is called with the findings of new incidents before the state is committed, so no alert
    is lost by a crash in between; with a ``deliver`` the findings of known incidents are kept for
    ``deliver_updates``.
    """

    def __init__(
        self,
        state_dir: Path | None = None,
        ruleset: Any = None,
        *,
        lateness: dt.timedelta | None = None,
        history: dt.timedelta | None = None,
        registry_check_seconds: float = 30.0,
    ) -> None:
        self.state_dir = state_dir or default_state_dir()
        configured: dt.timedelta = getattr(settings, "RINGFENCE_MONITOR_LATENESS", DEFAULT_LATENESS)
        self.lateness = lateness if lateness is not None else configured
        self.history = history or dt.timedelta(days=_history_days())
        self.registry_check_seconds = registry_check_seconds
        self.con: duckdb.DuckDBPyConnection = open_state(self.state_dir)
        _tune(self.con)
        self._snapshot: Path | None = None
        # Only this object writes the state (the lock file says so): what it committed is cached here.
        self._committed = read_position(self.con)
        self._has_window = window_exists(self.con)
        self._snapshot_checked = 0.0
        self.ruleset: Any = None
        self.set_ruleset(ruleset if ruleset is not None else _load_ruleset())

    # -- set-up -------------------------------------------------------------------------------------------

    def set_ruleset(self, ruleset: Any) -> None:
        """Evaluate ``ruleset`` from the next batch on (rules changed in the UI or the rules folder)."""
        from ringfence.detection.sigma.correlation import match_column

        self.ruleset = ruleset
        detections = {d.rule_id: d for d in ruleset.detections}
        correlations = {c.rule_id: c for c in ruleset.correlations}
        bases: dict[str, str] = {}

        def collect(rule_ids: Sequence[str]) -> None:
            for rule_id in rule_ids:
                if rule_id in detections:
                    bases[rule_id] = detections[rule_id].where_sql
                elif rule_id in correlations:  # a correlation of correlations: its own bases
                    collect(correlations[rule_id].referenced_ids)

        spans = [dt.timedelta(0)]
        for correlation in ruleset.correlations:
            collect(correlation.referenced_ids)
            # ``retention`` covers nested correlations (their timespans add up).
            spans.append(max(correlation.retention, correlation.timespan))
        self.base_rules = bases
        self.keep_sql = " OR ".join(f"({where})" for where in bases.values()) or "FALSE"
        self.retention = max(spans)
        self.correlation_ids = frozenset(c.rule_id for c in ruleset.correlations)
        self.flags_sql = ", ".join(
            f"coalesce(({where}), false) AS {_quote(match_column(rule_id))}"
            for rule_id, where in bases.items()
        )
        self.flag_names = [match_column(rule_id) for rule_id in bases]
        self.group_filters = [_group_filter(c, detections, correlations) for c in ruleset.correlations]

    def refresh_registry(self, force: bool = False) -> Path:
        """Attach the current registry snapshot; exported again only when the registry changed.

        Checked at most every ``registry_check_seconds``, not per batch: the check asks the database.
        """
        from ringfence.detection.enrich import attach_registry, snapshot_registry

        now = time.monotonic()
        fresh = now - self._snapshot_checked < self.registry_check_seconds
        if self._snapshot is not None and fresh and not force:
            return self._snapshot
        snapshot = snapshot_registry()
        self._snapshot_checked = now
        if snapshot != self._snapshot:
            attach_registry(self.con, snapshot)  # replaces the views of an earlier snapshot
            self._snapshot = snapshot
            log.info("monitor: registry snapshot %s attached", snapshot)
        return snapshot

    @property
    def position(self) -> Position | None:
        """The manifest position committed last (None for a new state)."""
        return self._committed[0] if self._committed else None

    @property
    def watermark(self) -> dt.datetime | None:
        """The newest event time committed."""
        return self._committed[1] if self._committed else None

    def close(self) -> None:
        """Close the state database."""
        self.con.close()

    # -- the contract ---------------------------------------------------------------------------------------

    def process(
        self,
        new_events: pa.Table,
        *,
        position: Position | None = None,
        deliver: Deliver | None = None,
    ) -> list[Finding]:
        """Evaluate ``new_events`` (EVENT_SCHEMA) against the rules and the state; returns the findings.

        ``deliver`` receives the findings before the state (and ``position``, when given) is committed.
        """
        return self.process_batch(new_events, position=position, deliver=deliver).findings

    def process_batch(
        self,
        new_events: pa.Table,
        *,
        position: Position | None = None,
        deliver: Deliver | None = None,
        done_files: Sequence[tuple[str, int]] = (),
    ) -> BatchResult:
        """``process`` with figures for the caller's log; ``done_files`` (path, manifest sequence) are files
        read ahead of ``position``, remembered in the same commit so that they are not read again."""
        from ringfence.detection.engine import evaluate, findings_from

        started = time.perf_counter()
        result = BatchResult(events=new_events.num_rows)
        old_position, watermark = self._committed if self._committed else (Position(), None)
        position = position or old_position
        span = self._stage(new_events) if new_events.num_rows else None
        if span is not None:
            result.evaluated, first_new, newest = span
            con = self.con
            self._enrich()
            window = f"UNION ALL BY NAME {self._window_rows(first_new)}" if self._has_window else ""
            con.execute(f"CREATE OR REPLACE TEMP VIEW live_enriched AS SELECT * FROM enriched_batch {window}")
            matches = self._relevant(evaluate(con, self.ruleset, "live_enriched"), first_new)
            result.matches = matches.num_rows
            result.findings = findings_from(matches, self.ruleset, MODE) if matches.num_rows else []
            if watermark is None or newest > watermark:
                watermark = newest
        fresh, later = updates.split_fresh(self.con, result.findings)
        if deliver is not None and fresh:
            deliver(fresh)  # new incidents at once; updates of known ones wait in the state (see updates)
        self._commit(
            position, watermark, result.evaluated, fresh, later if deliver is not None else [], done_files
        )
        result.seconds = time.perf_counter() - started
        return result

    def _stage(self, new_events: pa.Table) -> tuple[int, dt.datetime, dt.datetime] | None:
        """``live_new``: the events not seen before (each once); returns (count, first, newest) or None."""
        self.refresh_registry()
        con = self.con
        con.register("live_arrival", with_day(new_events))
        try:
            seen = "AND event_id NOT IN (SELECT event_id FROM window_events)" if self._has_window else ""
            con.execute(
                "CREATE OR REPLACE TEMP TABLE live_new AS SELECT * FROM live_arrival "
                f"WHERE TRUE {seen} QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY time) = 1"
            )
        finally:
            con.unregister("live_arrival")
        row = first_row(con, "SELECT count(*), min(time), max(time) FROM live_new")
        if row is None or not row[0]:
            return None
        return int(row[0]), row[1], row[2]

    def deliver_updates(self, deliver: Deliver, limit: int | None = None) -> int:
        """Hand the pending updates of (at most ``limit``) known incidents to ``deliver``, merged per key;
        returns how many findings were delivered."""
        merged, keys, upto = updates.take(self.con, limit)
        if merged:
            deliver(merged)
        updates.forget(self.con, keys, upto)  # after delivery: a crash in between delivers them again
        return len(merged)

    def done_files(self) -> set[str]:
        """Files already read although the position has not passed them yet."""
        return {row[0] for row in self.con.execute("SELECT path FROM done_files").fetchall()}

    def updates_waiting(self) -> tuple[int, dt.datetime | None]:
        """How many updates wait for delivery, and since when."""
        return updates.pending(self.con)

    # -- internals ------------------------------------------------------------------------------------------

    def _enrich(self) -> None:
        """``enriched_batch``: ``live_new`` enriched, each JST day with the history a batch analysis of that
        day would take (``_history_view``) — a catch-up batch can span days."""
        from ringfence.detection.enrich import create_enriched_view

        con = self.con
        days = [row[0] for row in con.execute("SELECT DISTINCT day FROM live_new ORDER BY day").fetchall()]
        if len(days) == 1:
            self._history_view("live_history", days[0])
            create_enriched_view(con, "live_new", "enriched_new", history="live_history")
            con.execute("CREATE OR REPLACE TEMP TABLE enriched_batch AS SELECT * FROM enriched_new")
            return
        parts = []
        for index, day in enumerate(days):
            start = dt.datetime.combine(day, dt.time.min, tzinfo=JST)
            history = f"live_history_{index}"
            self._history_view(history, day)
            name = f"enriched_new_{index}"
            create_enriched_view(
                con, "live_new", name, start=start, end=start + dt.timedelta(days=1), history=history
            )
            parts.append(f"SELECT * FROM {name}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE enriched_batch AS {' UNION ALL BY NAME '.join(parts)}")

    def _history_view(self, name: str, day: dt.date) -> None:
        """View ``name``: what a batch analysis of JST ``day`` would take as history.

        ``analyze`` reads the ``history_days`` before its start; its baselines come from those days only and
        its first-seen flags from those days plus the period itself. Here: the folded history plus this
        batch's events of earlier days (folded the same way), restricted to the history days; pseudo-events
        of ``day`` itself (from earlier batches) keep their times for the first-seen flags but lose their
        record counts, which the baselines ignore (NULL).
        """
        start = dt.datetime.combine(day, dt.time.min, tzinfo=JST)
        # A view cannot take parameters: moments and the day are written as literals.
        earlier = folded_sql("live_new", f"day < DATE '{day.isoformat()}'")
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * REPLACE "
            f"(CASE WHEN time < {_timestamp(start)} THEN record_count END AS record_count) "
            f"FROM (SELECT * FROM history_events UNION ALL {earlier}) "
            f"WHERE time >= {_timestamp(start - self.history)}"
        )

    def _relevant(self, matches: pa.Table, first_new: dt.datetime) -> pa.Table:
        """Matches a new event can have caused: detections of new events, correlation triggers at or after
        the earliest new event (a correlation's window ends at its trigger: an event can only change the
        triggers at or after its own time)."""
        if not matches.num_rows:
            return matches
        new_ids = self.con.sql("SELECT event_id FROM live_new").to_arrow_table().column("event_id")
        is_new = pc.is_in(matches.column("event_id"), value_set=new_ids.combine_chunks())
        if self.correlation_ids:
            is_correlation = pc.is_in(
                matches.column("rule_id"), value_set=pa.array(sorted(self.correlation_ids), pa.string())
            )
            near = pc.greater_equal(
                matches.column("time"), pa.scalar(first_new, matches.schema.field("time").type)
            )
            keep = pc.or_(is_new, pc.and_(is_correlation, near))
        else:
            keep = is_new
        return matches.filter(pc.fill_null(keep, False))

    def _window_rows(self, first_new: dt.datetime) -> str:
        """SELECT of the kept rows a correlation needs for this batch: those in a group the batch touches.

        A correlation's windows are per group (its group-by values); a group without new events has the
        same triggers as before, so only the touched groups' rows are evaluated again — the window may hold
        a whole day of a daily rule's base matches, the batch touches a few of its groups. A correlation of
        correlations reads its bases' triggers of every group: its rows are all taken.
        """
        con = self.con
        if not self.group_filters:
            return "SELECT * FROM window_events WHERE FALSE"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE live_flagged_new AS SELECT *, {self.flags_sql} FROM enriched_batch"
        )
        conditions: list[str] = []
        for index, (flags, groups) in enumerate(self.group_filters):
            if groups is None:
                conditions.append(f"({flags})")
                continue
            if not groups:  # no group-by: one group, touched if any new row matches
                touched = first_row(con, f"SELECT count(*) FROM live_flagged_new WHERE {flags}")
                conditions.append(f"({flags})" if touched and touched[0] else "FALSE")
                continue
            names = [f"g{n}" for n in range(len(groups))]
            select = ", ".join(f"{expr} AS {name}" for expr, name in zip(groups, names, strict=True))
            known = " AND ".join(f"({expr}) IS NOT NULL" for expr in groups)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE live_touched_{index} AS "
                f"SELECT DISTINCT {select} FROM live_flagged_new WHERE ({flags}) AND {known}"
            )
            same = " AND ".join(f"t.{name} = ({expr})" for expr, name in zip(groups, names, strict=True))
            conditions.append(f"(({flags}) AND EXISTS (SELECT 1 FROM live_touched_{index} t WHERE {same}))")
        flags = ", ".join(_quote(name) for name in self.flag_names)
        since = _timestamp(first_new - self.retention)
        return (
            f"SELECT * EXCLUDE ({flags}) FROM (SELECT *, {self.flags_sql} FROM window_events "
            f"WHERE time >= {since}) WHERE {' OR '.join(conditions)}"
        )

    def _commit(
        self,
        position: Position,
        watermark: dt.datetime | None,
        evaluated: int,
        fresh: list[Finding] | None = None,
        later: list[Finding] | None = None,
        done_files: Sequence[tuple[str, int]] = (),
    ) -> None:
        """Window, history, delivered keys, pending updates and position in one transaction."""
        con = self.con
        con.begin()
        try:
            if evaluated:
                cutoff = watermark - self.retention - self.lateness if watermark else None
                kept = f"SELECT * FROM enriched_batch WHERE ({self.keep_sql})"
                if not self._has_window:
                    con.execute(f"CREATE TABLE window_events AS {kept}")
                elif _columns(con, "window_events") == _columns(con, "enriched_batch"):
                    con.execute(f"INSERT INTO window_events BY NAME {kept}")
                else:  # the enriched columns changed (an upgrade): rebuild the table with the new ones
                    con.execute(
                        "CREATE OR REPLACE TEMP TABLE next_window AS "
                        f"SELECT * FROM window_events UNION ALL BY NAME {kept}"
                    )
                    con.execute("CREATE OR REPLACE TABLE window_events AS SELECT * FROM next_window")
                    con.execute("DROP TABLE next_window")
                if cutoff is not None:
                    con.execute("DELETE FROM window_events WHERE time < ?", [cutoff])
                fold_into_history(con, "live_new")
                updates.remember(con, fresh or [], later or [])
                if watermark is not None:
                    prune_history(con, watermark - self.history - dt.timedelta(days=1))
                    updates.prune_keys(con, watermark - self.retention - self.lateness - dt.timedelta(days=8))
            con.execute("DELETE FROM done_files WHERE seq <= ?", [position.seq])
            for path, seq in done_files:
                if seq > position.seq:
                    con.execute(
                        "INSERT INTO done_files VALUES (?, ?) ON CONFLICT (path) DO NOTHING", [path, seq]
                    )
            write_position(con, position, watermark, evaluated)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        self._committed = (position, watermark)
        self._has_window = self._has_window or bool(evaluated)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [str(d[0]) for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _group_filter(
    correlation: Any, detections: dict[str, Any], correlations: dict[str, Any]
) -> tuple[str, list[str] | None]:
    """(any base flag of the correlation, its group-by SQL expressions — None for a nested correlation)."""
    from ringfence.detection.sigma.correlation import match_column

    if any(rule_id not in detections for rule_id in correlation.referenced_ids):
        nested = " OR ".join(
            _quote(match_column(d)) for d in _detection_bases(correlation, detections, correlations)
        )
        return nested or "FALSE", None
    flags = " OR ".join(_quote(match_column(rule_id)) for rule_id in correlation.referenced_ids)
    return flags, [expr for _name, expr in correlation.plan.group]


def _detection_bases(correlation: Any, detections: dict[str, Any], correlations: dict[str, Any]) -> list[str]:
    """The detections a correlation reads, through the correlations it reads."""
    found: list[str] = []
    for rule_id in correlation.referenced_ids:
        if rule_id in detections:
            found.append(rule_id)
        elif rule_id in correlations:
            found.extend(_detection_bases(correlations[rule_id], detections, correlations))
    return found


def _timestamp(moment: dt.datetime) -> str:
    """A TIMESTAMPTZ literal (UTC) for SQL that cannot take parameters."""
    return f"TIMESTAMPTZ '{moment.astimezone(dt.UTC).isoformat()}'"


def _tune(con: duckdb.DuckDBPyConnection) -> None:
    """The detection engine's DuckDB settings: bounded memory (spilling to disk), threads."""
    from ringfence.detection.engine.duck import tune

    tune(con)


def _history_days() -> int:
    from ringfence.detection.engine.run import history_days

    return history_days()


def _load_ruleset() -> Any:
    from ringfence.detection.engine import load_ruleset

    return load_ruleset()


def describe(monitor: LiveMonitor) -> dict[str, Any]:
    """The monitor's figures (no personal data): position, watermark, window and history sizes."""
    con = monitor.con
    position = monitor.position
    window = first_row(con, "SELECT count(*) FROM window_events") if window_exists(con) else (0,)
    history = first_row(con, "SELECT count(*) FROM history_events")
    totals = first_row(con, "SELECT batches, events FROM monitor_position LIMIT 1")
    return {
        "seq": position.seq if position else None,
        "watermark": monitor.watermark.isoformat() if monitor.watermark else None,
        "window_events": int(window[0]) if window else 0,
        "history_rows": int(history[0]) if history else 0,
        "batches": int(totals[0]) if totals else 0,
        "events": int(totals[1]) if totals else 0,
        "rules": len(monitor.ruleset.rules),
        "base_rules_kept": sorted(monitor.base_rules),
    }

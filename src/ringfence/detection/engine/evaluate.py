"""Evaluating a rule set over a relation of enriched events: one scan for all detections.

Every detection becomes one BOOLEAN column (``m_<id>``) of a single SELECT over the relation, filtered to
the rows where any of them is true, and materialised once as ``rf_matches`` — a small fraction of the
events. Alerting detections read their rows from it; every correlation's window query runs over it too
(it only needs the rows its base rules matched). So the events are read once, whatever the number of rules.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from .incidents import MISSING, WINDOW_EPOCH, evidence_limit
from .loader import RuleSet
from .meta import RuleMeta

MATCHES = "rf_matches"
# Columns every evaluated row carries (contract C5), then the rules' entity fields.
BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_id", "VARCHAR"),
    ("time", "TIMESTAMPTZ"),
    ("system", "VARCHAR"),
    ("account", "VARCHAR"),
    ("owner", "VARCHAR"),
    ("terminal_tag", "VARCHAR"),
    ("src_host", "VARCHAR"),
    ("src_ip", "VARCHAR"),
)


@dataclass(frozen=True)
class Evaluation:
    """The rows found, and how many events the one scan kept (matched by at least one detection)."""

    rows: pa.Table
    matched_events: int
    timings: dict[str, float] = field(
        default_factory=dict
    )  # seconds per step (matches, each correlation, output)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def relation_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return list(con.sql(f"SELECT * FROM {relation} LIMIT 0").columns)


def entity_columns(ruleset: RuleSet) -> list[str]:
    """The entity fields of the alerting rules that are not already base columns, in a stable order."""
    base = {name for name, _ in BASE_COLUMNS}
    extra: list[str] = []
    for rule_id in sorted(ruleset.alerting):
        for name in ruleset.meta[rule_id].entity_fields:
            if name not in base and name not in extra:
                extra.append(name)
    return extra


def kept_columns(ruleset: RuleSet, available: set[str]) -> list[str]:
    """The columns ``rf_matches`` keeps: the output's, the entity fields and what correlations read.

    Matched rows can be most of the events (helper rules of correlations match every successful access),
    so keeping only these few columns instead of all of them is what keeps memory flat at 20 M events.
    A correlation that does not say what it reads (no ``state_columns``) gets every column.
    """
    wanted = [name for name, _ in BASE_COLUMNS] + entity_columns(ruleset) + ["day"]
    for correlation in ruleset.correlations:
        reads = getattr(correlation, "state_columns", None)
        if not reads:
            return sorted(available)
        wanted.extend(reads)
    flags = {c for c in wanted if c.startswith("m_")}
    return [c for c in dict.fromkeys(wanted) if c in available and c not in flags]


def _output_columns(available: set[str], entity: Sequence[str], prefix: str) -> str:
    parts = []
    for name, sql_type in BASE_COLUMNS:
        if name in available:
            parts.append(
                f"{prefix}{quote(name)}"
                if sql_type != "VARCHAR"
                else f"CAST({prefix}{quote(name)} AS VARCHAR)"
            )
        else:
            parts.append(f"CAST(NULL AS {sql_type})")
        parts[-1] += f" AS {quote(name)}"
    for name in entity:
        value = f"CAST({prefix}{quote(name)} AS VARCHAR)" if name in available else "CAST(NULL AS VARCHAR)"
        parts.append(f"{value} AS {quote(name)}")
    return ", ".join(parts)


def empty_rows(ruleset: RuleSet) -> pa.Table:
    fields = [pa.field("rule_id", pa.string())]
    types = {"VARCHAR": pa.string(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC")}
    fields += [pa.field(name, types[t]) for name, t in BASE_COLUMNS]
    fields += [
        pa.field("corr_value", pa.float64()),
        pa.field("corr_window_start", pa.timestamp("us", tz="UTC")),
    ]
    fields += [pa.field(name, pa.string()) for name in entity_columns(ruleset)]
    fields += [
        pa.field("entity", pa.string()),
        pa.field("window_start", pa.timestamp("us", tz="UTC")),
        pa.field("incident_events", pa.int64()),
        pa.field("incident_last", pa.timestamp("us", tz="UTC")),
    ]
    return pa.schema(fields).empty_table()


def evaluate_detailed(
    con: duckdb.DuckDBPyConnection,
    ruleset: RuleSet,
    relation: str = "enriched",
    *,
    keep: bool = False,
    limit_rows: int | None = None,
    workspace: str | None = None,
) -> Evaluation:
    """Evaluate every active rule of ``ruleset`` over ``relation``; see ``evaluate``.

    ``keep`` leaves the temporary tables (``rf_matches``, ``rf_corr_<n>``) for the caller to inspect;
    ``limit_rows`` caps the rows per incident (default ``RINGFENCE_EVIDENCE_LIMIT``); ``workspace`` names an
    attached DuckDB database file to hold those tables instead of memory (``analyze`` uses one: stored
    tables are compressed and can leave memory, which keeps a 20-million-event week within bounds).
    """
    prefix = f"{workspace}." if workspace else ""
    kind = "TABLE" if workspace else "TEMP TABLE"
    matches_table = prefix + MATCHES
    from ringfence.detection.sigma.correlation import match_column

    detections = ruleset.detections
    correlations = ruleset.correlations
    if not detections:
        return Evaluation(empty_rows(ruleset), 0)
    available = set(relation_columns(con, relation))
    flags = ", ".join(
        f"coalesce(({d.where_sql}), false) AS {quote(match_column(d.rule_id))}" for d in detections
    )
    any_flag = " OR ".join(quote(match_column(d.rule_id)) for d in detections)
    kept = ", ".join(quote(c) for c in kept_columns(ruleset, available))
    flag_names = ", ".join(quote(match_column(d.rule_id)) for d in detections)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    con.execute(
        f"CREATE OR REPLACE {kind} {matches_table} AS SELECT {kept}, {flag_names} "
        f"FROM (SELECT *, {flags} FROM {relation}) AS flagged WHERE {any_flag}"
    )
    matched = int(con.execute(f"SELECT count(*) FROM {matches_table}").fetchall()[0][0])
    timings["matches"] = time.perf_counter() - began
    available |= {match_column(d.rule_id) for d in detections}

    entity = list(entity_columns(ruleset))
    selects: list[str] = []
    temp_tables = [matches_table]
    later_reads = {col for c in correlations for col in c.rule_columns}
    limit = evidence_limit() if limit_rows is None else limit_rows
    for index, correlation in enumerate(correlations):
        table = f"{prefix}rf_corr_{index}"
        temp_tables.append(table)
        began = time.perf_counter()
        con.execute(f"CREATE OR REPLACE {kind} {table} AS {correlation.sql(matches_table)}")
        timings[correlation.name or correlation.rule_id] = time.perf_counter() - began
        flag = match_column(correlation.rule_id)
        if flag in later_reads:
            # A correlation of correlations reads this one's triggers as a match column.
            con.execute(
                f"ALTER TABLE {matches_table} ADD COLUMN IF NOT EXISTS {quote(flag)} BOOLEAN DEFAULT false"
            )
            con.execute(
                f"UPDATE {matches_table} SET {quote(flag)} = true WHERE event_id IN (SELECT event_id FROM {table})"
            )
        if correlation.rule_id in ruleset.alerting:
            source, counted = (
                table,
                "CAST(NULL AS BIGINT) AS pre_events, CAST(NULL AS TIMESTAMPTZ) AS pre_last",
            )
            meta = ruleset.meta[correlation.rule_id]
            if set(meta.entity_fields) == set(correlation.group_by):
                # Its incidents are its groups: cap the trigger rows per group and window before the join
                # (after a bulk threshold is crossed, every later event of the window is a trigger).
                source = f"{prefix}rf_corr_{index}_capped"
                temp_tables.append(source)
                groups = ", ".join(quote(g) for g in correlation.group_by)
                within = f"PARTITION BY {groups}, _ws"
                con.execute(
                    f"CREATE OR REPLACE {kind} {source} AS SELECT *, count(*) OVER ({within}) AS pre_events, "
                    f"max(time) OVER ({within}) AS pre_last FROM (SELECT *, {_window_sql(meta, '')} AS _ws "
                    f"FROM {table}) AS t QUALIFY row_number() OVER ({within} ORDER BY time, event_id) <= {int(limit)}"
                )
                counted = "c.pre_events, c.pre_last"
            selects.append(
                f"SELECT {_literal(correlation.rule_id)} AS rule_id, {_output_columns(available, [], 'm.')}, "
                "CAST(c.corr_value AS DOUBLE) AS corr_value, CAST(c.corr_window_start AS TIMESTAMPTZ) "
                f"AS corr_window_start{_entity_tail(available, entity, 'm.')}, "
                f"{_incident_columns(ruleset, correlation.rule_id, available, 'm.')}, {counted} "
                f"FROM {source} AS c JOIN {matches_table} AS m ON m.event_id = c.event_id"
            )
    # The alerting detections' rows are few: copy them out in one scan, then one small scan per rule.
    alerting = [d for d in detections if d.rule_id in ruleset.alerting]
    alerting_table = f"{prefix}rf_alerting"
    if alerting:
        temp_tables.append(alerting_table)
        began = time.perf_counter()
        any_alerting = " OR ".join(quote(match_column(d.rule_id)) for d in alerting)
        con.execute(
            f"CREATE OR REPLACE {kind} {alerting_table} AS SELECT * FROM {matches_table} WHERE {any_alerting}"
        )
        timings["alerting rows"] = time.perf_counter() - began
    for detection in alerting:
        selects.append(
            f"SELECT {_literal(detection.rule_id)} AS rule_id, {_output_columns(available, [], '')}, "
            "CAST(NULL AS DOUBLE) AS corr_value, CAST(NULL AS TIMESTAMPTZ) AS corr_window_start"
            f"{_entity_tail(available, entity, '')}, {_incident_columns(ruleset, detection.rule_id, available, '')}, "
            "CAST(NULL AS BIGINT) AS pre_events, CAST(NULL AS TIMESTAMPTZ) AS pre_last "
            f"FROM {alerting_table} WHERE {quote(match_column(detection.rule_id))}"
        )
    try:
        if not selects:
            return Evaluation(empty_rows(ruleset), matched, timings)
        # Every incident's events are counted, but only its first `limit` rows are handed over: a noisy rule
        # (a bulk threshold crossed early, every later event a trigger) cannot flood the grouping step.
        began = time.perf_counter()
        rows = con.sql(
            "SELECT * EXCLUDE (pre_events, pre_last) FROM (SELECT *, "
            "coalesce(max(pre_events) OVER incident, count(*) OVER incident) AS incident_events, "
            "coalesce(max(pre_last) OVER incident, max(time) OVER incident) AS incident_last FROM ("
            + " UNION ALL ".join(selects)
            + ") AS matched WINDOW incident AS (PARTITION BY rule_id, entity, window_start) "
            "QUALIFY row_number() OVER (PARTITION BY rule_id, entity, window_start ORDER BY time, event_id) "
            f"<= {int(limit)}) AS kept ORDER BY rule_id, time, event_id"
        ).to_arrow_table()
        timings["output"] = time.perf_counter() - began
        return Evaluation(rows.cast(empty_rows(ruleset).schema), matched, timings)
    finally:
        if not keep:
            for table in temp_tables:
                con.execute(f"DROP TABLE IF EXISTS {table}")


def _incident_columns(ruleset: RuleSet, rule_id: str, available: set[str], prefix: str) -> str:
    """SQL for the rule's ``entity`` text and incident ``window_start`` (as ``incidents`` computes them)."""
    meta = ruleset.meta[rule_id]
    parts = []
    for name in meta.entity_fields:
        value = f"nullif(CAST({prefix}{quote(name)} AS VARCHAR), '')" if name in available else "NULL"
        parts.append(f"coalesce({value}, {_literal(MISSING)})")
    entity = parts[0] if len(parts) == 1 else "concat_ws('/', " + ", ".join(parts) + ")"
    return f"{entity} AS entity, {_window_sql(meta, prefix)} AS window_start"


def _window_sql(meta: RuleMeta, prefix: str) -> str:
    """SQL for the start of the incident window holding ``time`` (``incidents.window_start``)."""
    width = int(meta.incident_window.total_seconds() * 1_000_000)
    epoch = int(WINDOW_EPOCH.timestamp() * 1_000_000)
    return f'make_timestamptz(((epoch_us({prefix}"time") - {epoch}) // {width}) * {width} + {epoch})'


def _entity_tail(available: set[str], entity: Sequence[str], prefix: str) -> str:
    if not entity:
        return ""
    parts = []
    for name in entity:
        value = f"CAST({prefix}{quote(name)} AS VARCHAR)" if name in available else "CAST(NULL AS VARCHAR)"
        parts.append(f"{value} AS {quote(name)}")
    return ", " + ", ".join(parts)


def evaluate(con: duckdb.DuckDBPyConnection, ruleset: RuleSet, relation: str = "enriched") -> pa.Table:
    """The rows matched by alerting detections, and the trigger rows of alerting correlations.

    One scan of ``relation`` for all detections (see the module docstring). Columns: ``rule_id``, the base
    columns (event_id, time, system, account, owner, terminal_tag, src_host, src_ip), ``corr_value`` and
    ``corr_window_start`` (correlations only), the alerting rules' other entity fields as text, then
    ``entity``, ``window_start`` (the incident, see ``incidents``) and ``incident_events`` (the incident's
    rows, of which at most ``RINGFENCE_EVIDENCE_LIMIT`` are returned) and ``incident_last`` (its last time). Ordered by rule, time and event ID.
    """
    return evaluate_detailed(con, ruleset, relation).rows

"""The enriched relation: every event with who, what, where and when, as of the event's own time.

``create_enriched_view`` creates, on a DuckDB connection:

- ``<name>__base`` (TEMP VIEW): the source's events in [start, end) and the given systems (day predicates
  first, so the lake's Hive partitions are pruned), with ``day`` and the time in Japan;
- with ``history``: ``<name>__history`` (TEMP VIEW) and small TEMP tables aggregated from it once, now —
  earliest times of (system, account[, terminal]) pairs and the baselines per person and per unit;
- ``<name>`` (TEMP VIEW, or TEMP TABLE with ``materialize``): the events joined, one hash join each, to their
  per-combination fact pieces (combos.py, built inside the query from the registry timelines of
  registry_views), to the system catalogue and to the working calendar. No Python runs per event.

A view is computed when read, so a query on ``<name>`` prunes columns and pushes filters down, and a source
whose content changes (a live batch registered again under the same name) is read afresh.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
from django.utils import timezone

from ringfence.core.holidays import business_hours, calendar_days
from ringfence.core.timeutil import JST
from ringfence.logs.schema import EVENT_FIELDS

from .combos import facts_ctes, same_combo
from .fields import ENRICHED_FIELDS, LEVELS, REQUIRED_LEVEL
from .registry_views import attach_registry, attached_snapshot

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
JST_OFFSET_US = 9 * 3600 * 1_000_000  # Japan has had no daylight saving time since 1951
CALENDAR_TABLE = "rf_calendar"
CALENDAR_YEARS_BACK = 6  # five years of retention, plus the year a report may look back into


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ts(value: dt.datetime) -> str:
    if timezone.is_naive(value):
        raise ValueError(f"{value!r}: enrichment bounds must be aware datetimes")
    return f"TIMESTAMPTZ {_lit(value.astimezone(dt.UTC).isoformat())}"


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [str(d[0]) for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description]


def _jst_expr(column: str) -> str:
    return f"make_timestamp(epoch_us({column}) + {JST_OFFSET_US})"


def _ensure_registry(con: duckdb.DuckDBPyConnection) -> None:
    """Attach the current registry snapshot when the caller has not attached one."""
    if attached_snapshot(con) is None:
        from .snapshot import snapshot_registry  # needs the database: only when no snapshot is attached

        attach_registry(con, Path(snapshot_registry()))


def _ensure_calendar(con: duckdb.DuckDBPyConnection, years: set[int]) -> None:
    """(Re)build ``rf_calendar`` (JST day → day_off, holiday_name) for ``years`` and the years it had."""
    try:
        had = {int(r[0]) for r in con.execute(f"SELECT DISTINCT year(day) FROM {CALENDAR_TABLE}").fetchall()}
    except duckdb.CatalogException:
        had = set()
    if years <= had:  # already built on this connection: the live monitor enriches every few hundred ms
        return
    wanted = sorted(years | had)
    days = [d for year in wanted for d in calendar_days(dt.date(year, 1, 1), dt.date(year, 12, 31))]
    table = pa.table(
        {
            "day": pa.array([d.day for d in days], pa.date32()),
            "day_off": pa.array([d.day_off for d in days], pa.bool_()),
            "holiday_name": pa.array([d.holiday_name for d in days], pa.string()),
        }
    )
    con.register("rf_calendar_rows", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CALENDAR_TABLE} AS SELECT * FROM rf_calendar_rows")
    finally:
        con.unregister("rf_calendar_rows")


def _calendar_years(
    con: duckdb.DuckDBPyConnection, source: str, start: dt.datetime | None, end: dt.datetime | None
) -> set[int]:
    this_year = timezone.now().astimezone(JST).year
    years = set(range(this_year - CALENDAR_YEARS_BACK, this_year + 2))
    low, high = start, end
    if low is None or high is None:
        found = con.execute(f'SELECT min("time"), max("time") FROM {source}').fetchone()
        if found is not None:
            low = low or found[0]
            high = high or found[1]
    if low is not None and high is not None:
        years |= set(range(low.astimezone(JST).year, high.astimezone(JST).year + 1))
    return years


def _base_view(
    con: duckdb.DuckDBPyConnection,
    view: str,
    source: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    systems: Sequence[str] | None,
) -> None:
    columns = _columns(con, source)
    has_day = "day" in columns
    where: list[str] = []
    if start is not None:
        where.append(f'"time" >= {_ts(start)}')
        if has_day:  # partition pruning: the lake's files are per JST day
            where.append(f"day >= DATE {_lit(start.astimezone(JST).date().isoformat())}")
    if end is not None:
        where.append(f'"time" < {_ts(end)}')
        if has_day:
            where.append(f"day <= DATE {_lit(end.astimezone(JST).date().isoformat())}")
    if systems is not None:
        listed = ", ".join(_lit(s) for s in systems) or "NULL"
        where.append(f"system IN ({listed})")
    day = "day" if has_day else f"CAST({_jst_expr(_q('time'))} AS DATE)"
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {view} AS
SELECT {", ".join(_q(c) for c in EVENT_FIELDS)}, {day} AS day, {_jst_expr('"time"')} AS time_jst
FROM {source} WHERE {" AND ".join(where) or "TRUE"}"""
    )


def _history_view(con: duckdb.DuckDBPyConnection, view: str, history: str) -> None:
    columns = _columns(con, history)
    needed = ("time", "system", "account", "terminal", "src_host", "src_ip", "record_count")
    missing = [c for c in needed if c not in columns]
    if missing:
        raise ValueError(f"{history}: not an event relation, columns missing: {', '.join(missing)}")
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW {view} AS
SELECT "time", system, account, terminal, src_host, src_ip, record_count, {_jst_expr('"time"')} AS time_jst
FROM {history}"""
    )


def _terminal_joins(alias: str, t: str = "t") -> str:
    """LEFT JOINs resolving a terminal by asset tag, else host name, else address, as of ``alias``.time."""
    joins = []
    for n, (table, key, column) in enumerate(
        (
            ("rf_terminal_tl", "tag_key", "rf_tkey"),
            ("rf_terminal_by_host", "host_key", "rf_hkey"),
            ("rf_terminal_by_ip", "ip", "rf_ip"),
        ),
        start=1,
    ):
        joins.append(
            f"LEFT JOIN {table} {t}{n} ON {t}{n}.{key} = {alias}.{column} "
            f'AND {alias}."time" >= {t}{n}.vf AND {alias}."time" < {t}{n}.vt'
        )
    return "\n".join(joins)


def _terminal_value(column: str, t: str = "t") -> str:
    return (
        f"CASE WHEN {t}1.asset_tag IS NOT NULL THEN {t}1.{column} "
        f"WHEN {t}2.asset_tag IS NOT NULL THEN {t}2.{column} ELSE {t}3.{column} END"
    )


def _pair_firsts_sql(raw: str) -> tuple[str, str]:
    """(per system and account, per system, account and terminal-or-address) earliest times over ``raw``.

    Terminal resolution for the pairs happens on the day aggregates (the earliest event of each raw key per
    JST day), not on every event: the result differs from per-event resolution only if the ledger changes a
    terminal's tag, host name or address in the middle of the day the pair first occurs.
    """
    per_system = (
        f'SELECT system, rf_akey, min("time") AS first_time FROM {raw} WHERE rf_akey IS NOT NULL GROUP BY ALL'
    )
    term_key = f"coalesce({_terminal_value('asset_tag', 'ft')}, r.rf_ip)"
    per_terminal = f"""
SELECT r.system, r.rf_akey, {term_key} AS term_key, min(r."time") AS first_time
FROM {raw} r
{_terminal_joins("r", "ft")}
WHERE r.rf_akey IS NOT NULL AND {term_key} IS NOT NULL
GROUP BY ALL"""
    return per_system, per_terminal


def _history_tables(con: duckdb.DuckDBPyConnection, prefix: str, history_base: str) -> None:
    """Aggregates of the history, kept as TEMP tables: the history is read once, when the view is created.

    One scan with two grouping sets: the earliest event per raw (system, account, terminal, host, address)
    and JST day (first-seen pairs), and the records per (system, account) and JST hour (baselines; days are
    summed from the hours). Baselines: the p95 of records per hour and per JST day, per person and per unit
    (peers), where each hour's (day's) records are attributed to the account's owner and the owner's unit at
    the hour's (day's) first event.
    """
    groups = f"{prefix}__history_groups"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {groups} AS
SELECT GROUPING(terminal) AS per_hour, system, account, terminal, src_host, src_ip, d, hour,
       min("time") AS t, sum(record_count) AS n
FROM (SELECT *, CAST(time_jst AS DATE) AS d, date_trunc('hour', time_jst) AS hour FROM {history_base}
      WHERE account IS NOT NULL)
GROUP BY GROUPING SETS ((system, account, terminal, src_host, src_ip, d), (system, account, hour))"""
    )
    raw = f"""
SELECT system, rf_account_key(account) AS rf_akey, rf_tag_key(terminal) AS rf_tkey, rf_host_key(src_host) AS rf_hkey,
       nullif(trim(src_ip), '') AS rf_ip, t AS "time"
FROM {groups} WHERE per_hour = 0"""
    per_system, per_terminal = _pair_firsts_sql(f"({raw})")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}__history_first_sys AS {per_system}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {prefix}__history_first_term AS {per_terminal}")
    hours = f"SELECT system, account, hour AS bucket, t, n FROM {groups} WHERE per_hour = 1"
    days = f"""SELECT system, account, CAST(hour AS DATE) AS bucket, min(t) AS t, sum(n) AS n
FROM {groups} WHERE per_hour = 1 GROUP BY ALL"""
    for grain, per_account in (("hourly", hours), ("daily", days)):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {prefix}__{grain}_bucket AS
WITH per_account AS (SELECT system, rf_account_key(account) AS rf_akey, bucket, t, n FROM ({per_account}))
SELECT a.owner, a.unit_code, p.bucket, sum(p.n) AS n
FROM per_account p JOIN rf_account_tl a
  ON a.system_code = p.system AND a.account_key = p.rf_akey AND p.t >= a.vf AND p.t < a.vt
WHERE a.owner IS NOT NULL AND p.n IS NOT NULL
GROUP BY ALL"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {prefix}__{grain}_person AS
SELECT owner, quantile_cont(n, 0.95) AS p95
FROM (SELECT owner, bucket, sum(n) AS n FROM {prefix}__{grain}_bucket GROUP BY ALL) GROUP BY ALL"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {prefix}__{grain}_unit AS
SELECT unit_code, quantile_cont(n, 0.95) AS p95 FROM {prefix}__{grain}_bucket
WHERE unit_code IS NOT NULL GROUP BY ALL"""
        )
        con.execute(f"DROP TABLE {prefix}__{grain}_bucket")
    con.execute(f"DROP TABLE {groups}")


def _required_level_sql() -> str:
    whens = " ".join(f"WHEN {_lit(a)} THEN {_lit(level)}" for a, level in REQUIRED_LEVEL.items())
    return f"CASE b.activity {whens} END"


def _rank_sql(level_sql: str) -> str:
    whens = " ".join(f"WHEN {_lit(level)} THEN {rank}" for rank, level in enumerate(LEVELS, start=1))
    return f"CASE {level_sql} {whens} END"


def _entitled_rank_sql() -> str:
    """Highest rank among the grants for the event's function: '*' grants, or the function's own."""
    specific = (
        "list_max(list_transform(list_filter(f.ent_grants, lambda g: g.function = lower(b.function)), "
        "lambda g: g.rank))"
    )
    return (
        "CASE WHEN f.ent_max_rank IS NULL THEN NULL "
        "WHEN b.function IS NULL OR NOT f.ent_has_functions THEN f.ent_max_rank "
        f"ELSE greatest(f.ent_star_rank, {specific}) END"
    )


def create_enriched_view(
    con: duckdb.DuckDBPyConnection,
    source: str = "events",
    name: str = "enriched",
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    systems: Sequence[str] | None = None,
    history: str | None = None,
    materialize: bool = False,
) -> None:
    """Create ``name`` (TEMP VIEW, or TEMP TABLE with ``materialize``): ``source``'s events enriched.

    ``source`` is any relation with the event schema's columns (the lake's ``events`` view, a registered
    Arrow table of new events …); rows are limited to [start, end) and ``systems``. ``history`` is a relation
    of earlier events for first-seen flags and baselines. The registry snapshot attached to ``con`` is used
    (the current one is taken and attached when none is).
    """
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r}: the enriched relation's name must be a plain SQL identifier")
    missing = [c for c in EVENT_FIELDS if c not in _columns(con, source)]
    if missing:
        raise ValueError(f"{source}: not an event relation, columns missing: {', '.join(missing)}")
    _ensure_registry(con)
    _ensure_calendar(con, _calendar_years(con, source, start, end))
    base, history_base = f"{name}__base", f"{name}__history" if history else None
    _base_view(con, base, source, start, end, systems)
    if history_base:
        _history_view(con, history_base, history or "")
        _history_tables(con, name, history_base)
    ctes = facts_ctes(
        base,
        f"{name}__history_first_sys" if history_base else None,
        f"{name}__history_first_term" if history_base else None,
        name if history_base else None,
    )
    start_minute, end_minute = business_hours()
    required = _required_level_sql()
    entitled_rank = _entitled_rank_sql()
    known = "f.acc_found"
    minute_of_day = "(hour(b.time_jst) * 60 + minute(b.time_jst))"
    select = f"""{ctes}
SELECT {", ".join(f"b.{_q(c)}" for c in EVENT_FIELDS)}, b.day,
    b.time_jst,
    hour(b.time_jst)::INTEGER AS hour_jst,
    (isodow(b.time_jst) - 1)::INTEGER AS weekday_jst,
    cal.day_off,
    cal.holiday_name,
    (NOT cal.day_off AND {minute_of_day} >= {start_minute} AND {minute_of_day} < {end_minute}) AS business_hours,
    sy.name_ja AS system_name,
    sy.holds_non_public AS system_holds_non_public,
    {known} AS account_known,
    f.acc_kind AS account_kind,
    f.acc_status AS account_status,
    nullif(f.privilege, '') AS account_privilege,
    f.owner,
    CASE WHEN {known} THEN coalesce(f.person_known, FALSE) END AS person_known,
    f.employment_type AS person_employment_type,
    f.person_status,
    nullif(f.employer, '') AS person_employer,
    f.unit_code AS person_unit,
    f.unit_name AS person_unit_name,
    nullif(f.job_title, '') AS person_job_title,
    CASE WHEN {known} THEN coalesce(f.employment_type = 'own_employee'
        AND f.person_status IN ('active', 'on_leave'), FALSE) END AS own_employee,
    CASE WHEN {known} THEN f.ent_max_rank IS NOT NULL END AS entitled,
    list_extract({_q_list(LEVELS)}, {entitled_rank}) AS entitled_level,
    {required} AS required_level,
    CASE WHEN NOT {known} THEN NULL
         WHEN {required} IS NULL THEN f.ent_max_rank IS NOT NULL
         ELSE coalesce({entitled_rank} >= {_rank_sql(required)}, FALSE) END AS entitled_for_activity,
    f.asset_tag AS terminal_tag,
    f.asset_tag IS NOT NULL AS terminal_known,
    f.term_status AS terminal_status,
    nullif(f.lent_to, '') AS terminal_lent_to,
    f.room_code AS terminal_room,
    f.term_zone AS terminal_zone,
    f.term_zone_kind AS terminal_zone_kind,
    f.assigned_employee_number AS terminal_assigned_employee,
    f.cidr AS net_segment,
    f.net_zone,
    f.net_zone_kind,
    FALSE AS emergency_grant_active,
    NULL::TIMESTAMPTZ AS emergency_grant_until,
    b."time" <= f.first_term_time AS first_seen_account_terminal,
    b."time" <= f.first_sys_time AS first_seen_account_system,
    f.baseline_hourly AS baseline_hourly_records,
    f.baseline_daily AS baseline_daily_records
FROM {base} b
LEFT JOIN facts f ON {same_combo("f", "b")} AND b."time" >= f.vf AND b."time" < f.vt
LEFT JOIN reg_systems sy ON sy.system_code = b.system AND b."time" >= sy.valid_from
    AND b."time" < coalesce(sy.valid_to, 'infinity'::TIMESTAMPTZ)
LEFT JOIN {CALENDAR_TABLE} cal ON cal.day = CAST(b.time_jst AS DATE)
"""
    kind = "TABLE" if materialize else "VIEW"
    _drop_relation(con, name)
    con.execute(f"CREATE TEMP {kind} {name} AS {select}")


def _drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a temporary view or table ``name`` (a re-run may switch between the two)."""
    for kind, catalogue in (("VIEW", "duckdb_views()"), ("TABLE", "duckdb_tables()")):
        found = con.execute(
            f"SELECT count(*) FROM {catalogue} WHERE temporary AND view_name = ?".replace(
                "view_name", "view_name" if kind == "VIEW" else "table_name"
            ),
            [name],
        ).fetchone()
        if found and found[0]:
            con.execute(f"DROP {kind} {name}")


def _q_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def enriched_columns() -> list[str]:
    """Column names of an enriched relation, in order."""
    return [*EVENT_FIELDS, "day", *ENRICHED_FIELDS]

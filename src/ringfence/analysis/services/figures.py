"""The figures of a campaign, per system, computed from its pin alone (lake files, registry time, tallies).

Order per system, as the analysis is read: completeness first, then access statistics, access-rights
effectiveness, and accounts seen against the registry. Every figure is an integer, a string or a list of
them, sorted, so the same pin always gives byte-identical JSON (the SHA-256 of a frozen campaign depends on
it). All aggregation is done by DuckDB in a handful of grouped scans over the period's files; nothing
iterates over events in Python.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings

from ringfence.core.holidays import business_hours, is_business_day
from ringfence.logs.lake.layout import lake_dir
from ringfence.logs.lake.manifest import scan
from ringfence.logs.selectors import silent_days

from .pinning import Pin, connect_pinned, period_days, resolve_pin

FORMAT = 1
LIST_LIMIT = 200  # rows listed per system for impossible accesses, denials and accounts (counts are complete)
# An empty business hour of a working day is a gap when the same hour of the other working days has a median
# of at least this many events: at that volume an hour without a single event is not chance (sessions come
# in bursts, so small systems are left out rather than flagged on noise).
GAP_MIN_TYPICAL = 50
LOW_DAY_SHARE = 0.1  # a working day with under 10 % of the usual events is incomplete
LEVEL_RANK = {"view": 1, "update": 2, "export": 3, "admin": 4}
JST_OFFSET_SECONDS = 9 * 3600

# The SQL for the JST hour of a TIMESTAMPTZ without the ICU extension: Japan has no daylight saving time.
HOUR_JST = f"CAST(((CAST(epoch(time) AS BIGINT) + {JST_OFFSET_SECONDS}) // 3600) % 24 AS INTEGER)"
# An account name as the registry knows it: case-insensitive, without a ``DOMAIN\`` prefix.
ACCOUNT_KEY = "lower(regexp_replace(account, '^.*\\\\', ''))"


def max_parse_error_rate() -> float:
    """Above this share of quarantined lines a system's log is incomplete (setting, default 1 %)."""
    return float(getattr(settings, "RINGFENCE_ANALYSIS_MAX_PARSE_ERROR_RATE", 0.01))


@dataclass(frozen=True)
class SystemInfo:
    """What the registry says about a system in scope (as of the period, as known at the pin)."""

    code: str
    name_ja: str
    name_en: str
    holds_non_public: bool


def compute_figures(
    pin: Pin,
    start: dt.datetime,
    end: dt.datetime,
    systems: list[SystemInfo],
    *,
    root: Path | None = None,
    snapshot_dir: Path | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """All figures of the campaign: ``{"format", "period", "pin", "systems": {code: {...}}}``.

    ``timings``, when given, receives the seconds spent per stage (for the benchmark).
    """
    root = root or lake_dir()
    codes = [s.code for s in systems]
    timings = timings if timings is not None else {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    resolution = resolve_pin(pin, root)
    damaged = resolution.problems
    lap("check pinned files")
    con = connect_pinned(pin, root, resolution)
    try:
        days = period_days(start, end)
        con.execute(
            "CREATE TEMP VIEW period_events AS SELECT * FROM events "
            f"WHERE time >= TIMESTAMPTZ '{_iso(start)}' AND time < TIMESTAMPTZ '{_iso(end)}'"
        )
        # One pass over the files: the enriched columns every later figure needs, kept in a table.
        snapshot = _enrich(con, codes, start, end, pin, snapshot_dir, lap)
        completeness = _completeness(con, pin, codes, days, damaged, root)
        result: dict[str, Any] = {code: {"completeness": completeness[code]} for code in codes}
        for code, stats in _statistics_raw(con, codes, days).items():
            result[code]["statistics"] = stats
        lap("completeness and volumes")
        _enriched_parts(con, result, codes, start, end, snapshot)
        lap("effectiveness and accounts")
    finally:
        con.close()
    for info in systems:
        result[info.code]["system"] = {
            "code": info.code,
            "name_ja": info.name_ja,
            "name_en": info.name_en,
            "holds_non_public": info.holds_non_public,
        }
    return {
        "format": FORMAT,
        "period": {"start": _iso(start), "end": _iso(end), "days": [d.isoformat() for d in days]},
        "pin": {
            "known_at": _iso(pin.known_at),
            "lake_seq": pin.lake_seq,
            "lake_head_hash": pin.lake_head_hash,
            "files": len(pin.files),
            "rows": sum(f.rows for f in pin.files),
        },
        "systems": {code: result[code] for code in sorted(result)},
    }


def canonical_json(data: Any) -> bytes:
    """The bytes hashed for a report: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


# --- completeness -------------------------------------------------------------------------------------


def _completeness(
    con: duckdb.DuckDBPyConnection,
    pin: Pin,
    codes: list[str],
    days: list[dt.date],
    damaged: dict[str, list[str]],
    root: Path,
) -> dict[str, dict[str, Any]]:
    """Per system: events per day and hour, empty working days, gap hours, silent sources, parse errors,
    lake problems, and whether the log is complete enough to conclude."""
    per_source: dict[str, dict[dt.date, int]] = defaultdict(dict)
    system_of: dict[str, str] = {}
    for system, source, day, count in con.execute(
        "SELECT system, source, day, count(*) FROM enriched GROUP BY ALL"
    ).fetchall():
        per_source[str(source)][day] = int(count)
        system_of[str(source)] = str(system)
    for source, (system, _stored, _quarantined) in pin.tallies.items():
        system_of.setdefault(source, system)
        per_source.setdefault(source, {})
    hourly: dict[str, dict[tuple[dt.date, int], int]] = defaultdict(dict)
    for system, day, hour, count in con.execute(
        f"SELECT system, day, {HOUR_JST} AS hour, count(*) FROM enriched GROUP BY ALL"
    ).fetchall():
        hourly[str(system)][(day, int(hour))] = int(count)
    silent = silent_days(dict(per_source), days)
    chain = _chain_problems(root)
    start_minute, end_minute = business_hours()
    first_hour, end_hour = start_minute // 60, -(-end_minute // 60)  # every hour business hours touch
    working = [d for d in days if is_business_day(d)]
    working_text = {d.isoformat() for d in working}
    limit = max_parse_error_rate()
    result: dict[str, dict[str, Any]] = {}
    for code in codes:
        counts = hourly.get(code, {})
        per_day = {d: sum(n for (day, _h), n in counts.items() if day == d) for d in days}
        total = sum(per_day.values())
        active_working = [d for d in working if per_day[d]]
        empty_working = [d for d in working if not per_day[d]] if active_working else []
        # A working day with a trickle of events (a log that stopped early, or events of sessions that
        # crossed midnight) is as incomplete as an empty one.
        low_days = []
        for day in active_working:
            others = [per_day[d] for d in active_working if d != day]
            typical = statistics.median(others) if others else 0
            if typical >= GAP_MIN_TYPICAL and per_day[day] < LOW_DAY_SHARE * typical:
                low_days.append({"kind": "low_day", "day": day.isoformat(), "events": per_day[day],
                                 "typical": round(typical)})  # fmt: skip
        gaps: list[str] = []
        for day in working:
            if not per_day[day]:
                continue  # a whole empty day is reported as such
            for hour in range(first_hour, end_hour):
                if counts.get((day, hour)):
                    continue
                others = [counts.get((d, hour), 0) for d in active_working if d != day]
                if others and statistics.median(others) >= GAP_MIN_TYPICAL:
                    gaps.append(f"{day.isoformat()}T{hour:02d}")
        sources = sorted(s for s, system in system_of.items() if system == code)
        source_rows: list[dict[str, Any]] = []
        stored_total = quarantined_total = 0
        for source in sources:
            _system, stored, quarantined = pin.tallies.get(source, (code, 0, 0))
            stored_total += stored
            quarantined_total += quarantined
            source_rows.append(
                {
                    "source": source,
                    "events": sum(per_source.get(source, {}).values()),
                    "quarantined": quarantined,
                    "silent_days": [d.isoformat() for d in silent.get(source, ())],
                    "never_delivered": not per_source.get(source),
                }
            )
        seen = stored_total + quarantined_total
        rate_ppm = round(1_000_000 * quarantined_total / seen) if seen else 0
        problems: list[dict[str, Any]] = []
        if total == 0:
            problems.append({"kind": "no_events"})
        for day in empty_working:
            problems.append({"kind": "empty_day", "day": day.isoformat()})
        problems.extend(low_days)
        for row in source_rows:
            for day_text in row["silent_days"]:
                # A source quiet on a day off while its peers log is normal (office systems rest), so only
                # working days count; the day stays listed in ``sources`` for the reader.
                if day_text in working_text:
                    problems.append({"kind": "silent_source", "source": row["source"], "day": day_text})
            if row["never_delivered"] and total:
                problems.append({"kind": "source_never_delivered", "source": row["source"]})
        if gaps:
            problems.append({"kind": "gap_hours", "hours": gaps})
        if seen and quarantined_total / seen > limit:
            problems.append(
                {"kind": "parse_errors", "rate_ppm": rate_ppm, "limit_ppm": round(limit * 1_000_000)}
            )
        for text in damaged.get(code, []):
            problems.append({"kind": "lake_file", "problem": text})
        for text in chain:
            problems.append({"kind": "lake_chain", "problem": text})
        result[code] = {
            "events_by_day": [[d.isoformat(), per_day[d]] for d in days],
            "events_by_day_hour": [
                [d.isoformat(), h, counts.get((d, h), 0)] for d in days for h in range(24)
            ],
            "working_days": [d.isoformat() for d in working],
            "empty_working_days": [d.isoformat() for d in empty_working],
            "gap_hours": gaps,
            "sources": source_rows,
            "lines_stored": stored_total,
            "lines_quarantined": quarantined_total,
            "parse_error_ppm": rate_ppm,
            "problems": _unique(problems),
            "complete": not problems,
        }
    return result


def _unique(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    result = []
    for problem in problems:
        key = json.dumps(problem, sort_keys=True)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result


def _chain_problems(root: Path) -> list[str]:
    """Problems of the manifest chain itself, and disagreement with the head kept in the database."""
    manifest = scan(root)
    problems = list(manifest.problems)
    if not manifest.exists:
        return problems
    from ringfence.logs.models import LakeHead

    head = LakeHead.objects.filter(lake_id=manifest.lake_id).first()
    if head is not None:
        if head.seq > manifest.head_seq:
            problems.append(
                f"manifest ends at {manifest.head_seq}, database head is {head.seq} (tail cut off)"
            )
        else:
            again = scan(root, want_hash_at=[head.seq])
            if again.hash_at.get(head.seq) != head.hash:
                problems.append(f"manifest entry {head.seq} differs from the database head")
    return problems


# --- statistics -------------------------------------------------------------------------------------------


def _statistics_raw(con: duckdb.DuckDBPyConnection, codes: list[str], days: list[dt.date]) -> dict[str, Any]:
    """Volumes that need no registry: events, accounts, outcomes, by JST hour, weekday and day."""
    result: dict[str, dict[str, Any]] = {
        code: {
            "events": 0,
            "accounts": 0,
            "by_outcome": {},
            "by_hour": [0] * 24,
            "by_weekday": [0] * 7,
            "by_day": [[d.isoformat(), 0] for d in days],
        }
        for code in codes
    }
    for system, events, accounts in con.execute(
        f"SELECT system, count(*), count(DISTINCT {ACCOUNT_KEY}) FROM enriched GROUP BY ALL"
    ).fetchall():
        if system in result:
            result[system]["events"] = int(events)
            result[system]["accounts"] = int(accounts)
    for system, outcome, count in con.execute(
        "SELECT system, outcome, count(*) FROM enriched GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        if system in result:
            result[system]["by_outcome"][str(outcome)] = int(count)
    index = {d: i for i, d in enumerate(days)}
    for system, day, hour, count in con.execute(
        f"SELECT system, day, {HOUR_JST}, count(*) FROM enriched GROUP BY ALL"
    ).fetchall():
        if system not in result:
            continue
        stats = result[system]
        stats["by_hour"][int(hour)] += int(count)
        stats["by_weekday"][day.weekday()] += int(count)
        if day in index:
            stats["by_day"][index[day]][1] += int(count)
    return result


# --- enriched: people, units, entitlements, accounts ------------------------------------------------------


def _enrich(
    con: duckdb.DuckDBPyConnection,
    codes: list[str],
    start: dt.datetime,
    end: dt.datetime,
    pin: Pin,
    snapshot_dir: Path | None,
    lap: Any,
) -> Path:
    """Table ``enriched``: the period's events with the registry columns; returns the registry snapshot."""
    from .registry import enrich_period, registry_snapshot

    snapshot = registry_snapshot(pin, snapshot_dir)
    lap("registry snapshot")
    enrich_period(con, "period_events", "enriched", start, end, codes, pin, snapshot)
    lap("read and enrich events")
    return snapshot


def _enriched_parts(
    con: duckdb.DuckDBPyConnection,
    result: dict[str, dict[str, Any]],
    codes: list[str],
    start: dt.datetime,
    end: dt.datetime,
    snapshot: Path,
) -> None:
    """Statistics by person, unit and employment type; effectiveness; accounts against the registry."""
    for system, persons in con.execute(
        "SELECT system, count(DISTINCT owner) FROM enriched GROUP BY ALL"
    ).fetchall():
        if system in result:
            result[system]["statistics"]["persons"] = int(persons)
    for code in codes:
        stats = result[code]["statistics"]
        stats.setdefault("persons", 0)
        stats["by_unit"] = []
        stats["by_employment_type"] = {}
    for system, unit, name, events, persons in con.execute(
        "SELECT system, coalesce(person_unit, ''), coalesce(max(person_unit_name), ''), count(*), "
        "count(DISTINCT owner) FROM enriched GROUP BY system, person_unit ORDER BY 1, 4 DESC, 2"
    ).fetchall():
        if system in result:
            result[system]["statistics"]["by_unit"].append(
                {"unit": str(unit), "name": str(name), "events": int(events), "persons": int(persons)}
            )
    for system, kind, events in con.execute(
        "SELECT system, coalesce(person_employment_type, 'unknown'), count(*) FROM enriched GROUP BY ALL "
        "ORDER BY ALL"
    ).fetchall():
        if system in result:
            result[system]["statistics"]["by_employment_type"][str(kind)] = int(events)
    for code, part in _effectiveness(con, codes).items():
        result[code]["effectiveness"] = part
    for code, part in _accounts(con, codes, start, end, snapshot).items():
        result[code]["accounts"] = part


# Successful operations that need an access level, by a person's or shared account. Windows computer
# accounts (``NAME$``) are the system acting on its own (e.g. the domain controller locking an account after
# failed logons): no one's entitlement applies to them.
CHECKED = "outcome = 'success' AND required_level IS NOT NULL AND NOT coalesce(account LIKE '%$', FALSE)"
# ... that the registry at that moment did not allow.
IMPOSSIBLE = f"{CHECKED} AND entitled_for_activity IS NOT TRUE"

IMPOSSIBLE_COLUMNS = (
    "event_id", "time", "account", "owner", "person_employment_type", "activity", "required_level",
    "entitled_level", "account_privilege", "terminal_tag", "src_ip", "source_file", "source_line",
)  # fmt: skip


def _category_sql() -> str:
    """Why a successful access should have been impossible (first matching reason wins)."""
    rank = "CASE {col} WHEN 'view' THEN 1 WHEN 'update' THEN 2 WHEN 'export' THEN 3 WHEN 'admin' THEN 4 END"
    return (
        "CASE WHEN account_known IS NOT TRUE THEN 'unknown_account' "
        "WHEN owner IS NULL THEN 'no_owner' "
        f"WHEN account_privilege IS NOT NULL AND {rank.format(col='account_privilege')} < "
        f"{rank.format(col='required_level')} THEN 'beyond_account_privilege' "
        "WHEN entitled IS NOT TRUE THEN 'not_entitled' "
        "ELSE 'beyond_entitlement' END"
    )


def _effectiveness(con: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Successful accesses that the entitlements say should have been impossible; denials of the unentitled."""
    result: dict[str, dict[str, Any]] = {
        code: {
            "successful_checked": 0,
            "impossible_count": 0,
            "impossible_by_category": {},
            "impossible": [],
            "denied_total": 0,
            "denied_not_entitled_count": 0,
            "denied_not_entitled": [],
        }
        for code in codes
    }
    for system, checked, impossible, denied, denied_unentitled in con.execute(
        "SELECT system, "
        f"count(*) FILTER ({CHECKED}), "
        f"count(*) FILTER ({IMPOSSIBLE}), "
        "count(*) FILTER (outcome = 'denied'), "
        "count(*) FILTER (outcome = 'denied' AND entitled_for_activity IS NOT TRUE) "
        "FROM enriched GROUP BY ALL"
    ).fetchall():
        if system in result:
            part = result[system]
            part["successful_checked"] = int(checked)
            part["impossible_count"] = int(impossible)
            part["denied_total"] = int(denied)
            part["denied_not_entitled_count"] = int(denied_unentitled)
    columns = ", ".join(f"{c}" for c in IMPOSSIBLE_COLUMNS)
    category = _category_sql()
    rows = con.execute(
        f"SELECT system, {category} AS category, count(*) FROM enriched "
        f"WHERE {IMPOSSIBLE} "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    for system, cat, count in rows:
        if system in result:
            result[system]["impossible_by_category"][str(cat)] = int(count)
    listed = con.execute(
        f"SELECT system, {category} AS category, {columns} FROM ("
        f"  SELECT *, row_number() OVER (PARTITION BY system ORDER BY time, event_id) AS n FROM enriched "
        f"   WHERE {IMPOSSIBLE}"
        f") WHERE n <= {LIST_LIMIT} ORDER BY system, time, event_id"
    ).fetchall()
    for row in listed:
        if row[0] in result:
            result[row[0]]["impossible"].append(_row(("category", *IMPOSSIBLE_COLUMNS), row[1:]))
    denied = con.execute(
        f"SELECT system, {columns} FROM ("
        f"  SELECT *, row_number() OVER (PARTITION BY system ORDER BY time, event_id) AS n FROM enriched "
        "   WHERE outcome = 'denied' AND entitled_for_activity IS NOT TRUE"
        f") WHERE n <= {LIST_LIMIT} ORDER BY system, time, event_id"
    ).fetchall()
    for row in denied:
        if row[0] in result:
            result[row[0]]["denied_not_entitled"].append(_row(IMPOSSIBLE_COLUMNS, row[1:]))
    return result


def _row(names: tuple[str, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in zip(names, values, strict=True):
        if isinstance(value, dt.datetime):
            value = _iso(value)
        elif value is not None and not isinstance(value, (int, str, bool)):
            value = str(value)
        out[name] = value
    return out


def _accounts(
    con: duckdb.DuckDBPyConnection,
    codes: list[str],
    start: dt.datetime,
    end: dt.datetime,
    snapshot: Path | None,
) -> dict[str, dict[str, Any]]:
    """Accounts used but unknown to the registry, and registered (enabled) accounts not used in the period."""
    result: dict[str, dict[str, Any]] = {
        code: {"seen": 0, "used_unknown_count": 0, "used_unknown": [], "unused_count": 0, "unused": []}
        for code in codes
    }
    for system, seen in con.execute(
        f"SELECT system, count(DISTINCT {ACCOUNT_KEY}) FROM enriched WHERE account IS NOT NULL GROUP BY ALL"
    ).fetchall():
        if system in result:
            result[system]["seen"] = int(seen)
    unknown = con.execute(
        f"SELECT system, {ACCOUNT_KEY} AS account_key, count(*), min(time), max(time) FROM enriched "
        "WHERE account IS NOT NULL AND account_known IS NOT TRUE GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    for system, account, count, first, last in unknown:
        if system not in result:
            continue
        part = result[system]
        part["used_unknown_count"] += 1
        if len(part["used_unknown"]) < LIST_LIMIT:
            part["used_unknown"].append(
                {"account": str(account), "events": int(count), "first": _iso(first), "last": _iso(last)}
            )
    if snapshot is None:
        return result
    accounts_file = _table_file(snapshot, "accounts")
    if accounts_file is None:
        return result
    con.execute(
        "CREATE TEMP TABLE used_accounts AS SELECT DISTINCT system, "
        f"{ACCOUNT_KEY} AS account_key FROM enriched WHERE account IS NOT NULL"
    )
    unused = con.execute(
        "SELECT a.system_code, a.account_id, any_value(a.kind ORDER BY a.valid_from DESC), "
        "any_value(a.owner_employee_number ORDER BY a.valid_from DESC) "
        "FROM read_parquet(?) a "
        "WHERE a.system_code IN (SELECT unnest(?)) AND a.status = 'enabled' "
        "AND a.valid_from < ? AND (a.valid_to IS NULL OR a.valid_to > ?) "
        "AND NOT EXISTS (SELECT 1 FROM used_accounts u WHERE u.system = a.system_code "
        "                AND u.account_key = lower(a.account_id)) "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        [str(accounts_file), codes, end, start],
    ).fetchall()
    for system, account, kind, owner in unused:
        part = result[str(system)]
        part["unused_count"] += 1
        if len(part["unused"]) < LIST_LIMIT:
            part["unused"].append({"account": str(account), "kind": kind or "", "owner": owner or ""})
    return result


def _table_file(snapshot: Path, table: str) -> Path | None:
    manifest = snapshot / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text("utf-8"))
        entry = data.get("tables", {}).get(table)
        if entry:
            return snapshot / str(entry["file"])
    candidate = snapshot / f"{table}.parquet"
    return candidate if candidate.exists() else None

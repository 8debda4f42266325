"""Helpers for the rule-pack tests: the pack's files, its case files and a tiny enriched relation on DuckDB.

A case file (tests/rule_cases/<pack file stem>.yml) maps rule names to cases. A detection case is one event,
given as the enriched fields that differ from ``ORDINARY`` (an own employee's ordinary view during business
hours), and whether the rule must match it. A correlation case is a list of such events, each ``after`` the
previous one (default 1m), and whether the correlation must fire; ``fires_at`` lists the events (by position)
that must be among the triggering rows.

The cases run through the real compilers (``ringfence.detection.sigma``) over a DuckDB table that has every
column of the enriched relation, so a rule that names a field wrongly or a threshold set wrongly fails here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
CASES_DIR = Path(__file__).resolve().parent / "rule_cases"

# 2026-10-13 (a Tuesday, a working day) 10:00 JST.
T0 = dt.datetime(2026, 10, 13, 1, 0, tzinfo=dt.UTC)

# An ordinary event: an own employee, entitled, on their own terminal in a T&D zone, in business hours.
ORDINARY: dict[str, Any] = {
    "system": "CIS",
    "source": "cis-csv",
    "class": "record_access",
    "activity": "view",
    "outcome": "success",
    "account": "1000001",
    "src_ip": "10.1.1.10",
    "src_host": "TDB101-0001",
    "record_count": 1,
    "raw": "",
    "time_jst": None,  # filled from time
    "hour_jst": 10,
    "weekday_jst": 1,
    "day_off": False,
    "business_hours": True,
    "system_name": "顧客情報管理システム",
    "system_holds_non_public": True,
    "account_known": True,
    "account_kind": "personal",
    "account_status": "enabled",
    "account_privilege": "update",
    "owner": "1000001",
    "person_known": True,
    "person_employment_type": "own_employee",
    "person_status": "active",
    "person_employer": "送配電株式会社",
    "person_unit": "D06",
    "person_job_title": "主任",
    "own_employee": True,
    "entitled": True,
    "entitled_level": "update",
    "required_level": "view",
    "entitled_for_activity": True,
    "terminal_tag": "PC0000001",
    "terminal_known": True,
    "terminal_status": "in_use",
    "terminal_room": "R-B101-01",
    "terminal_zone": "Z-B101",
    "terminal_zone_kind": "td_only",
    "terminal_assigned_employee": "1000001",
    "net_segment": "10.1.1.0/24",
    "net_zone": "Z-B101",
    "net_zone_kind": "td_only",
    "emergency_grant_active": False,
    "first_seen_account_terminal": False,
    "first_seen_account_system": False,
    "baseline_hourly_records": None,
    "baseline_daily_records": None,
}

_SPAN = re.compile(r"^(\d+)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def span(text: str | int | None, default: str = "1m") -> dt.timedelta:
    """``"90s"``, ``"5m"``, ``"2h"``, ``"1d"`` as a timedelta."""
    found = _SPAN.match(str(text if text is not None else default).strip())
    if not found:
        raise ValueError(f"{text!r} is not a span like 30s, 5m, 1h or 1d")
    return dt.timedelta(seconds=int(found.group(1)) * _SECONDS[found.group(2)])


def pack_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def pack_documents() -> list[tuple[Path, dict[str, Any]]]:
    """Every YAML document of the pack with the file it is in."""
    documents = []
    for path in pack_files():
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                documents.append((path, document))
    return documents


def enriched_columns() -> dict[str, str]:
    """Column name -> SQL type of the enriched relation (event schema + day + contract C1 fields)."""
    from ringfence.detection.engine.columns import enriched_columns as columns

    return columns()


@dataclass
class Case:
    """One expectation about one rule."""

    rule: str
    name: str
    events: list[dict[str, Any]]
    expect: bool
    fires_at: tuple[int, ...] = ()
    origin: str = ""
    correlation: bool = False


@dataclass
class PackRules:
    """The pack parsed and compiled against the enriched columns, by rule name."""

    detections: dict[str, Any] = field(default_factory=dict)
    correlations: dict[str, Any] = field(default_factory=dict)


def compile_pack(columns: Mapping[str, str], dialect: str = "duckdb") -> PackRules:
    """Parse every pack file with ``parse_rules`` and compile it: detections first, then correlations."""
    from ringfence.detection.sigma import CompileContext, compile_detection, parse_rules
    from ringfence.detection.sigma.correlation import compile_correlation

    ctx = CompileContext(columns=columns, dialect=dialect)
    parsed: list[Any] = []
    for path in pack_files():
        parsed.extend(parse_rules(path.read_text(encoding="utf-8"), str(path)))
    result = PackRules()
    pending = []
    for rule in parsed:
        if hasattr(rule, "group_by"):
            pending.append(rule)
        else:
            result.detections[str(rule.name)] = compile_detection(rule, ctx)
    while pending:
        progressed = False
        for rule in list(pending):
            names = [str(ref.reference) for ref in rule.rules]
            known = {**result.detections, **result.correlations}
            if all(name in known for name in names):
                bases = {name: known[name] for name in names}
                result.correlations[str(rule.name)] = compile_correlation(rule, bases, ctx)
                pending.remove(rule)
                progressed = True
        if not progressed:
            raise AssertionError(f"unresolvable correlation references: {[r.name for r in pending]}")
    return result


def load_cases() -> list[Case]:
    """Every case of every case file."""
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule, entries in data.items():
            for entry in entries:
                origin = f"{path.name}: {rule}: {entry['name']}"
                if "events" in entry:
                    cases.append(
                        Case(rule, entry["name"], list(entry["events"]), bool(entry["fires"]),
                             tuple(entry.get("fires_at", ())), origin, correlation=True)
                    )  # fmt: skip
                else:
                    cases.append(
                        Case(
                            rule, entry["name"], [entry.get("event") or {}], bool(entry["match"]), (), origin
                        )
                    )
    return cases


def event_rows(events: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Full enriched rows: ``ORDINARY`` overridden by each event; times follow ``after`` (or ``at``) offsets."""
    rows = []
    t = T0
    for index, given in enumerate(events):
        values = dict(given)
        if "at" in values:
            t = T0 + span(values.pop("at"))
        elif index:
            t = t + span(values.pop("after", None))
        values.pop("after", None)
        row = {**ORDINARY, "event_id": f"e{index}", "time": t, **values}
        if isinstance(row["time"], str):
            row["time"] = dt.datetime.fromisoformat(row["time"])
        local = row["time"].astimezone(dt.timezone(dt.timedelta(hours=9)))
        row.setdefault("time_jst", None)
        if row["time_jst"] is None:
            row["time_jst"] = local.replace(tzinfo=None)
        row.setdefault("day", local.date())
        if row.get("day") is None:
            row["day"] = local.date()
        unknown = set(row) - set(columns)
        if unknown:
            raise AssertionError(f"case names fields that are not enriched columns: {sorted(unknown)}")
        rows.append(row)
    return rows


def load_relation(con: duckdb.DuckDBPyConnection, name: str, rows: Sequence[Mapping[str, Any]],
                  columns: Mapping[str, str]) -> None:  # fmt: skip
    """A table ``name`` with every enriched column (NULL where a row gives nothing)."""
    names = list(columns)
    con.execute(f"CREATE OR REPLACE TABLE {name} (" + ", ".join(f'"{c}" {columns[c]}' for c in names) + ")")
    marks = ", ".join("?" for _ in names)
    for row in rows:
        con.execute(f"INSERT INTO {name} VALUES ({marks})", [row.get(c) for c in names])


def detection_matches(con: duckdb.DuckDBPyConnection, relation: str, compiled: Any) -> list[str]:
    """Event IDs of ``relation`` that the compiled detection matches (NULL counts as no match)."""
    sql = f"SELECT event_id FROM {relation} WHERE coalesce(({compiled.where_sql}), FALSE) ORDER BY time, event_id"
    return [row[0] for row in con.execute(sql).fetchall()]


def correlation_triggers(
    con: duckdb.DuckDBPyConnection, relation: str, compiled: Any, rules: PackRules
) -> list[str]:
    """Event IDs at which the compiled correlation fires over ``relation``."""
    from ringfence.detection.sigma.correlation import match_column

    flags = []
    for column in compiled.rule_columns:
        base = next(
            (d for d in rules.detections.values() if match_column(d.rule_id) == column),
            None,
        )
        if base is None:
            raise AssertionError(f"{compiled.title}: no pack detection provides {column}")
        flags.append(f'coalesce(({base.where_sql}), FALSE) AS "{column}"')
    con.execute(f"CREATE OR REPLACE TEMP VIEW matches AS SELECT *, {', '.join(flags)} FROM {relation}")
    sql = compiled.sql("matches")
    return sorted({row[0] for row in con.execute(f"SELECT event_id FROM ({sql}) AS t").fetchall()})

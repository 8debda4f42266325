"""Helpers for the correlation tests: tiny flagged-event tables on DuckDB, rules from YAML, stub base rules.

The tests do not need the detection compiler: they build the relation the engine would build (events plus one
BOOLEAN match column per base rule) directly as an Arrow table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from ringfence.detection.sigma.correlation import (
    CompiledCorrelation,
    compile_correlation,
    match_column,
)

T0 = datetime(2026, 10, 12, 0, 0, tzinfo=UTC)
COLUMNS = {
    "event_id": "VARCHAR",
    "time": "TIMESTAMPTZ",
    "system": "VARCHAR",
    "account": "VARCHAR",
    "src_ip": "VARCHAR",
    "dst_host": "VARCHAR",
    "record_count": "BIGINT",
    "baseline_daily_records": "DOUBLE",
    "extra": "VARCHAR",
}


@dataclass(frozen=True)
class StubContext:
    columns: Mapping[str, str] = field(default_factory=lambda: dict(COLUMNS))
    dialect: str = "duckdb"
    field_mapping: Mapping[str, str] = field(default_factory=lambda: {"User": "account"})


@dataclass(frozen=True)
class StubDetection:
    """Stands in for CompiledDetection: only what compile_correlation reads."""

    rule_id: str
    name: str | None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def events(rows: Iterable[Mapping[str, Any]], rules: Sequence[str]) -> pa.Table:
    """An Arrow table of flagged events; each row gives `t` (minutes after T0), `hit` (rule names) and fields."""
    out: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for name in rules:
        out[match_column(name)] = []
    for i, row in enumerate(rows):
        out["event_id"].append(row.get("event_id", f"e{i:03d}"))
        out["time"].append(at(row["t"]))
        for col in COLUMNS:
            if col not in ("event_id", "time"):
                out[col].append(row.get(col, "S1" if col == "system" else None))
        hits = row.get("hit", ())
        for name in rules:
            out[match_column(name)].append(name in hits)
    types = {
        "time": pa.timestamp("us", tz="UTC"),
        "record_count": pa.int64(),
        "baseline_daily_records": pa.float64(),
    }
    return pa.table(
        {
            k: pa.array(v, type=types.get(k, pa.bool_() if k.startswith("m_") else pa.string()))
            for k, v in out.items()
        }
    )


def load(text: str) -> list[SigmaRule | SigmaCorrelationRule]:
    docs = [d for d in yaml.safe_load_all(text) if d]
    collection = SigmaCollection.from_dicts(docs)
    collection.resolve_rule_references()
    return list(collection.rules)


def compile_text(text: str, ctx: StubContext | None = None) -> CompiledCorrelation:
    """Compile the last document (a correlation) of `text` against stub bases for every other document."""
    rules = load(text)
    bases: dict[str, Any] = {}
    compiled: CompiledCorrelation | None = None
    for rule in rules:
        if isinstance(rule, SigmaCorrelationRule):
            compiled = compile_correlation(rule, bases, ctx or StubContext())
            bases[compiled.name or compiled.rule_id] = compiled
        else:
            key = rule.name or str(rule.id)
            bases[key] = StubDetection(rule_id=key, name=rule.name)
    assert compiled is not None
    return compiled


def base_rules(*names: str) -> str:
    """YAML documents for detection rules with the given names (their detection logic is irrelevant here)."""
    return "".join(
        f"title: {n}\nname: {n}\nlogsource: {{product: test}}\ndetection: {{sel: {{a: 1}}, condition: sel}}\n---\n"
        for n in names
    )


def run(compiled: CompiledCorrelation, table: pa.Table) -> list[dict[str, Any]]:
    con = duckdb.connect()
    con.register("matches", table)
    result = con.sql(compiled.sql("matches")).to_arrow_table()
    return sorted(result.to_pylist(), key=lambda r: (r["time"], r["event_id"]))


def fired(compiled: CompiledCorrelation, table: pa.Table) -> list[str]:
    return [row["event_id"] for row in run(compiled, table)]

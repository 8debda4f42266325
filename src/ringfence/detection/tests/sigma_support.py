"""Run compiled Sigma detections in DuckDB over tiny Arrow tables shaped like the enriched relation."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from ringfence.detection.sigma import CompileContext, CompiledDetection, compile_detection, parse_rules

# a slice of the enriched relation: text, number, boolean, timestamp and list columns, plus extra and raw
SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("time", pa.timestamp("us", tz="UTC")),
        pa.field("system", pa.string()),
        pa.field("activity", pa.string()),
        pa.field("account", pa.string()),
        pa.field("account_domain", pa.string()),
        pa.field("src_ip", pa.string()),
        pa.field("src_host", pa.string()),
        pa.field("dst_host", pa.string()),
        pa.field("terminal_tag", pa.string()),
        pa.field("logon_type", pa.string()),
        pa.field("session_id", pa.string()),
        pa.field("record_ids", pa.list_(pa.string())),
        pa.field("record_count", pa.int64()),
        pa.field("hour_jst", pa.int32()),
        pa.field("own_employee", pa.bool_()),
        pa.field("baseline_daily_records", pa.float64()),
        pa.field("message", pa.string()),
        pa.field("extra", pa.string()),
        pa.field("raw", pa.string()),
    ]
)


def table(rows: Sequence[Any]) -> pa.Table:
    """Rows as an Arrow table of SCHEMA; ``event_id`` defaults to e<n>, ``extra`` dicts become JSON."""
    filled = []
    for n, row in enumerate(rows):
        data: dict[str, Any] = dict.fromkeys(SCHEMA.names)
        data["event_id"] = f"e{n}"
        data["raw"] = ""
        data.update(row)
        if isinstance(data["extra"], dict):
            data["extra"] = json.dumps(data["extra"], ensure_ascii=False)
        filled.append(data)
    return pa.Table.from_pylist(filled, schema=SCHEMA)


def columns_of(arrow: pa.Table) -> dict[str, str]:
    con = duckdb.connect()
    con.register("t", arrow)
    return {name: sql_type for name, sql_type, *_ in con.execute("DESCRIBE t").fetchall()}


def rule_text(detection: str, *, title: str = "test rule", extra: str = "") -> str:
    return (
        f"title: {title}\nid: 5d1a2f1e-0000-4000-8000-000000000001\nlogsource:\n  product: ringfence\n"
        f"detection:\n{textwrap.indent(textwrap.dedent(detection).strip(), '  ')}\nlevel: high\n{extra}"
    )


def compile_text(
    detection: str,
    arrow: pa.Table,
    *,
    placeholders: Mapping[str, Sequence[str]] | None = None,
    dialect: str = "duckdb",
) -> CompiledDetection:
    (rule,) = parse_rules(rule_text(detection), "test.yml")
    ctx = CompileContext(columns=columns_of(arrow), placeholders=placeholders or {}, dialect=dialect)
    return compile_detection(rule, ctx)  # type: ignore[arg-type]


def matching(detection: str, rows: Sequence[Any], **kwargs: Any) -> list[str]:
    """event_ids of ``rows`` the detection matches (in row order)."""
    arrow = table(rows)
    compiled = compile_text(detection, arrow, **kwargs)
    con = duckdb.connect()
    con.register("t", arrow)
    query = f"SELECT event_id FROM t WHERE {compiled.where_sql} ORDER BY event_id"
    return sorted((r[0] for r in con.execute(query).fetchall()), key=lambda e: int(e[1:]))


def flag_values(detection: str, rows: Sequence[Any], **kwargs: Any) -> list[Any]:
    """The detection's value for every row (as a SELECT column): must be TRUE/FALSE, never NULL."""
    arrow = table(rows)
    compiled = compile_text(detection, arrow, **kwargs)
    con = duckdb.connect()
    con.register("t", arrow)
    return [r[0] for r in con.execute(f"SELECT {compiled.where_sql} FROM t").fetchall()]

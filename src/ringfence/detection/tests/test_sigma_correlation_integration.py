"""Correlations on top of real compiled detections: parse_rules → compile_detection → flags → correlation SQL."""

from __future__ import annotations

from typing import Any

import duckdb
from sigma.correlations import SigmaCorrelationRule

from ringfence.detection.sigma import CompileContext, compile_detection, parse_rules
from ringfence.detection.sigma.correlation import CompiledCorrelation, compile_correlation, match_column

from .sigma_correlation_support import COLUMNS, at, events

RULES = """
title: Failed logon
id: 0f5a3c1e-7d2b-4a8e-9c61-2b7d9e4f1a01
name: failed_logon
logsource: {product: ringfence, service: enriched}
detection:
  selection:
    EventID: 4625
  condition: selection
level: low
---
title: Successful logon
id: 0f5a3c1e-7d2b-4a8e-9c61-2b7d9e4f1a02
name: successful_logon
logsource: {product: ringfence, service: enriched}
detection:
  selection:
    EventID: 4624
  condition: selection
level: low
---
title: Failed logons then a success from one address
id: 0f5a3c1e-7d2b-4a8e-9c61-2b7d9e4f1a03
name: failed_then_success
level: high
correlation:
  type: temporal_ordered
  rules: [failed_logon, successful_logon]
  group-by: [IpAddress, TargetUserName]
  timespan: 5m
"""


def compile_all(text: str) -> tuple[list[Any], CompiledCorrelation]:
    ctx = CompileContext(columns=dict(COLUMNS))
    detections: dict[str, Any] = {}
    correlation: CompiledCorrelation | None = None
    for rule in parse_rules(text, "test.yml"):
        if isinstance(rule, SigmaCorrelationRule):
            correlation = compile_correlation(rule, detections, ctx)
        else:
            compiled = compile_detection(rule, ctx)
            detections[compiled.name or compiled.rule_id] = compiled
    assert correlation is not None
    return list(detections.values()), correlation


def test_taxonomy_fields_and_real_detections() -> None:
    detections, correlation = compile_all(RULES)
    assert correlation.group_by == ("IpAddress", "TargetUserName")
    assert correlation.rule_columns == tuple(match_column(d.rule_id) for d in detections)
    rows = [
        {"t": 0, "account": "tanaka", "src_ip": "10.0.0.9", "extra": '{"EventID": 4625}'},
        {"t": 1, "account": "tanaka", "src_ip": "10.0.0.8", "extra": '{"EventID": 4624}'},  # other address
        {"t": 2, "account": "tanaka", "src_ip": "10.0.0.9", "extra": '{"EventID": 4624}'},
        {"t": 3, "account": "sato", "src_ip": "10.0.0.9", "extra": '{"EventID": 4624}'},  # other user
    ]
    table = events(rows, [])
    con = duckdb.connect()
    con.register("enriched", table)
    flags = ", ".join(f"coalesce(({d.where_sql}), false) AS {match_column(d.rule_id)}" for d in detections)
    con.execute(f"CREATE TEMP TABLE matches AS SELECT *, {flags} FROM enriched")
    result = con.sql(correlation.sql("matches")).to_arrow_table().to_pylist()
    assert [(r["event_id"], r["IpAddress"], r["TargetUserName"]) for r in result] == [
        ("e002", "10.0.0.9", "tanaka")
    ]
    assert result[0]["corr_window_start"] == at(0)
    assert {"src_ip", "account"} <= set(correlation.state_columns)

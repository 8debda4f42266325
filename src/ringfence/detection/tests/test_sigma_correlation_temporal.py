"""temporal and temporal_ordered correlations, field aliases, extended conditions, chained correlations."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from sigma.correlations import SigmaCorrelationRule

from ringfence.core.errors import BadInput
from ringfence.detection.sigma.correlation import compile_correlation, match_column

from .sigma_correlation_support import (
    StubContext,
    StubDetection,
    at,
    base_rules,
    compile_text,
    events,
    fired,
    load,
    run,
)


def temporal_rule(kind: str, rules: str = "[a, b, c]", extra: str = "", timespan: str = "10m") -> str:
    return base_rules("a", "b", "c") + (
        f"title: {kind} rule\nname: {kind}_rule\ncorrelation:\n  type: {kind}\n  rules: {rules}\n"
        f"  group-by: [account]\n  timespan: {timespan}\n{extra}"
    )


# --- temporal ---------------------------------------------------------------------------------------------


def test_temporal_fires_when_all_rules_matched_within_the_timespan_in_any_order() -> None:
    compiled = compile_text(temporal_rule("temporal"))
    rows = [
        {"t": 0, "account": "u", "hit": ["c"]},
        {"t": 3, "account": "u", "hit": ["a"]},
        {"t": 4, "account": "v", "hit": ["b"]},  # another account: does not complete u's set
        {"t": 6, "account": "u", "hit": ["b"]},  # c, a, b within 6 minutes → fires here
        {"t": 12, "account": "u", "hit": ["b"]},  # c (t=0) has left the 10-minute window
    ]
    result = run(compiled, events(rows, ["a", "b", "c"]))
    assert [(r["event_id"], r["corr_value"]) for r in result] == [("e003", 3.0)]
    assert result[0]["corr_window_start"] == at(0)


def test_temporal_window_is_inclusive_at_exactly_the_timespan() -> None:
    compiled = compile_text(temporal_rule("temporal", rules="[a, b]"))
    rows = [{"t": 0, "account": "u", "hit": ["a"]}, {"t": 10, "account": "u", "hit": ["b"]}]
    assert fired(compiled, events(rows, ["a", "b", "c"])) == ["e001"]


def test_temporal_with_a_count_condition_needs_only_that_many_rules() -> None:
    compiled = compile_text(temporal_rule("temporal", extra="  condition: {gte: 2}\n"))
    rows = [{"t": 0, "account": "u", "hit": ["a"]}, {"t": 1, "account": "u", "hit": ["c"]}]
    assert fired(compiled, events(rows, ["a", "b", "c"])) == ["e001"]


def test_temporal_one_event_matching_two_rules_counts_for_both() -> None:
    compiled = compile_text(temporal_rule("temporal", rules="[a, b]"))
    assert fired(compiled, events([{"t": 0, "account": "u", "hit": ["a", "b"]}], ["a", "b", "c"])) == ["e000"]


def test_temporal_extended_condition() -> None:
    compiled = compile_text(
        base_rules("a", "b", "c")
        + "title: a without b\nname: a_not_b\ncorrelation:\n  type: temporal\n  rules: [a, b]\n"
        "  group-by: [account]\n  timespan: 10m\n  condition: a and not b\n"
    )
    rows = [
        {"t": 0, "account": "u", "hit": ["a"]},  # a, no b yet → fires
        {"t": 1, "account": "u", "hit": ["b"]},  # b seen → no
        {"t": 2, "account": "u", "hit": ["a"]},  # b still in the window → no
        {"t": 20, "account": "u", "hit": ["a"]},  # b left the window → fires
    ]
    assert fired(compiled, events(rows, ["a", "b", "c"])) == ["e000", "e003"]


# --- temporal_ordered -------------------------------------------------------------------------------------


def test_ordered_fires_only_for_the_given_order() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered"))
    in_order = [{"t": m, "account": "u", "hit": [r]} for m, r in ((0, "a"), (2, "b"), (4, "c"))]
    result = run(compiled, events(in_order, ["a", "b", "c"]))
    assert [(r["event_id"], r["corr_value"], r["corr_window_start"]) for r in result] == [
        ("e002", 3.0, at(0))
    ]
    wrong = [{"t": m, "account": "u", "hit": [r]} for m, r in ((0, "b"), (2, "a"), (4, "c"))]
    assert fired(compiled, events(wrong, ["a", "b", "c"])) == []


def test_ordered_uses_the_latest_possible_start() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered", rules="[a, b]"))
    rows = [
        {"t": 0, "account": "u", "hit": ["a"]},
        {"t": 8, "account": "u", "hit": ["a"]},
        {"t": 15, "account": "u", "hit": ["b"]},  # 15 after the first a, 7 after the second: fires from t=8
    ]
    result = run(compiled, events(rows, ["a", "b", "c"]))
    assert [(r["event_id"], r["corr_window_start"]) for r in result] == [("e002", at(8))]


def test_ordered_chain_must_fit_the_timespan_and_its_boundary_is_inclusive() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered"))
    exact = [{"t": m, "account": "u", "hit": [r]} for m, r in ((0, "a"), (5, "b"), (10, "c"))]
    assert fired(compiled, events(exact, ["a", "b", "c"])) == ["e002"]
    late = [{"t": m, "account": "u", "hit": [r]} for m, r in ((0, "a"), (5, "b"), (10.5, "c"))]
    assert fired(compiled, events(late, ["a", "b", "c"])) == []


def test_ordered_same_time_events_follow_the_rule_order() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered", rules="[a, b]"))
    rows = [
        {"t": 0, "account": "u", "hit": ["b"], "event_id": "z-first-id"},
        {"t": 0, "account": "u", "hit": ["a"], "event_id": "y-second-id"},
    ]
    assert fired(compiled, events(rows, ["a", "b", "c"])) == ["z-first-id"]


def test_ordered_one_event_matching_both_rules_is_not_a_chain() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered", rules="[a, b]"))
    assert fired(compiled, events([{"t": 0, "account": "u", "hit": ["a", "b"]}], ["a", "b", "c"])) == []


def test_ordered_groups_are_separate() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered", rules="[a, b]"))
    rows = [{"t": 0, "account": "u", "hit": ["a"]}, {"t": 1, "account": "v", "hit": ["b"]}]
    assert fired(compiled, events(rows, ["a", "b", "c"])) == []


def test_ordered_partial_chain_with_a_lower_condition() -> None:
    compiled = compile_text(temporal_rule("temporal_ordered", extra="  condition: {gte: 2}\n"))
    rows = [{"t": 0, "account": "u", "hit": ["a"]}, {"t": 1, "account": "u", "hit": ["b"]}]
    result = run(compiled, events(rows, ["a", "b", "c"]))
    assert [(r["event_id"], r["corr_value"]) for r in result] == [("e001", 2.0)]


def test_ordered_extended_condition_is_refused() -> None:
    text = base_rules("a", "b") + (
        "title: x\nname: x\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b]\n  group-by: [account]\n"
        "  timespan: 10m\n  condition: a and b\n"
    )
    with pytest.raises(BadInput, match="temporal only"):
        compile_text(text)


# --- aliases ----------------------------------------------------------------------------------------------


def test_aliases_group_different_fields_of_different_rules() -> None:
    text = base_rules("outbound", "inbound") + (
        "title: Same host both ways\nname: both_ways\ncorrelation:\n  type: temporal\n"
        "  rules: [outbound, inbound]\n  group-by: [host]\n  timespan: 5m\n"
        "  aliases:\n    host:\n      outbound: dst_host\n      inbound: src_ip\n"
    )
    compiled = compile_text(text)
    rows = [
        {"t": 0, "dst_host": "10.1.1.1", "src_ip": "10.9.9.9", "hit": ["outbound"]},
        {"t": 1, "dst_host": "10.2.2.2", "src_ip": "10.1.1.1", "hit": ["inbound"]},
        {"t": 2, "dst_host": "10.1.1.1", "src_ip": "10.3.3.3", "hit": ["inbound"]},  # wrong field for inbound
    ]
    result = run(compiled, events(rows, ["outbound", "inbound"]))
    assert [(r["event_id"], r["host"]) for r in result] == [("e001", "10.1.1.1")]
    assert compiled.group_by == ("host",)
    assert {"dst_host", "src_ip"} <= set(compiled.state_columns)


def test_alias_naming_an_unreferenced_rule_is_refused() -> None:
    text = base_rules("a", "b") + (
        "title: x\nname: x\ncorrelation:\n  type: temporal\n  rules: [a]\n  group-by: [h]\n  timespan: 5m\n"
        "  aliases:\n    h:\n      b: src_ip\n"
    )
    with pytest.raises(BadInput, match="unknown rule 'b'"):
        compile_text(text)


# --- correlations of correlations -------------------------------------------------------------------------


def test_correlation_of_a_correlation() -> None:
    """Brute force: many failed logons, then a successful one (the specification's own example)."""
    text = base_rules("failed", "success") + (
        "title: many failed\nname: many_failed\ncorrelation:\n  type: event_count\n  rules: [failed]\n"
        "  group-by: [account]\n  timespan: 10m\n  condition: {gte: 3}\n---\n"
        "title: Brute force then success\nname: brute_success\nlevel: high\ncorrelation:\n"
        "  type: temporal_ordered\n  rules: [many_failed, success]\n  group-by: [account]\n  timespan: 30m\n"
    )
    rules = load(text)
    inner_rule, outer_rule = rules[2], rules[3]
    assert isinstance(inner_rule, SigmaCorrelationRule) and isinstance(outer_rule, SigmaCorrelationRule)
    bases: dict[str, Any] = {name: StubDetection(name, name) for name in ("failed", "success")}
    inner = compile_correlation(inner_rule, bases, StubContext())
    bases["many_failed"] = inner
    outer = compile_correlation(outer_rule, bases, StubContext())
    assert outer.rule_columns == (match_column(inner.rule_id), "m_success")
    assert outer.retention == inner.retention + outer.timespan

    rows = [{"t": m, "account": "u", "hit": ["failed"]} for m in (0, 1, 2)]
    rows += [{"t": 5, "account": "u", "hit": ["success"]}, {"t": 6, "account": "v", "hit": ["success"]}]
    table = events(rows, ["failed", "success"])
    # The engine flags the events at which the inner correlation fired, then runs the outer one.
    inner_ids = set(fired(inner, table))
    assert inner_ids == {"e002"}
    flags = [event_id in inner_ids for event_id in table.column("event_id").to_pylist()]
    table = table.append_column(match_column(inner.rule_id), pa.array(flags, pa.bool_()))
    assert fired(outer, table) == ["e003"]

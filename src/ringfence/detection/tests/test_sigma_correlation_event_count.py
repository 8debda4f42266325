"""event_count correlations: thresholds, sliding windows, groups, conditions."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest
from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule

from ringfence.core.errors import BadInput
from ringfence.detection.sigma.correlation import compile_correlation

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


def count_rule(condition: str, timespan: str = "10m", group_by: str = "[system, account]") -> str:
    return base_rules("failed_logon") + (
        "title: Many failed logons\nid: 6f0c8a52-0b7e-4a55-9e3c-1f2b3c4d5e6f\nname: many_failed\n"
        f"level: high\ncorrelation:\n  type: event_count\n  rules: [failed_logon]\n  group-by: {group_by}\n"
        f"  timespan: {timespan}\n  condition: {condition}\n"
    )


def test_compiled_fields_follow_the_rule() -> None:
    compiled = compile_text(count_rule("{gte: 3}"))
    assert compiled.rule_id == "6f0c8a52-0b7e-4a55-9e3c-1f2b3c4d5e6f"
    assert compiled.name == "many_failed"
    assert compiled.title == "Many failed logons"
    assert compiled.level == "high"
    assert compiled.rule_columns == ("m_failed_logon",)
    assert compiled.group_by == ("system", "account")
    assert compiled.timespan == timedelta(minutes=10)
    assert compiled.retention == timedelta(minutes=10)
    assert set(compiled.state_columns) == {"event_id", "time", "m_failed_logon", "system", "account"}


def test_fires_at_the_event_that_reaches_the_threshold_and_after() -> None:
    compiled = compile_text(count_rule("{gte: 3}"))
    table = events(
        [{"t": m, "account": "u1", "hit": ["failed_logon"]} for m in (0, 2, 4, 6)]
        + [{"t": 5, "account": "u1"}],  # not matched by the rule: never counted, never a trigger
        ["failed_logon"],
    )
    rows = run(compiled, table)
    assert [r["event_id"] for r in rows] == ["e002", "e003"]
    assert [r["corr_value"] for r in rows] == [3.0, 4.0]
    assert rows[0]["corr_window_start"] == at(0)
    assert rows[0]["system"] == "S1" and rows[0]["account"] == "u1"
    assert set(rows[0]) == {"event_id", "time", "system", "account", "corr_value", "corr_window_start"}


def test_window_includes_an_event_exactly_timespan_earlier() -> None:
    compiled = compile_text(count_rule("{gte: 2}"))
    exact = events(
        [
            {"t": 0, "account": "u", "hit": ["failed_logon"]},
            {"t": 10, "account": "u", "hit": ["failed_logon"]},
        ],
        ["failed_logon"],
    )
    assert fired(compiled, exact) == ["e001"]
    just_over = events(
        [
            {"t": 0, "account": "u", "hit": ["failed_logon"]},
            {"t": 10 + 1 / 60_000, "account": "u", "hit": ["failed_logon"]},
        ],
        ["failed_logon"],
    )
    assert fired(compiled, just_over) == []


def test_window_slides_old_events_out() -> None:
    compiled = compile_text(count_rule("{gte: 3}"))
    table = events(
        [{"t": m, "account": "u", "hit": ["failed_logon"]} for m in (0, 8, 15, 30)], ["failed_logon"]
    )
    # windows ending at 15 hold 8 and 15 only (0 is 15 minutes before): never 3 events within 10 minutes
    assert fired(compiled, table) == []


def test_groups_are_counted_separately_and_unknown_group_values_are_left_out() -> None:
    compiled = compile_text(count_rule("{gte: 2}"))
    table = events(
        [
            {"t": 0, "account": "u1", "hit": ["failed_logon"]},
            {"t": 1, "account": "u2", "hit": ["failed_logon"]},
            {"t": 2, "account": None, "hit": ["failed_logon"]},
            {"t": 3, "account": None, "hit": ["failed_logon"]},
            {"t": 4, "account": "u1", "system": "S2", "hit": ["failed_logon"]},
            {"t": 5, "account": "u2", "hit": ["failed_logon"]},
        ],
        ["failed_logon"],
    )
    rows = run(compiled, table)
    assert [(r["event_id"], r["system"], r["account"]) for r in rows] == [("e005", "S1", "u2")]


def test_without_group_by_all_events_form_one_group() -> None:
    compiled = compile_text(count_rule("{gte: 3}", group_by="[]"))
    table = events(
        [{"t": m, "account": f"u{m}", "hit": ["failed_logon"]} for m in (0, 1, 2)], ["failed_logon"]
    )
    assert fired(compiled, table) == ["e002"]
    assert compiled.group_by == ()


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("{gt: 2}", ["e002", "e003"]),
        ("{gte: 2}", ["e001", "e002", "e003"]),
        ("{lt: 2}", ["e000"]),
        ("{lte: 2}", ["e000", "e001"]),
        ("{eq: 3}", ["e002"]),
        ("{neq: 3}", ["e000", "e001", "e003"]),
        ("{gt: 1, lte: 3}", ["e001", "e002"]),
        ("{gte: 2.5}", ["e002", "e003"]),
    ],
)
def test_condition_operators_and_ranges(condition: str, expected: list[str]) -> None:
    compiled = compile_text(count_rule(condition))
    table = events(
        [{"t": m, "account": "u", "hit": ["failed_logon"]} for m in (0, 1, 2, 3)], ["failed_logon"]
    )
    assert fired(compiled, table) == expected


def test_several_rules_count_each_event_once() -> None:
    text = base_rules("a", "b") + (
        "title: A or B often\nname: ab\ncorrelation:\n  type: event_count\n  rules: [a, b]\n"
        "  group-by: [account]\n  timespan: 1h\n  condition: {gte: 3}\n"
    )
    compiled = compile_text(text)
    table = events(
        [
            {"t": 0, "account": "u", "hit": ["a", "b"]},  # one event matching both rules counts once
            {"t": 1, "account": "u", "hit": ["b"]},
            {"t": 2, "account": "u", "hit": ["a"]},
        ],
        ["a", "b"],
    )
    rows = run(compiled, table)
    assert [(r["event_id"], r["corr_value"]) for r in rows] == [("e002", 3.0)]


def test_timespan_units() -> None:
    for spec, seconds in (("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1w", 604800)):
        assert compile_text(count_rule("{gte: 1}", timespan=spec)).timespan == timedelta(seconds=seconds)


def test_null_match_flags_count_as_no_match() -> None:
    compiled = compile_text(count_rule("{gte: 2}"))
    table = events([{"t": m, "account": "u", "hit": ["failed_logon"]} for m in (0, 1)], ["failed_logon"])
    flags = table.column("m_failed_logon").to_pylist()
    table = table.set_column(
        table.schema.get_field_index("m_failed_logon"),
        "m_failed_logon",
        pa.array([flags[0], None], pa.bool_()),
    )
    assert fired(compiled, table) == []


def test_unknown_reference_is_refused_with_its_place() -> None:
    text = (
        "title: Dangling\nname: dangling\ncorrelation:\n  type: event_count\n  rules: [nowhere]\n"
        "  group-by: [account]\n  timespan: 1h\n  condition: {gte: 3}\n"
    )
    rule = SigmaCorrelationRule.from_yaml(text)
    with pytest.raises(BadInput, match=r"correlation.rules.*unknown rule 'nowhere'"):
        compile_correlation(rule, {}, StubContext())


def test_a_threshold_tuned_into_the_parsed_rule_is_used() -> None:
    """The engine writes a tuned threshold into the parsed condition before compiling; the range bound stays."""
    rules = load(count_rule("{gte: 2, lte: 3}"))
    correlation = rules[-1]
    assert isinstance(correlation, SigmaCorrelationRule)
    assert isinstance(correlation.condition, SigmaCorrelationCondition)
    correlation.condition.count = 3
    bases = {"failed_logon": StubDetection("failed_logon", "failed_logon")}
    compiled = compile_correlation(correlation, bases, StubContext())
    table = events(
        [{"t": m, "account": "u", "hit": ["failed_logon"]} for m in (0, 1, 2, 3)], ["failed_logon"]
    )
    assert fired(compiled, table) == ["e002"]


@pytest.mark.parametrize("group_by", ["[time]", "[account, account]", "[_m0]", "[corr_value]"])
def test_group_by_names_that_clash_with_the_output_are_refused(group_by: str) -> None:
    with pytest.raises(BadInput, match=r"correlation\.group-by"):
        compile_text(count_rule("{gte: 2}", group_by=group_by))

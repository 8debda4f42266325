"""Property tests: the window SQL agrees with a brute-force reading of the semantics on random small event sets."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from .sigma_correlation_support import base_rules, compile_text, events, fired

RULES = ("a", "b", "c")
SPAN = 10  # minutes

event_strategy = st.fixed_dictionaries(
    {
        "t": st.integers(min_value=0, max_value=40),
        "account": st.sampled_from(["u1", "u2", None]),
        "src_ip": st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3", None]),
        "hit": st.lists(st.sampled_from(RULES), unique=True, max_size=2),
        "record_count": st.one_of(st.none(), st.integers(min_value=-4, max_value=9)),
    }
)
event_lists = st.lists(event_strategy, max_size=14)


def rule(kind: str, extra: str) -> str:
    return base_rules(*RULES) + (
        f"title: p\nname: p\ncorrelation:\n  type: {kind}\n  rules: [a, b, c]\n  group-by: [account]\n"
        f"  timespan: {SPAN}m\n{extra}"
    )


EVENT_COUNT = compile_text(rule("event_count", "  condition: {gte: 3}\n"))
VALUE_COUNT = compile_text(rule("value_count", "  condition: {gte: 2, field: src_ip}\n"))
VALUE_SUM = compile_text(rule("value_sum", "  condition: {gte: 12, field: record_count}\n"))
VALUE_AVG = compile_text(rule("value_avg", "  condition: {gt: 5, field: record_count}\n"))
TEMPORAL = compile_text(rule("temporal", ""))
ORDERED = compile_text(rule("temporal_ordered", ""))


def numbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "id": f"e{i:03d}"} for i, row in enumerate(rows)]


def window(rows: list[dict[str, Any]], e: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f for f in rows if f["hit"] and f["account"] == e["account"] and e["t"] - SPAN <= f["t"] <= e["t"]
    ]


def triggers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in rows if e["hit"] and e["account"] is not None]


def sql_ids(compiled: Any, rows: list[dict[str, Any]]) -> list[str]:
    return sorted(fired(compiled, events(rows, list(RULES))))


@settings(max_examples=25, deadline=None)
@given(event_lists)
def test_event_count_matches_reference(rows: list[dict[str, Any]]) -> None:
    rows = numbered(rows)
    expected = sorted(e["id"] for e in triggers(rows) if len(window(rows, e)) >= 3)
    assert sql_ids(EVENT_COUNT, rows) == expected


@settings(max_examples=25, deadline=None)
@given(event_lists)
def test_value_count_matches_reference(rows: list[dict[str, Any]]) -> None:
    rows = numbered(rows)
    expected = sorted(
        e["id"]
        for e in triggers(rows)
        if e["src_ip"] is not None and len({f["src_ip"] for f in window(rows, e)} - {None}) >= 2
    )
    assert sql_ids(VALUE_COUNT, rows) == expected


def numeric_window(rows: list[dict[str, Any]], e: dict[str, Any]) -> list[int]:
    return [f["record_count"] for f in window(rows, e) if f["record_count"] is not None]


@settings(max_examples=25, deadline=None)
@given(event_lists)
def test_value_sum_and_avg_match_reference(rows: list[dict[str, Any]]) -> None:
    rows = numbered(rows)
    valued = [e for e in triggers(rows) if e["record_count"] is not None]
    sums = sorted(e["id"] for e in valued if sum(numeric_window(rows, e)) >= 12)
    avgs = sorted(e["id"] for e in valued if sum(numeric_window(rows, e)) / len(numeric_window(rows, e)) > 5)
    assert sql_ids(VALUE_SUM, rows) == sums
    assert sql_ids(VALUE_AVG, rows) == avgs


@settings(max_examples=25, deadline=None)
@given(event_lists)
def test_temporal_matches_reference(rows: list[dict[str, Any]]) -> None:
    rows = numbered(rows)
    expected = sorted(
        e["id"] for e in triggers(rows) if {r for f in window(rows, e) for r in f["hit"]} == set(RULES)
    )
    assert sql_ids(TEMPORAL, rows) == expected


def ordered_reference(rows: list[dict[str, Any]]) -> list[str]:
    """Every event that ends a chain a < b < c of one account within the span, in the documented order."""

    def position(f: dict[str, Any]) -> tuple[int, int, str]:
        return (f["t"], min(RULES.index(r) for r in f["hit"]), f["id"])

    hits = sorted((f for f in triggers(rows)), key=position)
    ends = set()
    for chain in combinations(hits, len(RULES)):  # combinations keep the sorted order
        same_account = len({f["account"] for f in chain}) == 1
        in_rules = all(rule_name in f["hit"] for rule_name, f in zip(RULES, chain, strict=True))
        if same_account and in_rules and chain[-1]["t"] - chain[0]["t"] <= SPAN:
            ends.add(chain[-1]["id"])
    return sorted(ends)


@settings(max_examples=25, deadline=None)
@given(event_lists)
def test_temporal_ordered_matches_reference(rows: list[dict[str, Any]]) -> None:
    rows = numbered(rows)
    assert sql_ids(ORDERED, rows) == ordered_reference(rows)

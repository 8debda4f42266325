"""value_count, value_sum/avg/median/percentile correlations and the relative-threshold extension."""

from __future__ import annotations

import pytest
from sigma.exceptions import SigmaError

from ringfence.core.errors import BadInput

from .sigma_correlation_support import at, base_rules, compile_text, events, fired, run


def value_rule(kind: str, condition: str, extension: str = "", group_by: str = "[account]") -> str:
    return base_rules("access") + (
        f"title: {kind} rule\nname: {kind}_rule\n{extension}correlation:\n  type: {kind}\n  rules: [access]\n"
        f"  group-by: {group_by}\n  timespan: 1h\n  condition: {condition}\n"
    )


def test_value_count_counts_distinct_values_in_the_window() -> None:
    compiled = compile_text(value_rule("value_count", "{gte: 3, field: src_ip}"))
    rows = [
        {"t": 0, "account": "u", "src_ip": "10.0.0.1", "hit": ["access"]},
        {"t": 5, "account": "u", "src_ip": "10.0.0.1", "hit": ["access"]},  # same address again
        {"t": 10, "account": "u", "src_ip": "10.0.0.2", "hit": ["access"]},
        {"t": 15, "account": "u", "src_ip": None, "hit": ["access"]},  # no value: not counted, no trigger
        {"t": 20, "account": "u", "src_ip": "10.0.0.3", "hit": ["access"]},
        {"t": 21, "account": "v", "src_ip": "10.0.0.4", "hit": ["access"]},  # other group
        {"t": 90, "account": "u", "src_ip": "10.0.0.5", "hit": ["access"]},  # the first three slid out
    ]
    result = run(compiled, events(rows, ["access"]))
    assert [(r["event_id"], r["corr_value"]) for r in result] == [("e004", 3.0)]
    assert result[0]["corr_window_start"] == at(0)
    assert "src_ip" in compiled.state_columns


def test_value_count_reads_a_field_from_extra_and_taxonomy_names() -> None:
    compiled = compile_text(value_rule("value_count", "{gte: 2, field: Workstation}", group_by="[User]"))
    rows = [
        {"t": 0, "account": "u", "extra": '{"Workstation": "PC-1"}', "hit": ["access"]},
        {"t": 1, "account": "u", "extra": '{"Workstation": "PC-2"}', "hit": ["access"]},
    ]
    result = run(compiled, events(rows, ["access"]))
    assert [(r["event_id"], r["User"]) for r in result] == [("e001", "u")]
    assert {"extra", "account"} <= set(compiled.state_columns)


def test_a_field_that_exists_nowhere_never_triggers() -> None:
    ctx_rule = value_rule("value_count", "{gte: 1, field: NoSuchField}")
    from .sigma_correlation_support import COLUMNS, StubContext

    no_extra = StubContext(columns={k: v for k, v in COLUMNS.items() if k != "extra"})
    compiled = compile_text(ctx_rule, no_extra)
    assert fired(compiled, events([{"t": 0, "account": "u", "hit": ["access"]}], ["access"])) == []


@pytest.mark.parametrize(
    ("kind", "condition", "values", "expected"),
    [
        ("value_sum", "{gte: 100, field: record_count}", [30, 50, 20, 1], [100.0, 101.0]),
        ("value_avg", "{gt: 40, field: record_count}", [30, 50, 70, 1], [50.0]),
        ("value_median", "{gte: 40, field: record_count}", [30, 50, 70, 1], [40.0, 50.0, 40.0]),
        ("value_percentile", "{gte: 60, field: record_count, percentile: 90}", [30, 50, 70, 1], [66.0, 64.0]),
    ],
)
def test_value_aggregates(kind: str, condition: str, values: list[int], expected: list[float]) -> None:
    compiled = compile_text(value_rule(kind, condition))
    rows = [{"t": i, "account": "u", "record_count": v, "hit": ["access"]} for i, v in enumerate(values)]
    result = run(compiled, events(rows, ["access"]))
    assert [r["corr_value"] for r in result] == pytest.approx(expected)


def test_value_types_need_a_field() -> None:
    text = value_rule("value_sum", "{gte: 1}")
    with pytest.raises(SigmaError, match="without field reference"):
        compile_text(text)


def test_value_percentile_needs_a_percentile() -> None:
    with pytest.raises(BadInput, match=r"correlation.condition.percentile"):
        compile_text(value_rule("value_percentile", "{gte: 1, field: record_count}"))
    with pytest.raises(BadInput, match=r"correlation.condition.percentile"):
        compile_text(value_rule("value_percentile", "{gte: 1, field: record_count, percentile: 101}"))


def test_relative_threshold_needs_an_existing_column() -> None:
    extension = "ringfence:\n  relative_to: baseline_dialy_records\n  factor: 5\n"
    with pytest.raises(BadInput, match=r"ringfence.relative_to.*baseline_dialy_records"):
        compile_text(value_rule("value_sum", "{gte: 100, field: record_count}", extension))


def test_ringfence_mapping_without_relative_to_is_left_to_the_engine() -> None:
    extension = "ringfence:\n  entity: [account]\n  incident_window: 1d\n"
    compiled = compile_text(value_rule("value_sum", "{gte: 100, field: record_count}", extension))
    assert compiled.plan.relative is None
    assert "baseline_daily_records" not in compiled.state_columns


def test_relative_threshold_grows_with_the_baseline() -> None:
    extension = "ringfence:\n  entity: [account]\n  relative_to: baseline_daily_records\n  factor: 5\n"
    compiled = compile_text(value_rule("value_sum", "{gte: 100, field: record_count}", extension))
    rows = [
        # u: usual 10 a day → 5x = 50, below the absolute threshold: 100 decides
        {"t": 0, "account": "u", "record_count": 60, "baseline_daily_records": 10.0, "hit": ["access"]},
        {"t": 1, "account": "u", "record_count": 40, "baseline_daily_records": 10.0, "hit": ["access"]},
        # v: usual 100 a day → 5x = 500 decides
        {"t": 0, "account": "v", "record_count": 300, "baseline_daily_records": 100.0, "hit": ["access"]},
        {"t": 1, "account": "v", "record_count": 100, "baseline_daily_records": 100.0, "hit": ["access"]},
        {"t": 2, "account": "v", "record_count": 100, "baseline_daily_records": 100.0, "hit": ["access"]},
        # w: no baseline (new person): the absolute threshold alone
        {"t": 0, "account": "w", "record_count": 100, "hit": ["access"]},
    ]
    result = run(compiled, events(rows, ["access"]))
    assert [(r["account"], r["corr_value"]) for r in result] == [("w", 100.0), ("u", 100.0), ("v", 500.0)]
    assert "baseline_daily_records" in compiled.state_columns


def test_relative_threshold_is_refused_with_lt() -> None:
    extension = "ringfence:\n  relative_to: baseline_daily_records\n  factor: 5\n"
    with pytest.raises(BadInput, match=r"ringfence.relative_to.*gt or gte"):
        compile_text(value_rule("value_sum", "{lt: 100, field: record_count}", extension))


def test_relative_threshold_needs_a_positive_factor() -> None:
    extension = "ringfence:\n  relative_to: baseline_daily_records\n  factor: -1\n"
    with pytest.raises(BadInput, match=r"ringfence.factor"):
        compile_text(value_rule("value_sum", "{gte: 100, field: record_count}", extension))


def test_value_sum_with_negative_values_is_not_pruned_by_the_group_total() -> None:
    """The group's sum (10) misses the bound, but the window ending at the first event (100) meets it."""
    compiled = compile_text(value_rule("value_sum", "{gte: 100, field: record_count}"))
    rows = [
        {"t": 0, "account": "u", "record_count": 100, "hit": ["access"]},
        {"t": 1, "account": "u", "record_count": -90, "hit": ["access"]},
        {"t": 0, "account": "v", "record_count": 60, "hit": ["access"]},  # non-negative, total 60: dropped
    ]
    assert fired(compiled, events(rows, ["access"])) == ["e000"]

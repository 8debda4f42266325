"""Batch and live give the same alerts: the same events, fed to the monitor in random micro-batches, produce
the same incident keys with the same evidence as ``analyze`` over the whole period (issue 4, done-when)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.detection.engine import analyze, load_ruleset
from ringfence.detection.live import LiveMonitor
from ringfence.logs import lake
from ringfence.registry.tests.conftest import build_world

from .test_live_support import (
    DAY_START,
    day_of_events,
    describe_keys,
    evidence_by_key,
    isolated_data,
    rules_dir,
)

__all__ = ["isolated_data", "rules_dir"]
pytestmark = pytest.mark.django_db

KINDS = {
    "7d0c1b8e-0000-4000-8000-000000000001": "detection on a registry field",
    "7d0c1b8e-0000-4000-8000-000000000002": "detection",
    "7d0c1b8e-0000-4000-8000-000000000003": "first-seen detection",
    "7d0c1b8e-0000-4000-8000-000000000005": "event_count",
    "7d0c1b8e-0000-4000-8000-000000000007": "value_count",
    "7d0c1b8e-0000-4000-8000-000000000008": "temporal",
}


def pieces(events: pa.Table, cuts: list[int]) -> list[pa.Table]:
    """The events split at the given row numbers (arrival order = time order)."""
    bounds = [0, *sorted(set(cuts)), events.num_rows]
    return [events.slice(a, b - a) for a, b in itertools.pairwise(bounds) if b > a]


def live_findings(ruleset, batches: list[pa.Table]):
    with tempfile.TemporaryDirectory() as state:
        monitor = LiveMonitor(Path(state), ruleset)
        try:
            return [f for batch in batches for f in monitor.process(batch)]
        finally:
            monitor.close()


@pytest.mark.slow
def test_random_micro_batches_give_the_alerts_of_the_batch_analysis(isolated_data, rules_dir):
    build_world()
    events = day_of_events()
    lake.append(events, actor="test")
    ruleset = load_ruleset(rules_dir=rules_dir, include_builtin=False, with_settings=False)
    batch = analyze(
        DAY_START, DAY_START + dt.timedelta(days=1), ruleset=ruleset, raise_alerts=False, record_run=False
    )
    expected = evidence_by_key(batch.findings)
    # The world triggers every kind of rule, so the comparison below covers each of them.
    assert {f.rule_id for f in batch.findings} == set(KINDS), describe_keys(batch.findings)
    assert all(f.mode == "batch" for f in batch.findings)

    # One event per batch: the hardest split for correlations (all state carried between batches).
    single = live_findings(ruleset, pieces(events, list(range(1, events.num_rows))))
    assert evidence_by_key(single) == expected
    assert all(f.mode == "live" for f in single)

    @given(cuts=st.lists(st.integers(1, events.num_rows - 1), max_size=8))
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    def any_split(cuts: list[int]) -> None:
        found = live_findings(ruleset, pieces(events, cuts))
        assert evidence_by_key(found) == expected, (describe_keys(found), describe_keys(batch.findings))

    any_split()


def test_a_late_event_within_the_lateness_still_completes_a_correlation(isolated_data, rules_dir):
    build_world()
    whole = day_of_events(noise=0)
    failed = [
        i
        for i, (account, outcome) in enumerate(
            zip(whole["account"].to_pylist(), whole["outcome"].to_pylist(), strict=True)
        )
        if account == "e002" and outcome == "failure"
    ]
    # Three failed logons: exactly the threshold, so without the late one there is no burst.
    events = whole.take([i for i in range(whole.num_rows) if i != failed[-1]])
    late = failed[1]
    lake.append(events, actor="test")
    ruleset = load_ruleset(rules_dir=rules_dir, include_builtin=False, with_settings=False)
    batch = analyze(
        DAY_START, DAY_START + dt.timedelta(days=1), ruleset=ruleset, raise_alerts=False, record_run=False
    )
    burst_rule = "7d0c1b8e-0000-4000-8000-000000000005"
    expected = evidence_by_key([f for f in batch.findings if f.rule_id == burst_rule])
    assert expected

    # It arrives after the events of the next 30 minutes (within the lateness allowance), before the rest.
    late_time = events["time"][late].as_py()
    times = events["time"].to_pylist()
    soon = [
        i for i in range(events.num_rows) if i != late and times[i] <= late_time + dt.timedelta(minutes=30)
    ]
    rest = [i for i in range(events.num_rows) if i != late and i not in soon]
    found = live_findings(ruleset, [events.take(soon), events.take([late]), events.take(rest)])
    without = live_findings(ruleset, [events.take(soon), events.take(rest)])
    assert not any(f.rule_id == burst_rule for f in without)
    assert evidence_by_key([f for f in found if f.rule_id == burst_rule]) == expected


def test_the_built_in_pack_gives_the_same_alerts_live_and_in_batch(isolated_data, rules_dir):
    build_world()
    events = day_of_events()
    lake.append(events, actor="test")
    ruleset = load_ruleset(rules_dir=rules_dir, with_settings=False)  # the shipped pack + the test rules
    batch = analyze(
        DAY_START, DAY_START + dt.timedelta(days=1), ruleset=ruleset, raise_alerts=False, record_run=False
    )
    builtin = {f.rule_id for f in batch.findings} - set(KINDS)
    assert len(builtin) >= 5, builtin  # the pack's own rules fire on this day, so they are compared too
    found = live_findings(ruleset, pieces(events, [7, 20, 33, 50, 51]))
    assert evidence_by_key(found) == evidence_by_key(batch.findings), (
        describe_keys(found),
        describe_keys(batch.findings),
    )


def test_a_batch_spanning_two_days_gives_the_alerts_of_the_two_daily_analyses(isolated_data, rules_dir):
    build_world()
    first = day_of_events(seed=3, noise=30)
    second = day_of_events(seed=4, noise=30, days_later=1)
    lake.append(first, actor="test")
    lake.append(second, actor="test")
    ruleset = load_ruleset(rules_dir=rules_dir, with_settings=False)
    expected = []
    for offset in (0, 1):
        start = DAY_START + dt.timedelta(days=offset)
        expected += analyze(
            start, start + dt.timedelta(days=1), ruleset=ruleset, raise_alerts=False, record_run=False
        ).findings
    both = pa.concat_tables([first, second])
    # One batch across midnight, then the same as two batches: the day's history is the day's either way.
    assert evidence_by_key(live_findings(ruleset, [both])) == evidence_by_key(expected)
    assert evidence_by_key(live_findings(ruleset, [first, second])) == evidence_by_key(expected)


def test_events_arriving_out_of_order_within_the_lateness_give_the_same_correlations(
    isolated_data, rules_dir
):
    """Each event arrives up to 20 minutes late, in arrival order: every rule but first-seen (which judges
    by what was seen before an event *arrived*, docs/monitoring.md) gives the batch analysis's alerts."""
    build_world()
    events = day_of_events(noise=40)
    lake.append(events, actor="test")
    ruleset = load_ruleset(rules_dir=rules_dir, include_builtin=False, with_settings=False)
    batch = analyze(
        DAY_START, DAY_START + dt.timedelta(days=1), ruleset=ruleset, raise_alerts=False, record_run=False
    )
    first_seen = "7d0c1b8e-0000-4000-8000-000000000003"
    expected = evidence_by_key([f for f in batch.findings if f.rule_id != first_seen])
    rng = random.Random(11)
    times = events["time"].to_pylist()
    arrival = sorted(
        range(events.num_rows), key=lambda i: times[i] + dt.timedelta(minutes=rng.uniform(0, 20))
    )
    assert arrival != sorted(arrival)  # really out of order
    batches = [events.take(arrival[i : i + 7]) for i in range(0, len(arrival), 7)]
    found = [f for f in live_findings(ruleset, batches) if f.rule_id != first_seen]
    assert evidence_by_key(found) == expected, (describe_keys(found), describe_keys(batch.findings))

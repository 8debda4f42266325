"""The interval arithmetic behind every registry history, tested without a database."""

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.core.temporal import Segment, diff, plan_change, plan_end

UTC = dt.UTC


def d(day: int) -> dt.datetime:
    return dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(days=day)


def value_at(segments, at, name):
    for s in segments:
        if s.covers(at):
            return s.attrs[name]
    return None


def test_new_timeline_starts_open_ended():
    out = plan_change([], {"unit": "A"}, d(0), defaults={"unit": None, "status": "active"})
    assert out == [Segment(d(0), None, {"unit": "A", "status": "active"})]


def test_transfer_splits_the_current_version():
    base = [Segment(d(0), None, {"unit": "A", "status": "active"})]
    out = plan_change(base, {"unit": "B"}, d(10))
    assert [(s.start, s.end, s.attrs["unit"]) for s in out] == [(d(0), d(10), "A"), (d(10), None, "B")]
    assert all(s.attrs["status"] == "active" for s in out)


def test_late_recorded_change_does_not_undo_a_later_one():
    base = [Segment(d(0), d(20), {"unit": "A"}), Segment(d(20), None, {"unit": "C"})]
    out = plan_change(base, {"unit": "B"}, d(10))
    assert [s.attrs["unit"] for s in out] == ["A", "B", "C"]
    assert out[1].start == d(10) and out[1].end == d(20)


def test_reapplying_a_change_is_a_no_op():
    base = [Segment(d(0), d(10), {"unit": "A"}, row_id=1), Segment(d(10), None, {"unit": "B"}, row_id=2)]
    out = plan_change(base, {"unit": "B"}, d(10))
    result = diff(base, out)
    assert not result.changed
    assert result.keep == [1, 2]


def test_bounded_change_reverts_afterwards():
    base = [Segment(d(0), None, {"status": "in_use", "lent_to": ""})]
    out = plan_change(base, {"status": "lent", "lent_to": "affiliate call centre"}, d(5), d(9))
    assert [(s.start, s.end, s.attrs["status"]) for s in out] == [
        (d(0), d(5), "in_use"),
        (d(5), d(9), "lent"),
        (d(9), None, "in_use"),
    ]


def test_change_before_known_history_opens_an_earlier_version():
    base = [Segment(d(10), None, {"unit": "A", "status": "active"})]
    out = plan_change(base, {"unit": "Z"}, d(0))
    assert [(s.start, s.end, s.attrs["unit"]) for s in out] == [(d(0), d(10), "Z"), (d(10), None, "A")]


def test_end_cuts_the_timeline_and_reopening_fills_the_gap():
    base = [Segment(d(0), None, {"level": "view"})]
    ended = plan_end(base, d(10))
    assert ended == [Segment(d(0), d(10), {"level": "view"})]
    reopened = plan_change(ended, {"level": "update"}, d(20))
    assert [(s.start, s.end, s.attrs["level"]) for s in reopened] == [
        (d(0), d(10), "view"),
        (d(20), None, "update"),
    ]


def test_diff_supersedes_only_rows_that_changed():
    base = [Segment(d(0), d(10), {"u": "A"}, row_id=1), Segment(d(10), None, {"u": "B"}, row_id=2)]
    out = plan_change(base, {"u": "C"}, d(15))
    result = diff(base, out)
    assert result.keep == [1]
    assert result.supersede == [2]
    assert [(s.start, s.end, s.attrs["u"]) for s in result.insert] == [(d(10), d(15), "B"), (d(15), None, "C")]


changes = st.lists(
    st.tuples(st.integers(0, 60), st.sampled_from(["A", "B", "C"]), st.sampled_from(["x", "y"])),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(changes)
def test_chronological_changes_give_the_last_value_at_every_moment(events):
    """Applied in date order, the timeline at any day equals the latest change on or before it."""
    segs: list[Segment] = []
    for day, unit, status in sorted(events, key=lambda e: e[0]):
        segs = plan_change(segs, {"unit": unit, "status": status}, d(day), defaults={"unit": None, "status": None})
    for probe in range(62):
        applicable = [e for e in sorted(events, key=lambda e: e[0]) if e[0] <= probe]
        expected = applicable[-1][1] if applicable else None
        assert value_at(segs, d(probe), "unit") == expected
    # the timeline is sorted, contiguous from the first change, and has no two equal neighbours
    for a, b in itertools.pairwise(segs):
        assert a.end == b.start
        assert a.attrs != b.attrs


@settings(max_examples=300, deadline=None)
@given(changes, st.randoms(use_true_random=False))
def test_applying_twice_changes_nothing(events, rnd):
    segs: list[Segment] = []
    for day, unit, status in events:
        segs = plan_change(segs, {"unit": unit, "status": status}, d(day), defaults={"unit": None, "status": None})
    stored = [Segment(s.start, s.end, s.attrs, row_id=i) for i, s in enumerate(segs)]
    day, unit, status = rnd.choice(events)
    once = plan_change(stored, {"unit": unit, "status": status}, d(day))
    twice = plan_change(
        [Segment(s.start, s.end, s.attrs, row_id=i) for i, s in enumerate(once)], {"unit": unit, "status": status}, d(day)
    )
    assert not diff([Segment(s.start, s.end, s.attrs, row_id=i) for i, s in enumerate(once)], twice).changed

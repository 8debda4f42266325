"""Property: however personnel orders arrive, the answers follow the orders' effective dates.

Each generated case hires a person and records transfers (each to a unit not used before, so every order
really changes the unit) in a random recording order. Then for every day asked:
* as known now, the unit is that of the order with the latest effective date on or before that day;
* as known just after the k-th recording, it is the same computed over the first k orders only.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.registry import services as s
from ringfence.registry.selectors import asof

pytestmark = pytest.mark.django_db

UNITS = [f"P{n}" for n in range(8)]
BASE = dt.date(2024, 1, 1)
_counter = itertools.count()


@pytest.fixture
def unit_pool(db):
    s.create_unit("PHQ", name="本店", kind="head_office", effective=dt.date(2000, 1, 1), actor="t")
    for code in UNITS:
        s.create_unit(
            code, name=code, kind="section", parent_code="PHQ", effective=dt.date(2000, 1, 1), actor="t"
        )


def expected_unit(orders: list[tuple[int, str]], day: int) -> str | None:
    applicable = [(d, unit) for d, unit in orders if d <= day]
    return max(applicable)[1] if applicable else None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=6, unique=True),
    order=st.randoms(use_true_random=False),
)
def test_answers_follow_effective_dates_whatever_the_recording_order(unit_pool, days, order):
    number = f"H{next(_counter):05d}"
    units = iter(UNITS)
    s.hire_person(number, name_kanji="試験", unit_code=next(units), effective=BASE, actor="t")
    orders = [(d, next(units)) for d in sorted(days)]
    recording = list(orders)
    order.shuffle(recording)

    cuts = []
    for d, unit in recording:
        s.transfer_person(number, unit, effective=BASE + dt.timedelta(days=d), actor="t")
        cuts.append(timezone.now())

    hired = [(0, UNITS[0])]
    # The answer can only change at an order's date, so asking there and the day before covers every day.
    asks = sorted({0, *(d for d, _u in orders), *(d - 1 for d, _u in orders), 61})
    for k, cut in [*enumerate(cuts, start=1), (len(cuts), None)]:
        known = hired + recording[:k]
        for ask in asks:
            answer = asof.person_at(number, BASE + dt.timedelta(days=ask), known_at=cut)
            assert answer is not None and answer.unit is not None
            assert answer.unit.code == expected_unit(known, ask), (k, ask, cut)

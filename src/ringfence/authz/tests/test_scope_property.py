"""Properties of scope: a line manager reaches exactly the subtree under their units, on the date viewed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.authz.services import Scope, units_below
from ringfence.core.temporal import apply_change
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry.models import OrgUnit, OrgUnitVersion, Person, PersonVersion
from ringfence.registry.selectors.browse import hiragana, katakana, visible_people

T0 = start_of_day_jst(dt.date(2020, 1, 1))
T1 = start_of_day_jst(dt.date(2024, 1, 1))


@st.composite
def forests(draw):
    """Parent index per unit (None = root); a unit's parent always comes earlier, so no cycles."""
    n = draw(st.integers(min_value=1, max_value=9))
    return [None] + [draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n)]


def _descendants(parents, chosen):
    out = set(chosen)
    changed = True
    while changed:
        changed = False
        for i, p in enumerate(parents):
            if p is not None and p in out and i not in out:
                out.add(i)
                changed = True
    return out


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=forests(), data=st.data())
def test_line_manager_reaches_exactly_the_subtree_as_of_the_date(before, data):
    n = len(before)
    # The same units reorganised on T1: each may get a new parent among the earlier ones.
    after = [None] + [data.draw(st.one_of(st.none(), st.integers(0, i - 1))) for i in range(1, n)]
    chosen = data.draw(st.sets(st.integers(0, n - 1), max_size=n))
    with transaction.atomic():
        units = [OrgUnit.objects.create(code=f"U{i}") for i in range(n)]
        for i, unit in enumerate(units):
            parent = units[before[i]] if before[i] is not None else None
            apply_change(OrgUnitVersion, {"entity": unit}, {"name": f"u{i}", "kind": "section", "parent": parent}, T0)
            if after[i] != before[i]:
                new_parent = units[after[i]] if after[i] is not None else None
                apply_change(OrgUnitVersion, {"entity": unit}, {"parent": new_parent}, T1)
            person = Person.objects.create(employee_number=f"P{i}")
            apply_change(PersonVersion, {"entity": person},
                         {"name_kanji": f"人{i}", "unit": unit, "employment_type": "own_employee"}, T0)
        for parents, at in ((before, T0), (after, T1)):
            reached = units_below({units[i].pk for i in chosen}, at)
            expected = {units[i].pk for i in _descendants(parents, chosen)}
            assert reached == expected
            scope = Scope(at, False, reached, frozenset())
            seen = set(visible_people(scope).values_list("entity__employee_number", flat=True))
            assert seen == {f"P{i}" for i in _descendants(parents, chosen)}
        transaction.set_rollback(True)


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096), max_size=20))
def test_kana_conversions_round_trip(text):
    assert hiragana(katakana(text)) == text
    assert all(not ("ぁ" <= c <= "ゖ") for c in katakana(text))

"""Sigma conditions: and/or/not, precedence, parentheses, `1 of` / `all of` with `them` and wildcards,
several conditions, and the missing-field behaviour under negation."""

from __future__ import annotations

import pytest

from ringfence.core.errors import BadInput
from ringfence.detection.tests.sigma_support import matching

ROWS = [
    {"account": "a", "system": "CIS", "activity": "view"},  # e0
    {"account": "a", "system": "MDM", "activity": "export"},  # e1
    {"account": "b", "system": "CIS", "activity": "export"},  # e2
    {"account": "b", "system": "MDM", "activity": "view"},  # e3
]
SELECTIONS = "sel_a:\n  account: a\nsel_cis:\n  system: cis\nflt_export:\n  activity: export\n"


def test_and_or_not():
    assert matching(SELECTIONS + "condition: sel_a and sel_cis", ROWS) == ["e0"]
    assert matching(SELECTIONS + "condition: sel_a or sel_cis", ROWS) == ["e0", "e1", "e2"]
    assert matching(SELECTIONS + "condition: sel_a and not flt_export", ROWS) == ["e0"]
    assert matching(SELECTIONS + "condition: not sel_a", ROWS) == ["e2", "e3"]


def test_precedence_not_then_and_then_or():
    # a or (cis and not export): e0,e1 (a) + e0 (cis, view)
    assert matching(SELECTIONS + "condition: sel_a or sel_cis and not flt_export", ROWS) == ["e0", "e1"]
    # not binds tighter than and: (not a) and cis
    assert matching(SELECTIONS + "condition: not sel_a and sel_cis", ROWS) == ["e2"]


def test_parentheses_override_precedence():
    assert matching(SELECTIONS + "condition: (sel_a or sel_cis) and not flt_export", ROWS) == ["e0"]
    assert matching(SELECTIONS + "condition: not (sel_a or sel_cis)", ROWS) == ["e3"]


def test_one_of_and_all_of_with_wildcards():
    assert matching(SELECTIONS + "condition: 1 of sel_*", ROWS) == ["e0", "e1", "e2"]
    assert matching(SELECTIONS + "condition: all of sel_*", ROWS) == ["e0"]
    assert matching(SELECTIONS + "condition: all of sel_* and not 1 of flt_*", ROWS) == ["e0"]


def test_them_selects_every_detection():
    assert matching(SELECTIONS + "condition: all of them", ROWS) == []
    assert matching(SELECTIONS + "condition: 1 of them", ROWS) == ["e0", "e1", "e2"]


def test_several_conditions_are_alternatives():
    text = SELECTIONS + "condition:\n  - sel_a and sel_cis\n  - flt_export and not sel_a"
    assert matching(text, ROWS) == ["e0", "e2"]


def test_negated_selection_on_missing_field_matches():
    rows = [{"account": "a"}, {"account": "a", "extra": {"Status": "x"}}]
    # Status is missing in e0: the selection is false there, so its negation is true
    assert matching("sel:\n  Status: x\ncondition: not sel", rows) == ["e0"]
    assert matching("sel:\n  Status|contains: x\n  account: a\ncondition: not sel", rows) == ["e0"]


def test_undefined_identifier_is_refused():
    with pytest.raises(BadInput) as caught:
        matching("sel:\n  account: a\ncondition: sel and other", ROWS)
    problem = caught.value.problems[0]
    assert problem.file == "test.yml" and problem.field == "detection" and "other" in problem.reason

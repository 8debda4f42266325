"""parse_rules: multi-document YAML, and errors that name the origin, line and key."""

from __future__ import annotations

import pytest

from ringfence.core.errors import BadInput
from ringfence.detection.sigma import CompileContext, SigmaCompileError, compile_detection, parse_rules

RULE = """title: {title}
id: {id}
logsource:
  product: ringfence
detection:
  sel:
    account: a
  condition: sel
level: {level}
"""


def rule(title: str = "t", rule_id: str = "7c9e6679-7425-40de-944b-e07fc1f90ae7", level: str = "high") -> str:
    return RULE.format(title=title, id=rule_id, level=level)


def test_multi_document_file_gives_every_rule_in_order():
    text = rule("one") + "---\n" + rule("two", "7c9e6679-7425-40de-944b-e07fc1f90ae8")
    rules = parse_rules(text, "pack.yml")
    assert [r.title for r in rules] == ["one", "two"]


def test_correlation_rules_are_returned_unresolved():
    correlation = """title: many
name: many_a
correlation:
  type: event_count
  rules: [base_rule_in_another_file]
  group-by: [account]
  timespan: 1h
  condition: {gte: 3}
"""
    (parsed,) = parse_rules(correlation, "corr.yml")
    assert parsed.title == "many" and type(parsed).__name__ == "SigmaCorrelationRule"


def test_yaml_syntax_error_names_file_and_line():
    with pytest.raises(BadInput) as caught:
        parse_rules("title: x\ndetection:\n  sel: [a\n  condition: sel\n", "bad.yml")
    (problem,) = caught.value.problems
    assert problem.file == "bad.yml" and problem.line is not None and problem.line >= 3
    assert "YAML" in problem.reason


def test_unknown_modifier_points_at_its_line():
    text = rule().replace("    account: a", "    account|contians: a")
    with pytest.raises(BadInput) as caught:
        parse_rules(text, "rules/typo.yml")
    (problem,) = caught.value.problems
    assert str(problem).startswith("rules/typo.yml:7 [detection]")
    assert "contians" in problem.reason


def test_bad_level_and_bad_condition_in_second_document():
    text = rule("ok") + "---\n" + rule("bad", "7c9e6679-7425-40de-944b-e07fc1f90ae8", level="urgent")
    with pytest.raises(BadInput) as caught:
        parse_rules(text, "x.yml")
    (problem,) = caught.value.problems
    assert problem.line == 19 and problem.field == "level"

    with pytest.raises(BadInput) as caught:
        parse_rules(rule().replace("condition: sel", "condition: sel and and"), "y.yml")
    assert (
        caught.value.problems[0].field == "detection" and caught.value.problems[0].line == 8
    )  # the condition


def test_a_document_that_is_not_a_mapping():
    with pytest.raises(BadInput) as caught:
        parse_rules(rule() + "---\n- just\n- a list\n", "z.yml")
    assert caught.value.problems[0].line == 11


def test_rule_without_id_or_name_cannot_be_compiled():
    text = "title: anonymous\nlogsource: {product: x}\ndetection:\n  sel: {account: a}\n  condition: sel\n"
    (parsed,) = parse_rules(text, "anon.yml")
    with pytest.raises(SigmaCompileError, match="neither id nor name"):
        compile_detection(parsed, CompileContext(columns={"account": "VARCHAR"}))  # type: ignore[arg-type]


def test_name_is_the_id_when_there_is_no_uuid_and_level_defaults():
    text = "title: named\nname: my_rule\nlogsource: {product: x}\ndetection:\n  sel: {account: a}\n  condition: sel\n"
    (parsed,) = parse_rules(text, "named.yml")
    compiled = compile_detection(parsed, CompileContext(columns={"account": "VARCHAR"}))  # type: ignore[arg-type]
    assert compiled.rule_id == "my_rule" and compiled.name == "my_rule" and compiled.level == "medium"
    assert compiled.fields == frozenset({"account"})

"""lint_rule: pySigma validators plus fields that are not columns of the relation."""

from __future__ import annotations

from ringfence.detection.sigma import CompileContext, parse_rules
from ringfence.detection.sigma.lint import lint_rule

TEXT = """title: lint me
name: lint_me
logsource: {product: ringfence}
detection:
  sel:
    account: '*admin*'
    persn_status: retired
    EventID: 4624
    TargetUserName: x
  unused:
    account: x
  condition: sel
"""


def test_warnings_name_the_problem_and_the_field():
    (rule,) = parse_rules(TEXT, "lint.yml")
    ctx = CompileContext(columns={"account": "VARCHAR", "person_status": "VARCHAR", "extra": "VARCHAR"})
    warnings = lint_rule(rule, ctx)  # type: ignore[arg-type]
    assert any(w.startswith("DanglingDetectionIssue") for w in warnings)
    assert any("contains modifier" in w for w in warnings)
    assert "field 'persn_status' is not a column; it is read from the source's extra fields" in warnings
    assert not any("'TargetUserName'" in w for w in warnings)  # mapped to the account column
    without_extra = lint_rule(rule, CompileContext(columns={"account": "VARCHAR"}))  # type: ignore[arg-type]
    assert any("'persn_status' exists nowhere" in w for w in without_extra)


def test_a_clean_rule_has_no_warnings():
    text = TEXT.replace("'*admin*'", "admin").replace("  unused:\n    account: x\n", "")
    (rule,) = parse_rules(text.replace("    persn_status: retired\n    EventID: 4624\n", ""), "ok.yml")
    assert lint_rule(rule, CompileContext(columns={"account": "VARCHAR"})) == []  # type: ignore[arg-type]

"""Every compiled form also transpiles to Spark SQL; literals stay literals in both dialects."""

from __future__ import annotations

import pytest
import sqlglot

from ringfence.detection.sigma import CompileContext, SigmaCompileError, compile_detection, parse_rules
from ringfence.detection.tests.sigma_support import compile_text, rule_text, table

EVERYTHING = """
sel_text:
  account|startswith: "o'b"
  src_host|contains|all: [pc, '%_']
  message|re|i: 'x\\d+'
sel_net:
  src_ip|cidr: [10.0.0.0/8, '2001:db8::/32']
sel_misc:
  record_count|gte: 3
  own_employee: false
  Status|exists: true
  terminal_tag|fieldref|endswith: account
  record_ids: c-1
  time|hour: 3
kw:
  - 'bulk'
condition: 1 of sel_* or not kw
"""


def test_spark_dialect_returns_spark_sql_that_parses_back():
    arrow = table([])
    duck = compile_text(EVERYTHING, arrow).where_sql
    spark = compile_text(EVERYTHING, arrow, dialect="spark").where_sql
    assert spark != duck
    assert "RLIKE" in spark and "GET_JSON_OBJECT" in spark and "`account`" in spark
    assert "o\\'b" in spark  # the quote inside the value is escaped the Spark way
    sqlglot.parse_one(spark, read="spark")  # well-formed Spark SQL


def test_unknown_dialect_is_refused():
    (rule,) = parse_rules(rule_text("sel:\n  account: a\ncondition: sel"), "d.yml")
    with pytest.raises(SigmaCompileError, match="dialect"):
        compile_detection(rule, CompileContext(columns={"account": "VARCHAR"}, dialect="oracle"))  # type: ignore[arg-type]


def test_field_names_that_cannot_be_json_paths_are_refused():
    with pytest.raises(SigmaCompileError, match="extra"):
        compile_text("sel:\n  'we\"ird': a\ncondition: sel", table([]))

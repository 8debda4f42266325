"""Random rules against a small Python model of Sigma's two-valued semantics.

The compiler's treatment of SQL NULL (read as FALSE at the top and under every NOT) is an argument about
monotone AND/OR; this test checks it empirically: random selections over fields that are present, NULL, absent
from ``extra``, or exist nowhere, combined by random and/or/not trees, must select exactly the rows the model
selects."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sigma.rule import SigmaRule

from ringfence.detection.sigma import CompileContext, compile_detection

COLUMNS = {"account": "VARCHAR", "extra": "VARCHAR"}
FIELDS = ("account", "Status", "Nowhere")  # a column, a key of extra, a field found nowhere
VALUES = ("a", "B", None, "*b*")

values = st.sampled_from(VALUES)
rows = st.lists(
    st.fixed_dictionaries(
        {
            "account": st.sampled_from(["a", "A", "b", "xbx", None]),
            "Status": st.sampled_from(["b", "Ab", None, "-"]),
        }
    ),
    min_size=1,
    max_size=6,
)
selection = st.dictionaries(st.sampled_from(FIELDS), values, min_size=1, max_size=2)
condition = st.recursive(
    st.sampled_from(["s0", "s1", "s2"]),
    lambda inner: st.one_of(
        st.builds(lambda a: f"not {a}", inner),
        st.builds(lambda a, b: f"({a} and {b})", inner, inner),
        st.builds(lambda a, b: f"({a} or {b})", inner, inner),
    ),
    max_leaves=6,
)


def value_matches(actual: str | None, expected: str | None) -> bool:
    if expected is None:
        return actual is None
    if actual is None:
        return False
    if expected.startswith("*") and expected.endswith("*"):
        return expected.strip("*").lower() in actual.lower()
    return actual.lower() == expected.lower()


def model(row: dict[str, str | None], selections: list[dict[str, str | None]], cond: str) -> bool:
    """Evaluate the condition in Python: '-' as Status means the key is absent from extra."""

    def lookup(name: str) -> str | None:
        if name == "Nowhere":
            return None
        value = row.get(name)
        return None if value == "-" else value

    env = {
        f"s{n}": all(value_matches(lookup(f), v) for f, v in sel.items()) for n, sel in enumerate(selections)
    }
    return bool(eval(cond, {"__builtins__": {}}, env))  # only and/or/not/parentheses and s0..s2


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(selections=st.lists(selection, min_size=3, max_size=3), cond=condition, data=rows)
def test_compiled_rules_select_what_the_model_selects(selections, cond, data):
    detection = {f"s{n}": sel for n, sel in enumerate(selections)} | {"condition": cond}
    rule = SigmaRule.from_dict(
        {"title": "m", "name": "m", "logsource": {"product": "x"}, "detection": detection}
    )
    where = compile_detection(rule, CompileContext(columns=COLUMNS)).where_sql
    extras = [None if r["Status"] == "-" else json.dumps({"Status": r["Status"]}) for r in data]
    table = pa.table({"n": list(range(len(data))), "account": [r["account"] for r in data], "extra": extras})
    con = duckdb.connect()
    con.register("t", table)
    got = [flag for _n, flag in con.execute(f"SELECT n, {where} FROM t ORDER BY n").fetchall()]
    assert got == [model(r, selections, cond) for r in data]

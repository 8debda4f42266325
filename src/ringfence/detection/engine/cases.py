"""``ringfence rules test``: a rule file against sample events with the matches expected.

A cases file (YAML) holds one or more cases; each gives events as rows of the enriched relation (any
column of the event schema or of the enriched fields; unnamed columns are NULL) and, per rule (ID or
name), the event IDs that must match — for a correlation, the events it triggers on::

    placeholders: {own_employee_accounts: [u1, u2]}   # optional values for %name% expansions
    cases:
      - name: affiliate staff on CIS
        events:
          - {event_id: e1, time: 2026-10-13T10:00:00+09:00, system: CIS, account: a1,
             outcome: success, person_employment_type: affiliate}
          - {event_id: e2, time: 2026-10-13T10:05:00+09:00, system: CIS, account: u1, outcome: success}
        expect:
          rf_person_affiliate: [e1]

Enrichment is not recomputed: the case states the enriched values, so a test pins the rule's logic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.timeutil import JST

from .columns import enriched_columns
from .evaluate import evaluate
from .loader import RuleSet, load_ruleset
from .placeholders import PLACEHOLDER_NAMES

CASE_RELATION = "rf_case_events"
DEFAULTS: dict[str, Any] = {
    "source": "case",
    "class": "record_access",
    "activity": "view",
    "outcome": "success",
    "raw": "",
}


@dataclass
class CaseResult:
    name: str
    rule: str
    expected: set[str]
    matched: set[str]

    @property
    def passed(self) -> bool:
        return self.expected == self.matched


@dataclass
class CasesReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


def _arrow_type(sql_type: str) -> pa.DataType:
    sql_type = sql_type.upper()
    if sql_type.endswith("[]"):
        return pa.list_(_arrow_type(sql_type[:-2]))
    return {
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
        "TIMESTAMP": pa.timestamp("us"),
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
    }.get(sql_type, pa.string())


def _value(value: Any, sql_type: str) -> Any:
    if value is None:
        return None
    if sql_type == "TIMESTAMPTZ":
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=JST)
    if sql_type == "TIMESTAMP":
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        return moment.astimezone(JST).replace(tzinfo=None) if moment.tzinfo else moment
    if sql_type == "DATE":
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if sql_type.endswith("[]"):
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if sql_type == "VARCHAR" and isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False)
    if sql_type == "VARCHAR":
        return str(value)
    return value


def events_table(events: list[dict[str, Any]], path: Path, case: str) -> pa.Table:
    """The case's events as an Arrow table with every enriched column (derived JST fields filled in)."""
    columns = enriched_columns()
    problems = []
    rows = []
    for index, event in enumerate(events, start=1):
        if not isinstance(event, dict):
            problems.append(InputProblem(path, None, f"{case} event {index}", "an event must be a mapping"))
            continue
        unknown = sorted(set(event) - set(columns))
        if unknown:
            problems.append(
                InputProblem(path, None, f"{case} event {index}", "unknown field(s): " + ", ".join(unknown))
            )
            continue
        row = {**DEFAULTS, "event_id": f"e{index}", **event}
        if "time" not in row:
            problems.append(InputProblem(path, None, f"{case} event {index}", "needs a time"))
            continue
        try:
            values = {name: _value(row.get(name), sql_type) for name, sql_type in columns.items()}
        except (TypeError, ValueError) as exc:
            problems.append(InputProblem(path, None, f"{case} event {index}", str(exc)))
            continue
        local = values["time"].astimezone(JST)
        values.setdefault("day", local.date())
        values["day"] = values["day"] or local.date()
        for name, derived in (("time_jst", local.replace(tzinfo=None)), ("hour_jst", local.hour),
                              ("weekday_jst", local.weekday()), ("ingested_at", values["time"])):  # fmt: skip
            if name in values and values[name] is None:
                values[name] = derived
        rows.append(values)
    if problems:
        raise BadInput(f"{path}: bad events", problems)
    schema = pa.schema([pa.field(name, _arrow_type(t)) for name, t in columns.items()])
    return pa.Table.from_pylist(rows, schema=schema)


def run_cases(rule_file: Path, cases_file: Path) -> CasesReport:
    """Evaluate the rules of ``rule_file`` over each case of ``cases_file``; compare with the expectations."""
    if not cases_file.is_file():
        raise BadInput(f"cases file {cases_file} does not exist")
    try:
        data = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BadInput(
            f"{cases_file}: not valid YAML",
            [InputProblem(cases_file, mark.line + 1 if mark else None, None, str(exc))],
        ) from exc
    if isinstance(data, list):
        data = {"cases": data}
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise BadInput(
            f"{cases_file}: expected a mapping with a list of cases",
            [InputProblem(cases_file, 1, "cases", "missing")],
        )
    placeholders: dict[str, tuple[str, ...]] = dict.fromkeys(PLACEHOLDER_NAMES, ())
    placeholders.update({k: tuple(str(v) for v in vs) for k, vs in (data.get("placeholders") or {}).items()})
    ruleset = load_ruleset(
        include_builtin=False,
        include_user=False,
        extra_files=[rule_file],
        with_settings=False,
        placeholders=placeholders,
    )
    _alert_on_everything(ruleset)
    report = CasesReport()
    for index, case in enumerate(data["cases"], start=1):
        name = str(case.get("name") or f"case {index}") if isinstance(case, dict) else f"case {index}"
        if not isinstance(case, dict) or not isinstance(case.get("expect"), dict):
            raise BadInput(
                f"{cases_file}: {name}", [InputProblem(cases_file, None, name, "needs events and expect")]
            )
        table = events_table(list(case.get("events") or []), cases_file, name)
        con = duckdb.connect()
        try:
            con.register(CASE_RELATION, table)
            rows = evaluate(con, ruleset, CASE_RELATION)
        finally:
            con.close()
        matched: dict[str, set[str]] = {}
        for rule_id, event in zip(
            rows.column("rule_id").to_pylist(), rows.column("event_id").to_pylist(), strict=True
        ):
            matched.setdefault(rule_id, set()).add(event)
        for key, expected in case["expect"].items():
            rule_id = _rule_id(ruleset, str(key), cases_file, name)
            report.results.append(
                CaseResult(name, str(key), {str(e) for e in expected or []}, matched.get(rule_id, set()))
            )
    return report


def _alert_on_everything(ruleset: RuleSet) -> None:
    """In a rule test every rule's matches count, helper rules included."""
    ruleset.alerting = frozenset(rule.rule_id for rule in ruleset.rules)


def _rule_id(ruleset: RuleSet, key: str, path: Path, case: str) -> str:
    for rule_id, meta in ruleset.meta.items():
        if key in (rule_id, meta.name):
            if rule_id not in {rule.rule_id for rule in ruleset.rules}:
                raise BadInput(
                    f"{path}: {case}",
                    [InputProblem(path, None, case, f"rule {key} is inactive: {meta.inactive_reason}")],
                )
            return rule_id
    raise BadInput(f"{path}: {case}", [InputProblem(path, None, case, f"no rule {key} in the rule file")])

"""Read Sigma YAML (one or many documents) with pySigma, naming the file and line of every problem.

pySigma reports what is wrong but not where; we split the text into its YAML documents ourselves and point
each error at the line of the key it concerns (the detection item, the condition, the level …), so a rule
author sees ``rules/x.yml:14 [detection]: Unknown modifier 'contians'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.modifiers import SigmaWideModifier, modifier_mapping
from sigma.rule import SigmaRule

from ringfence.core.errors import BadInput, InputProblem

SigmaRuleType = SigmaRule | SigmaCorrelationRule

# The specification names `utf16le` (with `wide` as its alias); pySigma 2.0.1 only knows `wide`.
modifier_mapping.setdefault("utf16le", SigmaWideModifier)

# pySigma error class name fragment -> top-level key it concerns
_ERROR_KEYS = (
    ("Logsource", "logsource"),
    ("Condition", "detection"),
    ("Detection", "detection"),
    ("Modifier", "detection"),
    ("Value", "detection"),
    ("Type", "detection"),
    ("RegularExpression", "detection"),
    ("Correlation", "correlation"),
    ("TimespanError", "correlation"),
    ("Title", "title"),
    ("Identifier", "id"),
    ("Level", "level"),
    ("Status", "status"),
    ("Date", "date"),
    ("Modified", "modified"),
    ("Tag", "tags"),
    ("Related", "related"),
    ("Description", "description"),
    ("Author", "author"),
    ("Reference", "references"),
    ("FalsePositives", "falsepositives"),
    ("Fields", "fields"),
    ("Name", "name"),
    ("Scope", "scope"),
    ("License", "license"),
)
_QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class _Document:
    data: Any
    first_line: int  # 1-based line where the document starts
    lines: dict[str, int]  # top-level key -> 1-based line
    text_lines: list[str]  # the whole file, to search for the line of a detection item


def parse_rules(text: str, origin: str) -> list[SigmaRuleType]:
    """Every rule of a Sigma YAML text; BadInput naming ``origin`` and line for every problem found."""
    documents, problems = _split(text, origin)
    if problems:
        raise BadInput(f"{origin}: not valid YAML", problems)
    rules: list[SigmaRuleType] = []
    if any(isinstance(doc.data, dict) and "action" in doc.data for doc in documents):
        # collection actions (global/repeat/reset) span documents: parse them together
        collection = SigmaCollection.from_dicts([doc.data for doc in documents], collect_errors=True,
                                                resolve_references=False)  # fmt: skip
        for error in collection.errors:
            problems.append(_problem(origin, documents[0], error))
        rules.extend(r for r in collection.rules if isinstance(r, SigmaRuleType))
    else:
        for doc in documents:
            if not isinstance(doc.data, dict):
                problems.append(
                    InputProblem(origin, doc.first_line, None, "a Sigma rule must be a YAML mapping")
                )
                continue
            try:
                collection = SigmaCollection.from_dicts(
                    [doc.data], collect_errors=True, resolve_references=False
                )
            except SigmaError as error:
                problems.append(_problem(origin, doc, error))
                continue
            errors = list(collection.errors)
            for rule in collection.rules:
                errors.extend(e for e in rule.errors if e not in errors)
                if isinstance(rule, SigmaRule) and not rule.errors:
                    errors.extend(_condition_errors(rule))
                if isinstance(rule, SigmaRuleType):
                    rules.append(rule)
            problems.extend(_problem(origin, doc, error) for error in errors)
    if problems:
        raise BadInput(f"{origin}: {len(problems)} problem(s) in Sigma rules", problems)
    return rules


def _condition_errors(rule: SigmaRule) -> list[SigmaError]:
    """Conditions are parsed lazily by pySigma; parse them now so a typo is reported with the file."""
    errors: list[SigmaError] = []
    for condition in rule.detection.parsed_condition:
        try:
            condition.parsed  # noqa: B018 - parsing is the check
        except SigmaError as error:
            errors.append(error)
    return errors


def _split(text: str, origin: str) -> tuple[list[_Document], list[InputProblem]]:
    text_lines = text.splitlines()
    documents: list[_Document] = []
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        datas = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = str(getattr(error, "problem", None) or error)
        return [], [InputProblem(origin, line, None, f"YAML syntax: {reason}")]
    if len(nodes) != len(datas):  # pragma: no cover - both walk the same stream
        return [], [InputProblem(origin, None, None, "YAML documents could not be matched to their lines")]
    for node, data in zip(nodes, datas, strict=True):
        if node is None:
            continue
        lines: dict[str, int] = {}
        if isinstance(node, yaml.MappingNode):
            for key, _value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    lines[str(key.value)] = key.start_mark.line + 1
        documents.append(_Document(data, node.start_mark.line + 1, lines, text_lines))
    return documents, []


def _problem(origin: str, doc: _Document, error: SigmaError) -> InputProblem:
    kind = type(error).__name__
    key = next((key for fragment, key in _ERROR_KEYS if fragment in kind), None)
    line = doc.lines.get(key, doc.first_line) if key else doc.first_line
    message = str(error.args[0]) if error.args else kind
    if key == "detection":
        line = _refine_detection_line(doc, line, message)
    return InputProblem(origin, line, key, message)


def _refine_detection_line(doc: _Document, start: int, message: str) -> int:
    """The first line inside the detection block that contains a token the message quotes."""
    tokens = [token for token in _QUOTED.findall(message) if len(token) > 1]
    if not tokens:
        return start
    end = min((line for line in doc.lines.values() if line > start), default=len(doc.text_lines) + 1)
    for number in range(start, min(end, len(doc.text_lines) + 1)):
        text = doc.text_lines[number - 1]
        if any(token in text for token in tokens):
            return number
    return start

"""Warnings about rules that compile but probably do not mean what their author meant.

pySigma's own validators find dangling detections, `all of them` over one selection, wildcards written instead
of modifiers and the like; we add the check that matters most for our schema: a field name that is neither a
column of the enriched relation nor a mapped taxonomy name is looked up in ``extra`` — right for source fields
such as ``EventID``, but usually a typo for an enriched column (``persn_status``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.validators.base import SigmaRuleValidator
from sigma.validators.core.condition import (
    AllOfThemConditionValidator,
    DanglingDetectionValidator,
    ThemConditionWithSingleDetectionValidator,
)
from sigma.validators.core.modifiers import InvalidModifierCombinationsValidator
from sigma.validators.core.values import (
    ControlCharacterValidator,
    DoubleWildcardValidator,
    EscapedWildcardValidator,
    WildcardsInsteadOfModifiersValidator,
)

from ringfence.detection.sigma.compiler import CompileContext
from ringfence.detection.sigma.fields import FieldKind, resolve_field

VALIDATORS: tuple[type[SigmaRuleValidator], ...] = (
    DanglingDetectionValidator,
    ThemConditionWithSingleDetectionValidator,
    AllOfThemConditionValidator,
    InvalidModifierCombinationsValidator,
    DoubleWildcardValidator,
    ControlCharacterValidator,
    WildcardsInsteadOfModifiersValidator,
    EscapedWildcardValidator,
)


def lint_rule(rule: SigmaRule, ctx: CompileContext | None = None) -> list[str]:
    """Human-readable warnings for ``rule`` (empty when none); with ``ctx`` also fields that are not columns."""
    warnings: list[str] = []
    for validator_class in VALIDATORS:
        try:
            issues = validator_class().validate(rule)
        except Exception as error:  # a validator bug must not hide the rule's other warnings
            warnings.append(f"{validator_class.__name__} could not check the rule: {error}")
            continue
        warnings.extend(f"{type(issue).__name__}: {issue.description}" for issue in issues)
    if ctx is not None:
        for name in sorted(set(_field_names(rule.detection.detections.values()))):
            ref = resolve_field(name, ctx.columns, ctx.field_mapping)
            if ref.kind is FieldKind.MISSING:
                warnings.append(f"field {name!r} exists nowhere in the relation: it never matches a value")
            elif ref.columns == frozenset({"extra"}):
                warnings.append(f"field {name!r} is not a column; it is read from the source's extra fields")
    return warnings


def _field_names(detections: Iterable[SigmaDetection | SigmaDetectionItem]) -> Iterable[str]:
    for item in detections:
        if isinstance(item, SigmaDetection):
            yield from _field_names(item.detection_items)
        elif item.field is not None:
            yield item.field

"""Range conditions in correlation rules (``condition: {gt: 100, lte: 200}``) for pySigma 2.0.1.

The Sigma correlation specification allows a range as two comparisons that must both hold; pySigma 2.0.1
refuses any condition with more than one operator. We wrap its ``SigmaCorrelationCondition.from_dict`` once, at
import of the ``ringfence.detection.sigma`` package (so every parser in the project sees it): pySigma parses the
first operator as usual and the others are kept on the condition object as ``ringfence_bounds``, which
``compile_correlation`` turns into further comparisons. A tuned threshold written into ``condition.count``
therefore changes the first operator only.
"""

from __future__ import annotations

import math
from typing import Any

from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationConditionOperator
from sigma.exceptions import SigmaCorrelationConditionError, SigmaRuleLocation

BOUNDS_ATTRIBUTE = "ringfence_bounds"
OPERATOR_NAMES = frozenset(op.name.lower() for op in SigmaCorrelationConditionOperator)
_PATCHED_FLAG = "_ringfence_ranges"


def extra_bounds(condition: SigmaCorrelationCondition) -> dict[str, float]:
    """The comparisons of a range beyond the condition's own operator (empty for a single comparison)."""
    bounds: dict[str, float] = getattr(condition, BOUNDS_ATTRIBUTE, {})
    return dict(bounds)


def _number(value: Any, key: str, source: SigmaRuleLocation | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SigmaCorrelationConditionError(
            f"'{value}' is no valid Sigma correlation condition count ({key})", source=source
        )
    return float(value)


def install() -> None:
    """Let pySigma parse range conditions (idempotent)."""
    if getattr(SigmaCorrelationCondition, _PATCHED_FLAG, False):
        return
    original = SigmaCorrelationCondition.from_dict.__func__  # type: ignore[attr-defined]

    def from_dict(
        cls: type[SigmaCorrelationCondition], d: dict[str, Any], source: SigmaRuleLocation | None = None
    ) -> SigmaCorrelationCondition:
        operators = [key for key in d if key in OPERATOR_NAMES] if isinstance(d, dict) else []
        if len(operators) <= 1:
            return original(cls, d, source)
        others = operators[1:]  # the first operator is parsed by pySigma itself
        condition = original(cls, {k: v for k, v in d.items() if k not in others}, source)
        setattr(condition, BOUNDS_ATTRIBUTE, {key: _number(d[key], key, source) for key in others})
        return condition

    SigmaCorrelationCondition.from_dict = classmethod(from_dict)  # type: ignore[method-assign, assignment]
    setattr(SigmaCorrelationCondition, _PATCHED_FLAG, True)

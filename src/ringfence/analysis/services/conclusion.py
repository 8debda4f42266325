"""The conclusion on one system, from its figures alone (so a re-run reaches the same conclusion).

The rule, in order (docs/analysis.md explains why):

1. **Cannot conclude** when the log is incomplete — no events, an empty working day, a silent source, gap
   hours in business hours, a parse-error rate above the limit, or a lake file or the manifest chain
   damaged — or when the period holds no access that tests the restrictions (no successful operation that
   needs a level and no denial). Incomplete logs never yield "functioning": the missing part may hold the
   access that would have shown the opposite.
2. **Not functioning** when at least one successful access should have been impossible by the registry at
   that moment: an account unknown to the registry or without an owner, an owner without entitlement, an
   operation above the owner's entitlement, or above the account's own configured privilege (the system
   did not enforce its setting).
3. **Functioning** otherwise: every successful operation was covered by an entitlement; denials of
   non-entitled people, when there are any, are listed as positive evidence.
"""

from __future__ import annotations

from typing import Any

from ..models import Conclusion

# Categories of impossible accesses, and what each says about the system.
ENFORCEMENT = "beyond_account_privilege"  # the system let an account exceed its own configured privilege
ADMINISTRATION = (
    "unknown_account",
    "no_owner",
    "not_entitled",
    "beyond_entitlement",
)  # rights not as entitled


def conclude(system_figures: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The conclusion code and its reasons (JSON-ready, each with a ``kind``)."""
    completeness = system_figures["completeness"]
    if completeness["problems"]:
        return Conclusion.CANNOT_CONCLUDE.value, list(completeness["problems"])
    effect = system_figures.get("effectiveness")
    if effect is None:
        return Conclusion.CANNOT_CONCLUDE.value, [{"kind": "no_registry_comparison"}]
    if effect["impossible_count"]:
        reasons: list[dict[str, Any]] = []
        by_category = effect["impossible_by_category"]
        if by_category.get(ENFORCEMENT):
            reasons.append({"kind": "not_enforced", "count": by_category[ENFORCEMENT]})
        administration = {k: v for k, v in by_category.items() if k in ADMINISTRATION}
        if administration:
            reasons.append({"kind": "rights_not_as_entitled", "count": sum(administration.values()),
                            "by_category": administration})  # fmt: skip
        return Conclusion.NOT_FUNCTIONING.value, reasons
    if not effect["successful_checked"] and not effect["denied_total"]:
        return Conclusion.CANNOT_CONCLUDE.value, [{"kind": "no_evidence"}]
    reasons = [{"kind": "all_covered", "count": effect["successful_checked"]}]
    if effect["denied_not_entitled_count"]:
        reasons.append({"kind": "denials_work", "count": effect["denied_not_entitled_count"]})
    return Conclusion.FUNCTIONING.value, reasons

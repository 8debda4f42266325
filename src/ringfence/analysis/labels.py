"""Human wording of the codes stored in figures and conclusions (translatable; the stored codes are not)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Conclusion

CONCLUSION_LABELS = dict(Conclusion.choices)

CATEGORY_LABELS = {
    "unknown_account": gettext_lazy("account unknown to the registry"),
    "no_owner": gettext_lazy("account without an owner"),
    "beyond_account_privilege": gettext_lazy("beyond the account's configured privilege (not enforced)"),
    "not_entitled": gettext_lazy("owner holds no entitlement to the system"),
    "beyond_entitlement": gettext_lazy("beyond the owner's entitlement level"),
}


GO_LIVE_LABELS = {
    Conclusion.FUNCTIONING.value: gettext_lazy("Access restrictions work as designed"),
    Conclusion.NOT_FUNCTIONING.value: gettext_lazy("Access restrictions do not work as designed"),
}


def conclusion_label(code: str, kind: str = "") -> str:
    """The conclusion in words (blank before computation); a go-live verification states it explicitly."""
    if kind == "go_live" and code in GO_LIVE_LABELS:
        return str(GO_LIVE_LABELS[code])
    return str(CONCLUSION_LABELS.get(code, code or "—"))


def reason_text(reason: dict[str, Any]) -> str:
    """One reason of a conclusion in a sentence."""
    kind = reason.get("kind")
    if kind == "no_events":
        return _("no events in the period")
    if kind == "empty_day":
        return _("no events on working day %(day)s") % {"day": reason.get("day")}
    if kind == "low_day":
        return _("only %(events)d events on working day %(day)s (usually %(typical)d)") % {
            "events": reason.get("events", 0),
            "day": reason.get("day"),
            "typical": reason.get("typical", 0),
        }
    if kind == "silent_source":
        return _("log source %(source)s silent on %(day)s") % {
            "source": reason.get("source"),
            "day": reason.get("day"),
        }
    if kind == "source_never_delivered":
        return _("log source %(source)s delivered nothing") % {"source": reason.get("source")}
    if kind == "gap_hours":
        hours = reason.get("hours", [])
        return _("%(count)d business hours without events (%(first)s …)") % {
            "count": len(hours),
            "first": hours[0] if hours else "",
        }
    if kind == "parse_errors":
        return _("parse-error rate %(rate).2f %% above the limit %(limit).2f %%") % {
            "rate": reason.get("rate_ppm", 0) / 10_000,
            "limit": reason.get("limit_ppm", 0) / 10_000,
        }
    if kind == "lake_file":
        return _("lake file damaged: %(problem)s") % {"problem": reason.get("problem")}
    if kind == "lake_chain":
        return _("lake manifest chain broken: %(problem)s") % {"problem": reason.get("problem")}
    if kind == "no_registry_comparison":
        return _("events could not be compared with the registry")
    if kind == "no_evidence":
        return _("no access in the period tested the restrictions")
    if kind == "not_enforced":
        return _(
            "%(count)d successful operations beyond the account's own privilege: the system did not enforce its setting"
        ) % {"count": reason.get("count", 0)}
    if kind == "rights_not_as_entitled":
        parts = ", ".join(
            f"{CATEGORY_LABELS.get(k, k)} {v}" for k, v in sorted(reason.get("by_category", {}).items())
        )
        return _("%(count)d successful accesses without entitlement at that moment (%(parts)s)") % {
            "count": reason.get("count", 0),
            "parts": parts,
        }
    if kind == "all_covered":
        return _("all %(count)d successful operations were covered by entitlements") % {
            "count": reason.get("count", 0)
        }
    if kind == "denials_work":
        return _("%(count)d attempts by non-entitled people were denied") % {"count": reason.get("count", 0)}
    return str(kind)


def reasons_text(reasons: list[dict[str, Any]]) -> list[str]:
    """Every reason in words."""
    return [reason_text(r) for r in reasons]

"""Writes of detection records: changing a rule's settings (a new version, audited)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem

from .engine.meta import MetaError, parse_span
from .models import RuleSetting
from .selectors import current_rule_settings


def change_rule_setting(
    rule_id: str,
    *,
    actor: str,
    reason: str,
    enabled: bool | None = None,
    threshold: float | None = None,
    timespan: str | None = None,
    clear_tuning: bool = False,
    request: HttpRequest | None = None,
) -> RuleSetting:
    """Record a new version of ``rule_id``'s settings; unspecified values carry over from the current one.

    ``clear_tuning`` puts the rule's own threshold and timespan back. A reason is required: the version
    history is what an auditor reads to see why a rule was switched off or made less sensitive.
    """
    problems: list[InputProblem] = []
    if not reason.strip():
        problems.append(InputProblem(_("rule setting"), None, "reason", _("a reason is required")))
    if threshold is not None and threshold < 0:
        problems.append(InputProblem(_("rule setting"), None, "threshold", _("must not be negative")))
    if timespan:
        try:
            parse_span(timespan)
        except MetaError as exc:
            problems.append(InputProblem(_("rule setting"), None, "timespan", str(exc)))
    if problems:
        raise BadInput(_("rule %(rule)s: setting refused") % {"rule": rule_id}, problems)
    with transaction.atomic():
        previous = current_rule_settings().get(rule_id, {})
        last = RuleSetting.objects.filter(rule_id=rule_id).aggregate(v=Max("version"))["v"] or 0
        setting = RuleSetting.objects.create(
            rule_id=rule_id,
            version=last + 1,
            enabled=previous.get("enabled", True) if enabled is None else enabled,
            threshold=None
            if clear_tuning
            else (threshold if threshold is not None else previous.get("threshold")),
            timespan="" if clear_tuning else (timespan if timespan else previous.get("timespan", "")),
            reason=reason.strip(),
            changed_by=actor,
        )
        record(
            AuditAction.CHANGE,
            actor=actor,
            request=request,
            target_type="detection.rule",
            target_ref=rule_id,
            detail={
                "version": setting.version,
                "enabled": setting.enabled,
                "threshold": setting.threshold,
                "timespan": setting.timespan,
                "previous": {k: previous.get(k) for k in ("enabled", "threshold", "timespan", "version")},
                "reason": setting.reason,
            },
        )
    return setting

"""Reads of detection records: rule settings in force and their history, analysis runs."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import AnalysisRun, RuleSetting


def current_rule_settings() -> dict[str, dict[str, Any]]:
    """rule_id -> the newest setting version (enabled, threshold, timespan, version, changed_by/at, reason)."""
    current: dict[str, dict[str, Any]] = {}
    for setting in RuleSetting.objects.order_by("rule_id", "-version"):
        if setting.rule_id in current:
            continue
        current[setting.rule_id] = {
            "enabled": setting.enabled,
            "threshold": setting.threshold,
            "timespan": setting.timespan,
            "version": setting.version,
            "changed_by": setting.changed_by,
            "changed_at": setting.changed_at,
            "reason": setting.reason,
        }
    return current


def rule_setting_history(rule_id: str) -> QuerySet[RuleSetting]:
    """Every version of a rule's settings, newest first."""
    return RuleSetting.objects.filter(rule_id=rule_id).order_by("-version")


def recent_runs(limit: int = 20) -> QuerySet[AnalysisRun]:
    return AnalysisRun.objects.order_by("-started_at")[:limit]


def last_findings_by_rule(runs: int = 20) -> dict[str, dict[str, Any]]:
    """rule_id -> findings in the most recent analysis run that had any for it (count, run end time)."""
    last: dict[str, dict[str, Any]] = {}
    for run in AnalysisRun.objects.order_by("-started_at")[:runs]:
        for rule_id, count in (run.per_rule or {}).items():
            last.setdefault(rule_id, {"count": count, "at": run.finished_at or run.started_at, "run": run.pk})
    return last

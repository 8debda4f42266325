"""The rule pack's detections of a period, per system, with their triage state (from the alerts app).

Alerts live on after a report: their triage state changes. The report therefore lists them as they stood
when it was computed (and when it was frozen); they are not part of the reproducible figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def detections_by_system(
    start: dt.datetime, end: dt.datetime, systems: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Alerts whose events fall in [start, end), per system: rule, severity, status, events, first seen."""
    result: dict[str, list[dict[str, Any]]] = {code: [] for code in systems}
    try:
        from ringfence.alerts.models import Alert
    except ImportError:  # the alerts app is not installed: nothing to list
        return result
    alerts = (
        Alert.objects.filter(system__in=systems, first_seen__lt=end, last_seen__gte=start)
        .order_by("system", "first_seen", "key")
        .values("key", "system", "rule_id", "rule_title", "severity", "status", "event_count", "first_seen",
                "account", "person", "entity")
    )  # fmt: skip
    titles_ja = _japanese_titles()
    for alert in alerts:
        result[alert["system"]].append(
            {
                "key": alert["key"],
                "rule_id": alert["rule_id"],
                "rule_title": alert["rule_title"],
                "rule_title_ja": titles_ja.get(alert["rule_id"], ""),
                "severity": alert["severity"],
                "status": alert["status"],
                "events": int(alert["event_count"]),
                "first_seen": alert["first_seen"].astimezone(dt.UTC).isoformat(),
                "account": alert["account"],
                "person": alert["person"],
                "entity": alert["entity"],
            }
        )
    return result


def _japanese_titles() -> dict[str, str]:
    """Rule ID -> Japanese title from the rule catalogue (empty when detection is not available)."""
    try:
        from ringfence.detection.engine import catalogue

        return {rule_id: meta.title_ja for rule_id, meta in catalogue().items() if meta.title_ja}
    except Exception:  # a broken user rule must not stop a report; the English title is shown instead
        return {}

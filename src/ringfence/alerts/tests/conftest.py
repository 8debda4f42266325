"""Findings as detection hands them over, for the alerts tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from ringfence.alerts.findings import Evidence, Finding, incident_key
from ringfence.core.timeutil import JST

WINDOW = dt.datetime(2026, 10, 13, tzinfo=JST)


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """A moment on the incident day (JST) as UTC."""
    return (WINDOW + dt.timedelta(hours=hour, minutes=minute, seconds=second)).astimezone(dt.UTC)


def evidence(
    n: int, start: dt.datetime | None = None, prefix: str = "ev", system: str = "CIS"
) -> list[Evidence]:
    """``n`` evidence events one second apart."""
    start = start or at(10)
    return [Evidence(f"{prefix}{i:06d}", start + dt.timedelta(seconds=i), system) for i in range(n)]


def make_finding(
    rule_id: str = "rf-affiliate-access",
    entity: str = "CIS/u10482",
    items: list[Evidence] | None = None,
    **overrides: Any,
) -> Finding:
    """A finding of ``rule_id`` on ``entity`` in the JST day window, evidence ``items``."""
    items = items if items is not None else evidence(3)
    fields: dict[str, Any] = {
        "key": incident_key(rule_id, entity, WINDOW),
        "rule_id": rule_id,
        "rule_title": "Access by affiliate staff",
        "severity": "high",
        "entity": entity,
        "window_start": WINDOW,
        "window_end": WINDOW + dt.timedelta(days=1),
        "first_seen": min(e.time for e in items),
        "last_seen": max(e.time for e in items),
        "system": "CIS",
        "account": "u10482",
        "person": "E003",
        "terminal": "PC-0001",
        "source_ip": "192.168.5.10",
        "evidence": tuple(items),
        "detail": {"corr_value": len(items)},
    }
    fields.update(overrides)
    return Finding(**fields)


@pytest.fixture
def finding_factory() -> Callable[..., Finding]:
    return make_finding

"""What detection hands to the alerts app: one ``Finding`` per incident window of a rule and an entity.

Detection (batch or live) groups the events a rule matched into incidents and calls
``ringfence.alerts.services.intake.raise_alerts`` with them. The ``key`` is deterministic (rule, entity,
incident window), so the same incident found again — by a re-run of a batch analysis, by the live monitor
after a restart, or by both — updates one alert instead of raising another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any


def incident_key(rule_id: str, entity: str, window_start: dt.datetime) -> str:
    """The alert key of rule ``rule_id`` for ``entity`` in the incident window starting at ``window_start``."""
    text = f"{rule_id}\x1f{entity}\x1f{window_start.astimezone(dt.UTC).isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Evidence:
    """One event of the lake that a finding rests on."""

    event_id: str
    time: dt.datetime  # aware, UTC
    system: str


@dataclass(frozen=True)
class Finding:
    """One incident: a rule, an entity (account, person, source address, ...) and a window of time.

    ``entity`` is the text the incident is grouped by (e.g. ``"CIS/u10482"``); ``evidence`` the events found
    so far (a later finding with the same key adds to them). ``detail`` holds what the rule computed
    (correlation counts, thresholds, the group-by values) for the alert page.
    """

    key: str
    rule_id: str
    rule_title: str  # English title; the alerts app shows the translated one through the rule catalogue
    severity: str  # Sigma level: informational, low, medium, high, critical
    entity: str
    window_start: dt.datetime
    window_end: dt.datetime
    first_seen: dt.datetime
    last_seen: dt.datetime
    system: str = ""
    account: str = ""
    person: str = ""  # employee number of the account's owner at the time, "" when none
    terminal: str = ""  # asset tag, or the source host/address when the ledger does not know it
    source_ip: str = ""
    evidence: tuple[Evidence, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)
    mode: str = "batch"  # "batch" or "live": who found it first

"""Intake of detection findings: one alert per incident key, evidence merged, notifications queued.

``raise_alerts`` is idempotent by ``Finding.key``: the batch analysis, the live monitor after a restart, or
both, may hand over the same incident many times; it stays one alert whose evidence grows.

Evidence and the exact event count: an alert keeps up to ``EVIDENCE_CAP`` evidence rows (the earliest
events). Below the cap ``event_count`` is the number of distinct evidence events, exactly. Once over it,
events not stored are counted when they are later than anything the alert saw before (live monitoring hands
events over in time order, so these are new), and ``event_count`` is never less than the number of distinct
events of one finding, nor than ``detail["event_count"]`` when detection counted the whole incident window
itself (a batch analysis does) — so a re-run never counts an event twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from ringfence.alerts.findings import Evidence, Finding
from ringfence.audit.models import AuditAction
from ringfence.audit.services import record

from ..choices import AlertStatus, FoundBy, severity_rank
from ..models import EVIDENCE_CAP, Alert, AlertEvidence, AlertTransition, Suppression
from . import notifications, suppressions

logger = logging.getLogger(__name__)
_IN_CHUNK = 500  # ids per ``IN (...)`` query: well under SQLite's variable limit
CHUNK = 200  # findings per transaction


@dataclass
class IntakeResult:
    """What one call of ``raise_alerts`` did, by incident key."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)  # created with status suppressed (subset of created)
    evidence_added: int = 0
    notifications_queued: int = 0

    @property
    def alert_keys(self) -> list[str]:
        """Every key touched, new ones first."""
        return self.created + self.updated


def _clip(text: str, limit: int) -> str:
    return (text or "")[:limit]


def _distinct(evidence: Sequence[Evidence]) -> list[Evidence]:
    seen: dict[str, Evidence] = {}
    for item in evidence:
        seen.setdefault(item.event_id, item)
    return sorted(seen.values(), key=lambda e: (e.time, e.event_id))


def _stored_ids(alert: Alert, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        found.update(alert.evidence.filter(event_id__in=chunk).values_list("event_id", flat=True))
    return found


def _add_evidence(
    alert: Alert, evidence: list[Evidence], stored: int, previous_last: dt.datetime | None
) -> int:
    """Store new evidence up to the cap; return how many events are new to the alert (stored or not)."""
    ids = [e.event_id for e in evidence]
    known = _stored_ids(alert, ids) if stored else set()
    new = [e for e in evidence if e.event_id not in known]
    room = max(EVIDENCE_CAP - stored, 0)
    kept, overflow = new[:room], new[room:]
    AlertEvidence.objects.bulk_create(
        [
            AlertEvidence(alert=alert, event_id=e.event_id[:64], time=e.time, system=e.system[:64])
            for e in kept
        ],
        batch_size=500,
    )
    # Events beyond the cap are not stored, so only those later than anything seen before are surely new.
    later = [e for e in overflow if previous_last is None or e.time > previous_last]
    return len(kept) + len(later)


def _detail_count(finding: Finding) -> int:
    """The incident's event count as detection computed it (``event_count``, or ``events``), else 0."""
    detail = finding.detail if isinstance(finding.detail, dict) else {}
    value = detail.get("event_count", detail.get("events"))
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _new_alert(finding: Finding, suppression: Suppression | None) -> Alert:
    return Alert.objects.create(
        key=finding.key,
        rule_id=_clip(finding.rule_id, 200),
        rule_title=_clip(finding.rule_title, 300),
        severity=finding.severity,
        entity=_clip(finding.entity, 300),
        system=_clip(finding.system, 64),
        account=_clip(finding.account, 200),
        person=_clip(finding.person, 64),
        terminal=_clip(finding.terminal, 200),
        source_ip=_clip(finding.source_ip, 64),
        window_start=finding.window_start,
        window_end=finding.window_end,
        first_seen=finding.first_seen,
        last_seen=finding.last_seen,
        detail=dict(finding.detail),
        found_by=FoundBy.LIVE if finding.mode == FoundBy.LIVE else FoundBy.BATCH,
        status=AlertStatus.SUPPRESSED if suppression else AlertStatus.NEW,
        suppression=suppression,
    )


def _merge(alert: Alert, finding: Finding) -> None:
    alert.first_seen = min(alert.first_seen, finding.first_seen)
    alert.last_seen = max(alert.last_seen, finding.last_seen)
    if severity_rank(finding.severity) > severity_rank(alert.severity):
        alert.severity = finding.severity  # a re-tuned rule may raise it; never lowered silently
    for name in ("account", "person", "terminal", "source_ip"):
        if not getattr(alert, name) and getattr(finding, name):
            setattr(alert, name, _clip(getattr(finding, name), 200 if name != "source_ip" else 64))
    alert.detail = {**alert.detail, **finding.detail}


def _intake_one(finding: Finding, active: list[Suppression], actor: str, result: IntakeResult) -> None:
    """One finding, inside the caller's transaction."""
    evidence = _distinct(finding.evidence)
    alert = Alert.objects.select_for_update().filter(key=finding.key).first()
    suppression = suppressions.first_match(finding, active) if alert is None else None
    if alert is None:
        try:
            with transaction.atomic():  # a savepoint: the batch run and the live monitor may race here
                alert = _new_alert(finding, suppression)
        except IntegrityError:
            alert = Alert.objects.select_for_update().get(key=finding.key)
            _merge_into(alert, finding, evidence, result)
            return
        added = _add_evidence(alert, evidence, 0, None)
        alert.event_count = max(added, _detail_count(finding))
        alert.save(update_fields=["event_count"])
        AlertTransition.objects.create(
            alert=alert, from_status="", to_status=alert.status, actor=actor,
            comment=f"suppression {suppression.pk}: {suppression.reason}" if suppression else "",
        )  # fmt: skip
        record(AuditAction.CREATE, actor=actor, target_type="alerts.alert", target_ref=alert.key,
               detail={"alert": alert.pk, "rule": alert.rule_id, "entity": alert.entity,
                       "status": alert.status, "events": alert.event_count})  # fmt: skip
        result.created.append(alert.key)
        if suppression is not None:
            result.suppressed.append(alert.key)
        else:
            result.notifications_queued += notifications.queue_for(alert)
        result.evidence_added += added
    else:
        _merge_into(alert, finding, evidence, result)


def _merge_into(alert: Alert, finding: Finding, evidence: list[Evidence], result: IntakeResult) -> None:
    """A finding of an incident the alert already holds: evidence and counts merged."""
    stored = alert.evidence.count()
    previous_last = alert.last_seen
    added = _add_evidence(alert, evidence, stored, previous_last)
    _merge(alert, finding)
    alert.event_count = max(alert.event_count + added, len(evidence), _detail_count(finding))
    alert.save()
    result.updated.append(alert.key)
    result.evidence_added += added


def batched(items: Iterable[Finding], size: int) -> Iterator[list[Finding]]:
    """``items`` in lists of at most ``size``."""
    chunk: list[Finding] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def raise_alerts(findings: Iterable[Finding], *, actor: str) -> IntakeResult:
    """Turn findings into alerts (contract C4): new key → new alert, known key → evidence merged.

    Findings are written in transactions of ``CHUNK`` (one commit per finding would make a batch run's
    thousands of findings wait on the disk); the whole call leaves one audit event with its counts (each new
    alert also has its own). Notifications are queued once their alert is committed.
    """
    result = IntakeResult()
    active = suppressions.in_force()
    started = timezone.now()
    for chunk in batched(findings, CHUNK):
        with transaction.atomic():
            for finding in chunk:
                _intake_one(finding, active, actor, result)
    if result.created or result.updated:
        record(AuditAction.JOB, actor=actor, target_type="alerts.intake", target_ref=started.isoformat(),
               detail={"created": len(result.created), "updated": len(result.updated),
                       "suppressed": len(result.suppressed), "evidence_added": result.evidence_added,
                       "updated_keys": result.updated[:50]})  # fmt: skip
    return result

"""raise_alerts: one alert per incident key, evidence merged once, capped and counted, suppression."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from ringfence.alerts.choices import AlertStatus
from ringfence.alerts.models import Alert, AlertEvidence, AlertTransition
from ringfence.alerts.services import intake
from ringfence.alerts.services.intake import raise_alerts
from ringfence.alerts.services.suppressions import create_suppression
from ringfence.audit.models import AuditEvent

from .conftest import at, evidence, make_finding

pytestmark = pytest.mark.django_db


def test_new_finding_creates_one_alert_with_its_evidence_and_an_audit_event() -> None:
    result = raise_alerts([make_finding()], actor="system:test")
    assert len(result.created) == 1 and not result.updated and result.evidence_added == 3
    alert = Alert.objects.get(key=result.created[0])
    assert alert.status == AlertStatus.NEW
    assert (alert.rule_id, alert.entity, alert.person, alert.severity) == (
        "rf-affiliate-access", "CIS/u10482", "E003", "high",
    )  # fmt: skip
    assert alert.event_count == 3
    assert list(alert.evidence.values_list("event_id", flat=True)) == ["ev000000", "ev000001", "ev000002"]
    assert AlertTransition.objects.filter(alert=alert, to_status="new").count() == 1
    assert AuditEvent.objects.filter(
        target_type="alerts.alert", target_ref=alert.key, action="create"
    ).exists()


def test_same_key_again_merges_evidence_without_duplicates() -> None:
    first = evidence(3)
    raise_alerts([make_finding(items=first)], actor="t")
    later = evidence(2, start=at(11), prefix="late")
    # A re-run hands over the same three events again, plus two later ones.
    result = raise_alerts([make_finding(items=first + later)], actor="t")
    assert not result.created and len(result.updated) == 1 and result.evidence_added == 2
    alert = Alert.objects.get()
    assert alert.event_count == 5
    assert AlertEvidence.objects.filter(alert=alert).count() == 5
    assert alert.first_seen == first[0].time and alert.last_seen == later[-1].time
    # Repeating the exact same finding changes nothing.
    again = raise_alerts([make_finding(items=first + later)], actor="t")
    assert again.evidence_added == 0
    alert.refresh_from_db()
    assert alert.event_count == 5


def test_different_entities_and_windows_are_different_alerts() -> None:
    raise_alerts(
        [make_finding(entity="CIS/u1"), make_finding(entity="CIS/u2"), make_finding(entity="CIS/u1")],
        actor="t",
    )
    assert Alert.objects.count() == 2


def test_evidence_is_capped_but_counted_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "EVIDENCE_CAP", 10)
    batch = evidence(25)
    raise_alerts([make_finding(items=batch)], actor="t")
    alert = Alert.objects.get()
    assert alert.evidence.count() == 10 and alert.event_count == 25
    # The batch re-run of the same window: no double counting beyond the cap.
    raise_alerts([make_finding(items=batch)], actor="t")
    alert.refresh_from_db()
    assert alert.event_count == 25
    # Live monitoring hands over 7 newer events in a later micro-batch: counted although not stored.
    raise_alerts([make_finding(items=evidence(7, start=at(12), prefix="live"))], actor="t")
    alert.refresh_from_db()
    assert alert.evidence.count() == 10 and alert.event_count == 32
    # Detection's own count of the whole window wins when larger.
    raise_alerts([make_finding(items=batch[:1], detail={"event_count": 40})], actor="t")
    alert.refresh_from_db()
    assert alert.event_count == 40


def test_suppressed_finding_becomes_suppressed_alert_without_notification() -> None:
    suppression = create_suppression(
        reason="訓練用アカウント", expires_at=timezone.now() + dt.timedelta(days=30), actor="analyst",
        system="CIS", account="U10482",  # the account matches case-insensitively
    )  # fmt: skip
    result = raise_alerts([make_finding()], actor="t")
    assert result.suppressed == result.created and result.notifications_queued == 0
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.SUPPRESSED and alert.suppression == suppression
    # Another account is not suppressed.
    other = raise_alerts([make_finding(entity="CIS/u2", account="u2")], actor="t")
    assert not other.suppressed
    assert Alert.objects.get(key=other.created[0]).status == AlertStatus.NEW


def test_expired_or_ended_suppression_no_longer_applies() -> None:
    s = create_suppression(
        reason="r", expires_at=timezone.now() + dt.timedelta(days=1), actor="a", system="CIS"
    )
    s.expires_at = timezone.now() - dt.timedelta(seconds=1)
    s.save()
    result = raise_alerts([make_finding()], actor="t")
    assert not result.suppressed


def test_severity_is_raised_never_lowered_and_detail_merged() -> None:
    raise_alerts([make_finding(severity="medium")], actor="t")
    raise_alerts([make_finding(severity="critical", detail={"corr_value": 9})], actor="t")
    raise_alerts([make_finding(severity="low")], actor="t")
    alert = Alert.objects.get()
    assert alert.severity == "critical" and alert.detail["corr_value"] == 3

"""Triage workflow: allowed steps, refused ones with clear errors, history and audit of every action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from ringfence.alerts.choices import AlertStatus
from ringfence.alerts.models import Alert, AlertComment
from ringfence.alerts.services import triage
from ringfence.alerts.services.intake import raise_alerts
from ringfence.alerts.services.suppressions import create_suppression, end_suppression
from ringfence.audit.models import AuditEvent
from ringfence.core.errors import BadInput

from .conftest import make_finding


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    # The assertions read the services' messages; the catalogue would otherwise give them in Japanese.
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.fixture
def alert() -> Alert:
    result = raise_alerts([make_finding()], actor="system:test")
    return Alert.objects.get(key=result.created[0])


@pytest.fixture
def analyst() -> User:
    return User.objects.create_user("sato", password="x")


def _history(alert: Alert) -> list[tuple[str, str]]:
    return list(alert.transitions.values_list("from_status", "to_status"))


def test_full_flow_new_assigned_investigating_closed_and_reopened(alert: Alert, analyst: User) -> None:
    triage.assign(alert, analyst, actor="lead", comment="北支社の件")
    assert alert.status == AlertStatus.ASSIGNED and alert.assignee == analyst
    triage.investigate(alert, actor="sato")
    assert alert.status == AlertStatus.INVESTIGATING
    triage.close(
        alert, AlertStatus.CLOSED_VIOLATION, "関連会社社員による閲覧を確認。是正報告済み。", actor="sato"
    )
    assert alert.status == AlertStatus.CLOSED_VIOLATION and alert.resolution.startswith("関連会社")
    assert not alert.is_open
    triage.reopen(alert, "追加の証跡が見つかった", actor="lead")
    assert alert.status == AlertStatus.INVESTIGATING
    assert _history(alert) == [
        ("", "new"), ("new", "assigned"), ("assigned", "investigating"),
        ("investigating", "closed_violation"), ("closed_violation", "investigating"),
    ]  # fmt: skip
    changes = AuditEvent.objects.filter(action="change", target_type="alerts.alert", target_ref=alert.key)
    assert [e.detail["to"] for e in changes.order_by("id")] == [
        "assigned",
        "investigating",
        "closed_violation",
        "investigating",
    ]


def test_investigating_without_assignee_takes_the_actor(alert: Alert, analyst: User) -> None:
    triage.investigate(alert, actor="sato")
    assert alert.assignee == analyst


@pytest.mark.parametrize(
    ("steps", "refused", "message"),
    [
        ([], AlertStatus.NEW, "cannot go from"),
        ([AlertStatus.CLOSED_BENIGN], AlertStatus.ASSIGNED, "cannot go from"),
        ([AlertStatus.CLOSED_BENIGN], AlertStatus.CLOSED_VIOLATION, "cannot go from"),
        ([], "deleted", "is not an alert status"),
    ],
)
def test_invalid_transitions_are_refused(alert: Alert, steps: list[str], refused: str, message: str) -> None:
    for step in steps:
        triage.transition(alert, step, actor="a", comment="ok")
    before = _history(alert)
    with pytest.raises(triage.TransitionRefused, match=message):
        triage.transition(alert, refused, actor="a", comment="x")
    assert _history(alert) == before


def test_closing_needs_a_resolution_and_reopening_a_comment(alert: Alert, analyst: User) -> None:
    with pytest.raises(BadInput, match="resolution"):
        triage.close(alert, AlertStatus.CLOSED_BENIGN, "  ", actor="a")
    with pytest.raises(BadInput, match="assignee"):
        triage.transition(alert, AlertStatus.ASSIGNED, actor="a")
    triage.close(alert, AlertStatus.CLOSED_FALSE_POSITIVE, "テスト端末", actor="a")
    with pytest.raises(BadInput, match="comment"):
        triage.reopen(alert, "", actor="a")
    with pytest.raises(triage.TransitionRefused):
        triage.close(alert, "suppressed", "x", actor="a")
    assert alert.status == AlertStatus.CLOSED_FALSE_POSITIVE


def test_suppressed_alert_can_be_lifted_back_to_new() -> None:
    s = create_suppression(reason="保守作業", expires_at=timezone.now() + dt.timedelta(days=7), actor="a",
                           rule_id="rf-affiliate-access")  # fmt: skip
    raise_alerts([make_finding()], actor="t")
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.SUPPRESSED
    assert triage.allowed_targets(alert) == [AlertStatus.NEW]
    triage.reopen(alert, "保守作業の範囲外", actor="lead")
    assert alert.status == AlertStatus.NEW
    end_suppression(s, actor="lead")
    with pytest.raises(BadInput, match="already ended"):
        end_suppression(s, actor="lead")


def test_comments_are_kept_and_audited(alert: Alert) -> None:
    triage.add_comment(alert, "本人に確認予定", actor="sato")
    with pytest.raises(BadInput):
        triage.add_comment(alert, "   ", actor="sato")
    assert list(AlertComment.objects.values_list("author", "text")) == [("sato", "本人に確認予定")]
    assert AuditEvent.objects.filter(target_type="alerts.comment", actor="sato").count() == 1


def test_suppression_input_is_checked() -> None:
    now = timezone.now()
    with pytest.raises(BadInput) as caught:
        create_suppression(reason="", expires_at=now + dt.timedelta(days=400), actor="a")
    assert {p.field for p in caught.value.problems} == {"reason", "rule_id", "expires_at"}
    with pytest.raises(BadInput, match="refused"):
        create_suppression(reason="r", expires_at=now - dt.timedelta(days=1), actor="a", system="CIS")

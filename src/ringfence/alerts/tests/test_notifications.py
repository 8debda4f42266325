"""Notifications over a real SMTP server and a real HTTP receiver on 127.0.0.1: Japanese text, HMAC
signature, retries that never lose the alert, severity thresholds and suppressions."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from ringfence.alerts.choices import DeliveryStatus
from ringfence.alerts.models import Alert, NotificationChannel, NotificationDelivery
from ringfence.alerts.services import notifications
from ringfence.alerts.services.intake import raise_alerts
from ringfence.alerts.services.notifications import DeliveryError, deliver, save_channel, send_test
from ringfence.alerts.services.suppressions import create_suppression

from .conftest import make_finding
from .servers import http_receiver, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_huey() -> Iterator[None]:
    """Tasks run at once in the test's thread (the on-commit hook queues them)."""
    HUEY.immediate = True
    try:
        yield
    finally:
        HUEY.immediate = False


@pytest.fixture
def smtp(settings: Any) -> Iterator[Any]:
    with smtp_server() as (port, state):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.DEFAULT_FROM_EMAIL = "ringfence@td.example.jp"
        yield state


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_new_alert_is_mailed_in_japanese_through_smtp(
    smtp: Any, immediate_huey: None, django_capture_on_commit_callbacks: Any
) -> None:
    save_channel(actor="admin", name="監視チーム", kind="smtp", target="soc@td.example.jp, officer@td.example.jp",
                 min_severity="medium")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = raise_alerts([make_finding()], actor="system:test")
    assert result.notifications_queued == 1
    delivery = NotificationDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.sent_at is not None
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert sorted(received.recipients) == ["officer@td.example.jp", "soc@td.example.jp"]
    message = received.message
    assert message["Subject"].strip().startswith("[ringfence][高]")
    assert "CIS/u10482" in message["Subject"]
    body = message.get_content()
    # Japanese first, English below, with the link to the alert page.
    assert body.index("アラートが発生しました") < body.index("an alert was raised")
    assert "アカウント: u10482" in body and "イベント数: 3" in body
    alert = Alert.objects.get()
    assert f"/alerts/{alert.pk}/" in body


def test_webhook_is_signed_with_hmac_sha256_and_carries_japanese_json(
    immediate_huey: None, django_capture_on_commit_callbacks: Any
) -> None:
    with http_receiver() as (url, state):
        save_channel(
            actor="admin", name="hook", kind="webhook", target=url, secret="s3cret", min_severity="high"
        )
        with django_capture_on_commit_callbacks(execute=True):
            raise_alerts([make_finding()], actor="t")
    assert len(state.requests) == 1
    seen = state.requests[0]
    expected = "sha256=" + hmac.new(b"s3cret", seen.body, hashlib.sha256).hexdigest()
    assert seen.headers["X-Ringfence-Signature"] == expected
    assert seen.headers["X-Ringfence-Delivery"] == str(NotificationDelivery.objects.get().pk)
    payload = json.loads(seen.body.decode("utf-8"))
    assert payload["alert"]["entity"] == "CIS/u10482" and payload["alert"]["severity"] == "high"
    assert "行為規制" in payload["text"] and payload["subject"].startswith("[ringfence][高]")
    # A receiver with another secret would reject it.
    assert (
        hmac.new(b"other", seen.body, hashlib.sha256).hexdigest() not in seen.headers["X-Ringfence-Signature"]
    )


def test_failed_webhook_is_retried_then_given_up_and_the_alert_stays() -> None:
    with http_receiver(statuses=[500]) as (url, state):
        save_channel(actor="admin", name="hook", kind="webhook", target=url, min_severity="low")
        raise_alerts([make_finding()], actor="t")  # queued on commit, which a test transaction never reaches
        delivery = NotificationDelivery.objects.get()
        for attempt in range(1, notifications.MAX_ATTEMPTS):
            with pytest.raises(DeliveryError, match="HTTP 500"):
                deliver(delivery.pk)
            delivery.refresh_from_db()
            assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, attempt)
        final = deliver(delivery.pk)  # the last attempt records the failure instead of raising
    assert final.status == DeliveryStatus.FAILED and final.attempts == notifications.MAX_ATTEMPTS
    assert "HTTP 500" in final.last_error
    assert len(state.requests) == notifications.MAX_ATTEMPTS
    assert Alert.objects.get().status == "new"


def test_a_retry_that_succeeds_marks_the_delivery_sent_once() -> None:
    with http_receiver(statuses=[503, 200]) as (url, state):
        save_channel(actor="admin", name="hook", kind="webhook", target=url)
        raise_alerts([make_finding()], actor="t")
        delivery = NotificationDelivery.objects.get()
        with pytest.raises(DeliveryError):
            deliver(delivery.pk)
        assert deliver(delivery.pk).status == DeliveryStatus.SENT
        deliver(delivery.pk)  # a repeat (e.g. from the sweep) sends nothing more
    assert len(state.requests) == 2


def test_unreachable_smtp_server_is_an_error_naming_the_cause(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()
    channel = save_channel(actor="admin", name="mail", kind="smtp", target="soc@td.example.jp")
    with pytest.raises(DeliveryError, match="ConnectionRefused"):
        send_test(channel, actor="admin")


def test_channels_below_the_severity_or_disabled_get_nothing_and_suppressed_alerts_notify_nobody() -> None:
    save_channel(
        actor="a", name="critical only", kind="smtp", target="x@td.example.jp", min_severity="critical"
    )
    save_channel(
        actor="a", name="off", kind="smtp", target="y@td.example.jp", min_severity="low", enabled=False
    )
    save_channel(actor="a", name="all", kind="smtp", target="z@td.example.jp", min_severity="informational")
    raise_alerts([make_finding(severity="high")], actor="t")
    assert list(NotificationDelivery.objects.values_list("channel__name", flat=True)) == ["all"]
    create_suppression(reason="known", expires_at=Alert.objects.get().created + notifications.dt.timedelta(days=1),
                       actor="a", account="u2")  # fmt: skip
    result = raise_alerts([make_finding(entity="CIS/u2", account="u2")], actor="t")
    assert result.suppressed and NotificationDelivery.objects.count() == 1


def test_custom_templates_and_test_message(smtp: Any) -> None:
    channel = save_channel(actor="a", name="mail", kind="smtp", target="soc@td.example.jp",
                           subject_template="【{{ severity_ja }}】{{ title_ja }}",
                           body_template="対象 {{ alert.entity }} / {{ url }}")  # fmt: skip
    send_test(channel, actor="admin")
    message = smtp.messages[0].message
    assert message["Subject"].strip() == "【高】Notification test"
    assert message.get_content().startswith("対象 TEST/sample / http")


def test_bad_channels_are_refused_with_the_field_named() -> None:
    with pytest.raises(notifications.BadInput) as caught:
        save_channel(actor="a", name="", kind="webhook", target="ftp://x", body_template="{% if %}")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"name", "target", "body_template"}
    assert not NotificationChannel.objects.exists()


def test_sweep_requeues_deliveries_whose_queueing_was_lost(immediate_huey: None) -> None:
    with http_receiver() as (url, state):
        save_channel(actor="admin", name="hook", kind="webhook", target=url)
        raise_alerts([make_finding()], actor="t")  # the on-commit queueing never runs in a test transaction
        delivery = NotificationDelivery.objects.get()
        assert notifications.requeue_pending() == 0  # too recent: its own task may still be on the way
        NotificationDelivery.objects.filter(pk=delivery.pk).update(
            created_at=delivery.created_at - notifications.dt.timedelta(minutes=30)
        )
        assert notifications.requeue_pending() == 1
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.SENT and len(state.requests) == 1
        assert notifications.requeue_pending() == 0  # sent ones are left alone

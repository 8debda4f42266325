"""Notifications of new alerts (通知): e-mail through Django's mail backend and signed webhooks.

A new, unsuppressed alert gets one ``NotificationDelivery`` per enabled channel whose minimum severity it
reaches, written in the same transaction as the alert; the sending happens afterwards in a Huey task
(``alerts.tasks.deliver_notification``) with retries. A failed or lost send never loses the alert: the
delivery stays recorded as pending or failed, and the periodic sweep re-queues pending ones.

Webhooks are a JSON POST; ``X-Ringfence-Signature: sha256=<hex>`` is the HMAC-SHA256 of the exact body
with the channel's secret, and ``X-Ringfence-Delivery`` the delivery's number (receivers drop repeats).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template import engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem, RingfenceError
from ringfence.core.timeutil import JST

from ..choices import ChannelKind, DeliveryStatus, Severity, severity_rank
from ..models import Alert, NotificationChannel, NotificationDelivery
from ..rules import rule_info

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Ringfence-Signature"
DELIVERY_HEADER = "X-Ringfence-Delivery"
SEVERITY_JA: dict[str, str] = {
    Severity.INFORMATIONAL: "情報",
    Severity.LOW: "低",
    Severity.MEDIUM: "中",
    Severity.HIGH: "高",
    Severity.CRITICAL: "緊急",
}
FOUND_BY_JA = {"batch": "バッチ分析", "live": "常時監視"}


class DeliveryError(RingfenceError):
    """A notification could not be sent (the task retries it)."""


@dataclass(frozen=True)
class Message:
    """A rendered notification."""

    subject: str
    body: str
    payload: dict[str, Any]


def base_url() -> str:
    """Where the UI is reached from the readers' desks (links in notifications)."""
    return os.environ.get("RINGFENCE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _jst(value: dt.datetime) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def _context(alert: Alert) -> dict[str, Any]:
    info = rule_info(alert.rule_id, alert.rule_title)
    return {
        "alert": alert,
        "title_ja": info.title("ja"),
        "title_en": info.title("en"),
        "severity_ja": SEVERITY_JA.get(alert.severity, alert.severity),
        "found_by_ja": FOUND_BY_JA.get(alert.found_by, alert.found_by),
        "window_start": _jst(alert.window_start),
        "window_end": _jst(alert.window_end),
        "first_seen": _jst(alert.first_seen),
        "last_seen": _jst(alert.last_seen),
        "url": base_url() + reverse("alerts:detail", args=[alert.pk]),
    }


def _render(custom: str, default_template: str, context: dict[str, Any]) -> str:
    if custom.strip():
        return (
            engines["django"]
            .from_string("{% autoescape off %}" + custom + "{% endautoescape %}")
            .render(context)
        )
    return render_to_string(default_template, context)


def render(alert: Alert, channel: NotificationChannel) -> Message:
    """The subject, text and webhook payload of ``alert`` for ``channel`` (Japanese first)."""
    context = _context(alert)
    with translation.override("ja"):
        subject = " ".join(
            _render(channel.subject_template, "alerts/notifications/subject.txt", context).split()
        )
        body = _render(channel.body_template, "alerts/notifications/body.txt", context).strip() + "\n"
    payload = {
        "alert": {
            "id": alert.pk,
            "key": alert.key,
            "rule_id": alert.rule_id,
            "title_ja": context["title_ja"],
            "title_en": context["title_en"],
            "severity": alert.severity,
            "entity": alert.entity,
            "system": alert.system,
            "account": alert.account,
            "person": alert.person,
            "terminal": alert.terminal,
            "source_ip": alert.source_ip,
            "window_start": alert.window_start.isoformat(),
            "window_end": alert.window_end.isoformat(),
            "first_seen": alert.first_seen.isoformat(),
            "last_seen": alert.last_seen.isoformat(),
            "event_count": alert.event_count,
            "status": alert.status,
            "found_by": alert.found_by,
            "url": context["url"],
        },
        "subject": subject,
        "text": body,
    }
    return Message(subject=subject, body=body, payload=payload)


def sign(secret: str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=`` + hex HMAC-SHA256 with ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _send_mail(channel: NotificationChannel, message: Message) -> None:
    recipients = [address.strip() for address in channel.target.split(",") if address.strip()]
    connection = get_connection(timeout=TIMEOUT_SECONDS)
    mail = EmailMessage(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, recipients,
                        connection=connection)  # fmt: skip
    mail.encoding = "utf-8"
    mail.send(fail_silently=False)


def _post_webhook(channel: NotificationChannel, message: Message, delivery_ref: str) -> None:
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    request = urllib.request.Request(channel.target, data=body, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", "ringfence-alerts")
    request.add_header(DELIVERY_HEADER, delivery_ref)
    if channel.secret:
        request.add_header(SIGNATURE_HEADER, sign(channel.secret, body))
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        status = response.status
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered HTTP {status}")


def send(channel: NotificationChannel, message: Message, delivery_ref: str = "test") -> None:
    """Send one message on one channel now; raises ``DeliveryError`` naming the cause."""
    try:
        if channel.kind == ChannelKind.SMTP:
            _send_mail(channel, message)
        else:
            _post_webhook(channel, message, delivery_ref)
    except DeliveryError:
        raise
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:  # smtplib and urllib errors are OSError subclasses
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def _enqueue(delivery_ids: list[int]) -> None:
    from ..tasks import deliver_notification

    for delivery_id in delivery_ids:
        try:
            deliver_notification(delivery_id)
        except Exception:  # the queue is down: the sweep re-queues pending deliveries later
            logger.warning("could not queue notification %s", delivery_id, exc_info=True)


def queue_for(alert: Alert) -> int:
    """Record a pending delivery per matching channel and queue them once the transaction commits."""
    rank = severity_rank(alert.severity)
    channels = [
        c for c in NotificationChannel.objects.filter(enabled=True) if rank >= severity_rank(c.min_severity)
    ]
    deliveries = NotificationDelivery.objects.bulk_create(
        [NotificationDelivery(alert=alert, channel=c) for c in channels]
    )
    ids = [d.pk for d in deliveries if d.pk is not None]
    if not ids:  # some databases do not return keys from bulk inserts
        ids = list(NotificationDelivery.objects.filter(alert=alert).values_list("pk", flat=True))
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def deliver(delivery_id: int) -> NotificationDelivery:
    """Attempt one pending delivery; raises ``DeliveryError`` while attempts remain (so the task retries)."""
    delivery = NotificationDelivery.objects.select_related("alert", "channel").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.PENDING:
        return delivery  # already sent (a repeat from the sweep) or given up
    delivery.attempts += 1
    try:
        send(delivery.channel, render(delivery.alert, delivery.channel), str(delivery.pk))
    except DeliveryError as exc:
        delivery.last_error = str(exc)[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=["attempts", "last_error", "status"])
        if delivery.status == DeliveryStatus.FAILED:
            record(AuditAction.JOB, actor="system:notifications", target_type="alerts.delivery",
                   target_ref=str(delivery.pk), detail={"alert": delivery.alert_id, "channel": delivery.channel.name,
                                                        "status": "failed", "error": delivery.last_error})  # fmt: skip
            return delivery
        raise
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    return delivery


def requeue_pending(older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Queue again the deliveries never attempted since ``older_than`` ago (their queueing was lost)."""
    cutoff = timezone.now() - older_than
    ids = list(
        NotificationDelivery.objects.filter(
            status=DeliveryStatus.PENDING, attempts=0, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    _enqueue(ids)
    return len(ids)


# --- channels -----------------------------------------------------------------------------------------


def _channel_problems(kind: str, target: str, min_severity: str) -> list[InputProblem]:
    problems: list[InputProblem] = []

    def bad(field: str, reason: str) -> None:
        problems.append(InputProblem(file="notification channel", line=None, field=field, reason=reason))

    if kind not in ChannelKind.values:
        bad("kind", _("unknown kind (smtp or webhook)"))
    if min_severity not in Severity.values:
        bad("min_severity", _("unknown severity"))
    if not target.strip():
        bad("target", _("a target is required"))
    elif kind == ChannelKind.WEBHOOK and not target.startswith(("http://", "https://")):
        bad("target", _("a webhook URL starts with http:// or https://"))
    elif kind == ChannelKind.SMTP:
        for address in (a.strip() for a in target.split(",")):
            if address and "@" not in address:
                bad("target", _("“%(address)s” is not an e-mail address") % {"address": address})
    return problems


def save_channel(
    *,
    actor: str,
    name: str,
    kind: str,
    target: str,
    min_severity: str = Severity.MEDIUM,
    enabled: bool = True,
    secret: str = "",
    subject_template: str = "",
    body_template: str = "",
    channel: NotificationChannel | None = None,
) -> NotificationChannel:
    """Create or change a channel (audited; the secret itself is never written to the audit trail)."""
    problems = _channel_problems(kind, target, min_severity)
    if not name.strip():
        problems.append(InputProblem("notification channel", None, "name", _("a name is required")))
    for field_name, text in (("subject_template", subject_template), ("body_template", body_template)):
        try:
            engines["django"].from_string(text)
        except Exception as exc:
            problems.append(InputProblem("notification channel", None, field_name, str(exc)))
    if problems:
        raise BadInput(_("notification channel refused"), problems)
    created = channel is None
    channel = channel or NotificationChannel(created_by=actor)
    channel.name, channel.kind, channel.target = name.strip(), kind, target.strip()
    channel.min_severity, channel.enabled, channel.secret = min_severity, enabled, secret
    channel.subject_template, channel.body_template = subject_template, body_template
    with transaction.atomic():
        channel.save()
        record(AuditAction.CREATE if created else AuditAction.CHANGE, actor=actor,
               target_type="alerts.channel", target_ref=channel.name,
               detail={"kind": kind, "target": channel.target, "min_severity": min_severity,
                       "enabled": enabled, "has_secret": bool(secret)})  # fmt: skip
    return channel


def send_test(channel: NotificationChannel, *, actor: str) -> Message:
    """Send a sample alert on ``channel`` now (nothing is stored but the audit event); raises on failure."""
    now = timezone.now()
    sample = Alert(
        pk=0, key="test", rule_id="ringfence-notification-test", rule_title="Notification test",
        severity=Severity.HIGH, entity="TEST/sample", system="TEST", account="sample",
        window_start=now, window_end=now, first_seen=now, last_seen=now, event_count=1,
    )  # fmt: skip
    message = render(sample, channel)
    try:
        send(channel, message, "test")
    finally:
        record(AuditAction.JOB, actor=actor, target_type="alerts.channel", target_ref=channel.name,
               detail={"test": True})  # fmt: skip
    return message

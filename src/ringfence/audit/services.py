"""Writing to the audit trail. Every view of personal data and every change calls ``record``."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import AuditAction, AuditEvent

GENESIS = "0" * 64


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "user_id": event.user_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_ref": event.target_ref,
        "detail": event.detail,
        "ip_address": event.ip_address,
    }


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: AuditAction | str,
    *,
    actor: str | None = None,
    request: HttpRequest | None = None,
    target_type: str = "",
    target_ref: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; the actor comes from ``request.user`` when a request is given."""
    user = None
    ip = None
    if request is not None:
        ip = _client_ip(request)
        if request.user.is_authenticated:
            user = request.user
            actor = actor or request.user.get_username()
    event = AuditEvent(
        at=timezone.now(),
        actor=actor or "anonymous",
        user_id=getattr(user, "pk", None),
        action=str(action),
        target_type=target_type,
        target_ref=str(target_ref)[:300],
        detail=detail or {},
        ip_address=ip,
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # One writer at a time keeps the chain linear.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x41554454])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event.prev_hash = last or GENESIS
        event.hash = _digest(event.prev_hash, chained_fields(event))
        event.save(force_insert=True)
    return event


def verify_chain() -> list[str]:
    """Problems found in the chain (empty when intact): altered entries and gaps."""
    problems: list[str] = []
    prev = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            problems.append(f"audit event {event.pk}: previous hash does not match (entry removed before it)")
        if _digest(event.prev_hash, chained_fields(event)) != event.hash:
            problems.append(f"audit event {event.pk}: content does not match its hash (entry altered)")
        prev = event.hash
    return problems

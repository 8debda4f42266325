"""Writes of the log part outside the lake: issuing and revoking stream tokens (audited)."""

from __future__ import annotations

import secrets

from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError

from .ingest.http_intake import token_digest
from .ingest.models import StreamToken


def issue_token(source: str, *, label: str = "", actor: str) -> str:
    """A new bearer token for ``source``; returned once, only its SHA-256 is stored."""
    if not source:
        raise RingfenceError(_("a source id is required"))
    secret = secrets.token_urlsafe(32)
    issued = StreamToken.objects.create(source=source, label=label[:200], token_sha256=token_digest(secret))
    record(AuditAction.CREATE, actor=actor, target_type="stream_token", target_ref=source,
           detail={"label": label, "id": issued.pk})  # fmt: skip
    return secret


def revoke_tokens(source: str, *, actor: str, label: str | None = None) -> int:
    """Revoke the source's tokens (those with ``label`` only, if given); returns how many."""
    tokens = StreamToken.objects.filter(source=source, revoked_at__isnull=True)
    if label is not None:
        tokens = tokens.filter(label=label)
    count = tokens.update(revoked_at=timezone.now())
    record(AuditAction.CHANGE, actor=actor, target_type="stream_token", target_ref=source,
           detail={"revoked": count, "label": label})  # fmt: skip
    return count

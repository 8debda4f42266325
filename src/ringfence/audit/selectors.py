"""Reads of the audit trail for its page and its CSV export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ringfence.core.timeutil import start_of_day_jst

from .models import AuditAction, AuditEvent


@dataclass(frozen=True)
class TrailFilter:
    """What the auditor asked for: all parts optional; dates are whole JST days, both inclusive."""

    actor: str = ""
    action: str = ""
    target: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def parse_day(raw: str | None) -> dt.date | None:
    """A YYYY-MM-DD day, or None when empty or unreadable."""
    try:
        return dt.date.fromisoformat((raw or "").strip()) if raw else None
    except ValueError:
        return None


def filtered_events(f: TrailFilter) -> QuerySet[AuditEvent]:
    """Events matching the filter, newest first."""
    qs = AuditEvent.objects.all()
    if f.actor:
        qs = qs.filter(actor__icontains=f.actor)
    if f.action and f.action in AuditAction.values:
        qs = qs.filter(action=f.action)
    if f.target:
        qs = qs.filter(Q(target_type__icontains=f.target) | Q(target_ref__icontains=f.target))
    if f.date_from:
        qs = qs.filter(at__gte=start_of_day_jst(f.date_from))
    if f.date_to:
        qs = qs.filter(at__lt=start_of_day_jst(f.date_to + dt.timedelta(days=1)))
    return qs.order_by("-id")

"""Codes of the alerts app: alert status, severity, how an alert was found, notification channels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertStatus(models.TextChoices):
    """Where an alert stands in triage (対応状況). ``suppressed`` alerts are kept for the audit trail."""

    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    INVESTIGATING = "investigating", _("Investigating")
    CLOSED_VIOLATION = "closed_violation", _("Closed: violation")
    CLOSED_BENIGN = "closed_benign", _("Closed: benign")
    CLOSED_FALSE_POSITIVE = "closed_false_positive", _("Closed: false positive")
    SUPPRESSED = "suppressed", _("Suppressed")


OPEN_STATUSES = frozenset({AlertStatus.NEW, AlertStatus.ASSIGNED, AlertStatus.INVESTIGATING})
CLOSED_STATUSES = frozenset(
    {AlertStatus.CLOSED_VIOLATION, AlertStatus.CLOSED_BENIGN, AlertStatus.CLOSED_FALSE_POSITIVE}
)


class Severity(models.TextChoices):
    """Sigma levels, lowest first."""

    INFORMATIONAL = "informational", _("Informational")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK: dict[str, int] = {code: rank for rank, code in enumerate(Severity.values)}


def severity_rank(level: str) -> int:
    """Order of a Sigma level (informational 0 … critical 4); an unknown level ranks as medium."""
    return SEVERITY_RANK.get(level, SEVERITY_RANK[Severity.MEDIUM])


class FoundBy(models.TextChoices):
    """Which detection found the incident first."""

    BATCH = "batch", _("Batch analysis")
    LIVE = "live", _("Live monitoring")


class ChannelKind(models.TextChoices):
    """How a notification channel delivers."""

    SMTP = "smtp", _("E-mail (SMTP)")
    WEBHOOK = "webhook", _("Webhook (JSON POST)")


class DeliveryStatus(models.TextChoices):
    """State of one notification of one alert on one channel."""

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (retries exhausted)")

"""Alerts (アラート): one per incident of a rule and an entity, with evidence, triage history, comments,
suppressions, and the notification channels and deliveries.

Alerts are never deleted. Evidence rows are kept up to ``EVIDENCE_CAP`` per alert (enough to show and to
export; the events themselves stay in the lake); ``event_count`` counts every event of the incident, also
those beyond the cap (see ``services.intake`` for how it stays exact).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import AlertStatus, ChannelKind, DeliveryStatus, FoundBy, Severity

EVIDENCE_CAP = 2000


class Suppression(models.Model):
    """A decision that findings matching some fields are known and need no one's attention until a date.

    Blank match fields match anything; at least one field (or a rule) must be given. A suppression never
    hides an alert: matching findings become alerts with status ``suppressed``, without notification.
    """

    rule_id = models.CharField(_("rule"), max_length=200, blank=True, help_text=_("Blank: any rule."))
    entity = models.CharField(_("entity"), max_length=300, blank=True)
    system = models.CharField(_("system"), max_length=64, blank=True)
    account = models.CharField(_("account"), max_length=200, blank=True)
    person = models.CharField(_("person (employee number)"), max_length=64, blank=True)
    terminal = models.CharField(_("terminal"), max_length=200, blank=True)
    reason = models.TextField(_("reason"))
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    active = models.BooleanField(_("active"), default=True)
    ended_by = models.CharField(_("ended by"), max_length=150, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("suppression")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["active", "expires_at"])]

    def __str__(self) -> str:
        return f"suppression {self.pk} {self.rule_id or '*'}"

    def match_fields(self) -> dict[str, str]:
        """The fields this suppression requires, with their values."""
        names = ("rule_id", "entity", "system", "account", "person", "terminal")
        return {name: getattr(self, name) for name in names if getattr(self, name)}


class Alert(models.Model):
    """One incident: a rule that matched, an entity (account, person, address…) and a window of time."""

    key = models.CharField(_("incident key"), max_length=64, unique=True)
    rule_id = models.CharField(_("rule"), max_length=200, db_index=True)
    rule_title = models.CharField(_("rule title"), max_length=300)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    entity = models.CharField(_("entity"), max_length=300)
    system = models.CharField(_("system"), max_length=64, blank=True, db_index=True)
    account = models.CharField(_("account"), max_length=200, blank=True)
    person = models.CharField(_("person (employee number)"), max_length=64, blank=True, db_index=True)
    terminal = models.CharField(_("terminal"), max_length=200, blank=True)
    source_ip = models.CharField(_("source address"), max_length=64, blank=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    first_seen = models.DateTimeField(_("first event"))
    last_seen = models.DateTimeField(_("last event"))
    event_count = models.PositiveBigIntegerField(_("events"), default=0)
    status = models.CharField(
        _("status"), max_length=30, choices=AlertStatus.choices, default=AlertStatus.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"),
    )  # fmt: skip
    resolution = models.TextField(_("resolution"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    found_by = models.CharField(_("found by"), max_length=10, choices=FoundBy.choices, default=FoundBy.BATCH)
    suppression = models.ForeignKey(
        Suppression, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts",
        verbose_name=_("suppression"),
    )  # fmt: skip
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("alert")
        ordering = ("-first_seen", "-id")
        indexes = [
            models.Index(fields=["status", "severity"]),
            models.Index(fields=["first_seen"]),
            models.Index(fields=["account"]),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} {self.rule_id} {self.entity}"

    @property
    def is_open(self) -> bool:
        """Whether someone still has to act on the alert."""
        return self.status in (AlertStatus.NEW, AlertStatus.ASSIGNED, AlertStatus.INVESTIGATING)


class AlertEvidence(models.Model):
    """One lake event an alert rests on (the event itself stays in the lake; this is the link)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="evidence")
    event_id = models.CharField(_("event ID"), max_length=64)
    time = models.DateTimeField(_("time"))
    system = models.CharField(_("system"), max_length=64)

    class Meta:
        verbose_name = _("evidence event")
        ordering = ("time", "event_id")
        constraints = [models.UniqueConstraint(fields=["alert", "event_id"], name="alerts_evidence_once")]

    def __str__(self) -> str:
        return self.event_id


class AlertTransition(models.Model):
    """One step of an alert's triage history: from which status to which, by whom, why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from"), max_length=30, choices=AlertStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=30, choices=AlertStatus.choices)
    actor = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)
    assignee = models.CharField(_("assignee"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("alert transition")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class AlertComment(models.Model):
    """A note an analyst wrote on an alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="comments")
    author = models.CharField(_("author"), max_length=150)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("alert comment")
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"comment {self.pk} on alert {self.alert_id}"


class NotificationChannel(models.Model):
    """Where alerts are announced: an e-mail list or a webhook, from a minimum severity."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    target = models.CharField(
        _("target"), max_length=1000, help_text=_("E-mail addresses separated by commas, or the webhook URL.")
    )
    min_severity = models.CharField(
        _("minimum severity"), max_length=20, choices=Severity.choices, default=Severity.MEDIUM
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    secret = models.CharField(
        _("signing secret"), max_length=200, blank=True, help_text=_("HMAC-SHA256 key of webhook signatures.")
    )
    subject_template = models.CharField(
        _("subject template"),
        max_length=500,
        blank=True,
        help_text=_("Blank: the built-in Japanese subject."),
    )
    body_template = models.TextField(
        _("body template"), blank=True, help_text=_("Blank: the built-in Japanese text.")
    )
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification channel")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class NotificationDelivery(models.Model):
    """One notification of one alert on one channel, with its attempts. Never blocks the alert itself."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.PROTECT, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        ordering = ("-created_at", "-id")
        constraints = [models.UniqueConstraint(fields=["alert", "channel"], name="alerts_notify_once")]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.channel} ← alert {self.alert_id}: {self.status}"

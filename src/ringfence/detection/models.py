"""Detection records kept in the database: rule settings (with their history) and analysis runs.

Rules themselves are Sigma YAML files (the built-in pack and the user's rules folder); what the database
adds is what people decide about them — enabled or not, a tuned threshold or timespan — and the record of
every batch analysis.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleSetting(models.Model):
    """One version of the settings of one rule. Append-only: a change adds a version, never edits one.

    The newest version of a rule is in force. ``threshold`` replaces the count of a correlation rule's
    condition (e.g. ``gte: 20`` → ``gte: 50``); ``timespan`` replaces its timespan (Sigma notation, ``30m``).
    Both are empty when the rule's own values apply.
    """

    rule_id = models.CharField(_("rule"), max_length=100, db_index=True)
    version = models.PositiveIntegerField(_("version"))
    enabled = models.BooleanField(_("enabled"), default=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    timespan = models.CharField(_("timespan"), max_length=20, blank=True)
    reason = models.TextField(_("reason"))
    changed_by = models.CharField(_("changed by"), max_length=150)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("rule setting")
        ordering = ("rule_id", "-version")
        constraints = [models.UniqueConstraint(fields=["rule_id", "version"], name="detection_rule_version")]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class AnalysisRun(models.Model):
    """One batch analysis of a period of the lake (``ringfence analyze`` or a campaign)."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    systems = models.JSONField(
        _("systems"), default=list, blank=True, help_text=_("Empty means all systems.")
    )
    ruleset_digest = models.CharField(_("rule set digest"), max_length=64)
    rules = models.PositiveIntegerField(_("rules"), default=0)
    events = models.BigIntegerField(_("events"), default=0)
    matches = models.BigIntegerField(_("matched events"), default=0)
    findings = models.PositiveIntegerField(_("findings"), default=0)
    alerts_new = models.PositiveIntegerField(_("new alerts"), default=0)
    alerts_updated = models.PositiveIntegerField(_("updated alerts"), default=0)
    per_rule = models.JSONField(_("findings per rule"), default=dict, blank=True)
    duration_s = models.FloatField(_("duration (s)"), default=0.0)
    actor = models.CharField(_("actor"), max_length=150)

    class Meta:
        verbose_name = _("analysis run")
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"analysis {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

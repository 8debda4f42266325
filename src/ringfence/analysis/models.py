"""Analysis campaigns (ログ分析キャンペーン): one period of access logs, the systems in scope, the figures computed
for each system, the conclusion per system, findings tracked to closure, and reviewer/approver sign-off.

A campaign is computed from two pinned inputs — the registry as known at ``registry_known_at`` and the lake
files listed in ``pinned_files`` (manifest sequence ``lake_seq``) — so computing it again gives the same
figures. Once every system is approved the campaign is frozen: ``frozen_report`` holds the whole report as
JSON and ``report_sha256`` its SHA-256; nothing of it changes afterwards.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ringfence.registry.models import InformationSystem


class CampaignKind(models.TextChoices):
    """Why a campaign exists."""

    PERIODIC = "periodic", _("Periodic analysis")
    GO_LIVE = "go_live", _("Go-live verification")


class CampaignStatus(models.TextChoices):
    """Where a campaign stands; ``approved`` means frozen."""

    PLANNED = "planned", _("Planned")
    COMPUTED = "computed", _("Computed, awaiting sign-off")
    APPROVED = "approved", _("Approved and frozen")


class Conclusion(models.TextChoices):
    """The conclusion on one system's access restrictions (see docs/analysis.md for the rule)."""

    FUNCTIONING = "functioning", _("Functioning")
    NOT_FUNCTIONING = "not_functioning", _("Not functioning")
    CANNOT_CONCLUDE = "cannot_conclude", _("Cannot conclude")


class Campaign(models.Model):
    """One analysis of a period [start, end) of the access logs of some systems."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=CampaignKind.choices)
    start = models.DateTimeField(_("period start"))
    end = models.DateTimeField(_("period end"))
    due_on = models.DateField(_("sign-off due on"))
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    go_live_system = models.CharField(_("system verified after go-live"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=150)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    registry_known_at = models.DateTimeField(_("registry as known at"), null=True, blank=True)
    lake_seq = models.BigIntegerField(_("lake manifest sequence"), null=True, blank=True)
    lake_head_hash = models.CharField(_("lake manifest head hash"), max_length=64, blank=True)
    pinned_files = models.JSONField(_("lake files analysed"), default=list, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    figures_sha256 = models.CharField(_("figures SHA-256"), max_length=64, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    frozen_report = models.JSONField(_("frozen report"), default=dict, blank=True)
    report_sha256 = models.CharField(_("report SHA-256"), max_length=64, blank=True)
    reminders_sent = models.PositiveIntegerField(_("reminders sent"), default=0)
    last_reminder_on = models.DateField(_("last reminder on"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("analysis campaign")
        ordering = ("-start", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="analysis_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def frozen(self) -> bool:
        """True once approved: the report no longer changes."""
        return self.status == CampaignStatus.APPROVED


class CampaignSystem(models.Model):
    """One system in a campaign: its responsible reviewer and approver, conclusion and sign-off."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="systems")
    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="+")
    reviewer = models.CharField(_("responsible reviewer"), max_length=150, blank=True)
    approver = models.CharField(_("responsible approver"), max_length=150, blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=20, choices=Conclusion.choices, blank=True)
    reasons = models.JSONField(_("reasons for the conclusion"), default=list, blank=True)
    reviewed_by = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    approved_by = models.CharField(_("approved by"), max_length=150, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True)

    class Meta:
        verbose_name = _("system in a campaign")
        ordering = ("campaign", "system__code")
        constraints = [
            models.UniqueConstraint(fields=("campaign", "system"), name="analysis_campaign_system_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.system.code}"


class FindingStatus(models.TextChoices):
    """A finding is tracked until it is closed with a resolution."""

    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class AnalysisFinding(models.Model):
    """Something the analysis of one system found that someone must act on, by a due date."""

    campaign_system = models.ForeignKey(CampaignSystem, on_delete=models.CASCADE, related_name="findings")
    title = models.CharField(_("title"), max_length=300)
    detail = models.TextField(_("detail"), blank=True)
    owner = models.CharField(_("owner"), max_length=150)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=150)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=150, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("analysis finding")
        ordering = ("status", "due_on", "pk")

    def __str__(self) -> str:
        return self.title

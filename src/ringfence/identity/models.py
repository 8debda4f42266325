"""ID governance records: reconciliation runs and their findings, authentication-function reviews, access
certification campaigns and password-change campaigns.

Findings are never deleted: a finding stays open until a later reconciliation no longer sees its problem
(the account gone or fixed in a later import), and the runs keep the counts, so the trend stays visible.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ringfence.registry.models import Account, InformationSystem, OrgUnit, Person

from .situations import FindingKind


class RunTrigger(models.TextChoices):
    """What started a reconciliation."""

    IMPORT = "import", _("Account-list import")
    SCHEDULE = "schedule", _("Schedule")
    MANUAL = "manual", _("Manual")


class ReconciliationRun(models.Model):
    """One reconciliation of some systems' accounts against HR and entitlements, as of one moment."""

    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))
    trigger = models.CharField(_("trigger"), max_length=20, choices=RunTrigger.choices)
    actor = models.CharField(_("actor"), max_length=150)
    systems = models.JSONField(_("systems"), default=list)
    accounts = models.PositiveIntegerField(_("accounts examined"), default=0)
    situations = models.JSONField(_("accounts per situation"), default=dict)
    opened = models.PositiveIntegerField(_("findings opened"), default=0)
    kept_open = models.PositiveIntegerField(_("findings still open"), default=0)
    resolved = models.PositiveIntegerField(_("findings resolved"), default=0)
    open_by_kind = models.JSONField(_("open findings per kind after the run"), default=dict)
    open_by_system = models.JSONField(_("open findings per system after the run"), default=dict)
    policy = models.JSONField(_("policy applied"), default=dict)
    seconds = models.FloatField(_("duration (s)"), default=0.0)

    class Meta:
        verbose_name = _("reconciliation run")
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"run {self.pk} {self.as_of:%Y-%m-%d}"


class FindingStatus(models.TextChoices):
    """A finding is open until a later reconciliation shows the account gone or fixed."""

    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class FindingSource(models.TextChoices):
    """Where a finding came from."""

    RECONCILIATION = "reconciliation", _("Reconciliation")
    CERTIFICATION = "certification", _("Access review")


RESOLUTION_LABELS = {
    "account disabled or deleted": _("Account disabled or deleted"),
    "problem no longer seen": _("Problem no longer seen in the account list"),
}


class Finding(models.Model):
    """A problem with one account, owned by the system's owner unit, due by a date."""

    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField(_("kind"), max_length=40, choices=FindingKind.choices)
    source = models.CharField(
        _("source"), max_length=20, choices=FindingSource.choices, default=FindingSource.RECONCILIATION
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    owner_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("responsible unit (system owner)"),
    )  # fmt: skip
    subject = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("account owner"),
    )  # fmt: skip
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    due_on = models.DateField(_("due on"))
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_seen_run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("finding")
        ordering = ("due_on", "system", "account")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind"], condition=Q(status="open"), name="identity_one_open_finding"
            )
        ]
        indexes = [models.Index(fields=["status", "system"]), models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.account_id}"

    @property
    def resolution_label(self) -> str:
        """The resolution in the reader's language (stored as a stable English code)."""
        return str(RESOLUTION_LABELS.get(self.resolution, self.resolution))


class FindingNote(models.Model):
    """A system owner's note on a finding (planned remedy, ticket number). Notes never close a finding."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="notes")
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    author = models.CharField(_("author"), max_length=150)
    text = models.TextField(_("note"))

    class Meta:
        verbose_name = _("finding note")
        ordering = ("written_at",)

    def __str__(self) -> str:
        return f"note {self.pk} on {self.finding_id}"


class AuthCheckItem(models.TextChoices):
    """The authentication functions every system is checked for."""

    PERSONAL_IDS = "personal_ids", _("Per-person IDs")
    PASSWORD_POLICY = "password_policy", _("Password policy")
    LOCKOUT = "lockout", _("Account lockout")
    TWO_FACTOR = "two_factor", _("Two-factor login")
    SESSION_TIMEOUT = "session_timeout", _("Session time-out")
    LOG_OUTPUT = "log_output", _("Access-log output")


class CheckResult(models.TextChoices):
    """Answer to one checklist item."""

    MET = "met", _("Met")
    PARTIAL = "partial", _("Partly met")
    NOT_MET = "not_met", _("Not met")
    NOT_APPLICABLE = "na", _("Not applicable")


class AuthCheckReview(models.Model):
    """A reviewed authentication-function checklist of one system, with evidence and the next review date."""

    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="+")
    reviewed_on = models.DateField(_("reviewed on"))
    next_review_due = models.DateField(_("next review due"))
    reviewer = models.CharField(_("reviewer"), max_length=150)
    results = models.JSONField(
        _("results"), default=dict, help_text=_("Checklist item -> {result, evidence}.")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("authentication-function review")
        ordering = ("system", "-reviewed_on", "-recorded_at")

    def __str__(self) -> str:
        return f"{self.system_id} {self.reviewed_on}"


class CampaignStatus(models.TextChoices):
    """A campaign is open until closed by the conduct-regulation office."""

    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CertificationCampaign(models.Model):
    """An access review: line managers confirm or revoke their staff's accounts on the chosen systems."""

    name = models.CharField(_("name"), max_length=200)
    as_of = models.DateTimeField(_("accounts as of"))
    due_on = models.DateField(_("due on"))
    escalate_after_days = models.PositiveIntegerField(_("escalate after (days overdue)"), default=7)
    systems = models.ManyToManyField(InformationSystem, related_name="+", verbose_name=_("systems"))
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access review campaign")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.name


class Decision(models.TextChoices):
    """A reviewer's decision on one account."""

    PENDING = "pending", _("Not yet reviewed")
    KEEP = "keep", _("Keep")
    REVOKE = "revoke", _("Revoke")


class CertificationItem(models.Model):
    """One account of one member of staff, to be kept or revoked by their line manager."""

    campaign = models.ForeignKey(CertificationCampaign, on_delete=models.PROTECT, related_name="items")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reviewer = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    escalated_to = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    privilege = models.CharField(_("privilege"), max_length=64, blank=True)
    entitled = models.CharField(_("entitled level"), max_length=20, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.CharField(_("decided by"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(_("reminders sent"), default=0)
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("access review item")
        ordering = ("campaign", "unit", "subject", "system")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "account"], name="identity_one_item_per_account")
        ]
        indexes = [models.Index(fields=["campaign", "unit", "decision"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.account_id}"


class PasswordCampaign(models.Model):
    """A company-wide password change: every active account of the systems must change by the deadline."""

    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("changes count from"))
    deadline = models.DateField(_("deadline"))
    systems = models.ManyToManyField(InformationSystem, related_name="+", verbose_name=_("systems"))
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("password-change campaign")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.name


class UploadedAccountList(models.Model):
    """An account list a system owner uploaded in the web, kept as evidence of what was imported when."""

    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.CharField(_("uploaded by"), max_length=150)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("uploaded account list")
        ordering = ("-uploaded_at",)

    def __str__(self) -> str:
        return self.file_name

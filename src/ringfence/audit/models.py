from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    CHANGE = "change", _("Changed")
    DELETE = "delete", _("Deleted")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Login failed")
    DENIED = "denied", _("Access denied")
    PURGE = "purge", _("Purged")
    JOB = "job", _("Job ran")


class AuditEvent(models.Model):
    """One entry of the append-only audit trail, chained to the previous one by SHA-256.

    The database refuses UPDATE and DELETE on this table (triggers in the migration), and the hash chain
    lets `verify_chain` detect an entry altered or removed behind the database's back.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(_("actor"), max_length=150, help_text=_("Login name, or system:<job> for jobs."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True, db_constraint=False
    )
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_ref = models.CharField(_("target"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)

    class Meta:
        verbose_name = _("audit event")
        ordering = ("-id",)
        indexes = [models.Index(fields=["target_type", "target_ref"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_type}:{self.target_ref}"

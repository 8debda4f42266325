from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ringfence.core.temporal import TemporalRecord

from ..choices import AccessLevel, AccountKind, AccountStatus
from .base import EntityVersion, RegistryEntity
from .organisation import OrgUnit, Person, Role


class InformationSystem(RegistryEntity):
    """A system in the catalogue of systems that may hold non-public information (非公開情報)."""

    code = models.CharField(_("system code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("information system")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class SystemVersion(EntityVersion):
    """What a system is over an interval: names, owner, data held, authentication features."""

    entity = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="versions")
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    owner_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    holds_non_public = models.BooleanField(_("holds non-public information"), default=True)
    data_classes = models.JSONField(_("data classes held"), default=list, blank=True)
    go_live = models.DateField(_("go-live date"), null=True, blank=True)
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    auth_features = models.JSONField(_("authentication features"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta(EntityVersion.Meta):
        verbose_name = _("system version")


class Entitlement(TemporalRecord):
    """A person or a job role is entitled to a function of a system at a level, over an interval."""

    TIMELINE_KEY = ("system", "person", "role", "function")

    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="entitlements")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="entitlements"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, null=True, blank=True, related_name="entitlements")
    function = models.CharField(
        _("function"), max_length=64, default="*", help_text=_("Function of the system; * means all.")
    )
    level = models.CharField(_("level"), max_length=20, choices=AccessLevel.choices, default=AccessLevel.VIEW)

    class Meta(TemporalRecord.Meta):
        verbose_name = _("entitlement")
        constraints = [
            *TemporalRecord.Meta.constraints,
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(role__isnull=True))
                | (Q(person__isnull=True) & Q(role__isnull=False)),
                name="registry_entitlement_one_grantee",
            ),
        ]
        indexes = [models.Index(fields=["system", "valid_from"])]


class Account(RegistryEntity):
    """An ID registered in one system."""

    system = models.ForeignKey(InformationSystem, on_delete=models.PROTECT, related_name="accounts")
    account_id = models.CharField(_("account ID"), max_length=128)

    class Meta:
        verbose_name = _("account")
        ordering = ("system", "account_id")
        constraints = [models.UniqueConstraint(fields=["system", "account_id"], name="registry_account_unique")]

    def __str__(self) -> str:
        return f"{self.system.code}:{self.account_id}"


class AccountVersion(EntityVersion):
    """Owner, kind and state of an account over an interval."""

    entity = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="versions")
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=AccountKind.choices, default=AccountKind.PERSONAL)
    status = models.CharField(
        _("status"), max_length=20, choices=AccountStatus.choices, default=AccountStatus.ENABLED
    )
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    privilege = models.CharField(_("privilege in the system"), max_length=64, blank=True)
    created_on = models.DateField(_("created on"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password last changed"), null=True, blank=True)
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta(EntityVersion.Meta):
        verbose_name = _("account version")
        indexes = [models.Index(fields=["owner", "valid_from"])]

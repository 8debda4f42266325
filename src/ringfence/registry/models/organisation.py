from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ringfence.core.temporal import TemporalRecord

from ..choices import EmploymentType, PersonStatus, ResponsibilityRole, UnitKind
from .base import EntityVersion, RegistryEntity


class OrgUnit(RegistryEntity):
    """An organisation unit (本店・本部・支社・事業所・課), identified by its unit code."""

    code = models.CharField(_("unit code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class OrgUnitVersion(EntityVersion):
    """Name, kind and place in the tree of a unit over an interval (reorganisations keep history)."""

    entity = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="child_versions"
    )

    class Meta(EntityVersion.Meta):
        verbose_name = _("organisation unit version")


class Person(RegistryEntity):
    """Anyone who may hold an ID: own employees, contractors, affiliate staff, seconded and external staff."""

    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ("employee_number",)

    def __str__(self) -> str:
        return self.employee_number


class PersonVersion(EntityVersion):
    """Who a person was over an interval: name, unit, employment type and status."""

    entity = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="versions")
    name_kanji = models.CharField(_("name (kanji)"), max_length=100)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    employment_type = models.CharField(_("employment type"), max_length=20, choices=EmploymentType.choices)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PersonStatus.choices, default=PersonStatus.ACTIVE
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta(EntityVersion.Meta):
        verbose_name = _("person version")
        indexes = [models.Index(fields=["unit", "valid_from"])]


class UnitResponsibility(TemporalRecord):
    """A person responsible for a unit (行為規制責任者, 行為規制管理者, 所属長) over an interval."""

    TIMELINE_KEY = ("unit", "person", "role")

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="responsibilities")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="responsibilities")
    role = models.CharField(_("role"), max_length=30, choices=ResponsibilityRole.choices)

    class Meta(TemporalRecord.Meta):
        verbose_name = _("unit responsibility")
        verbose_name_plural = _("unit responsibilities")


class Role(models.Model):
    """A job role to which entitlements can be granted (e.g. 料金計算担当)."""

    code = models.CharField(_("role code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("job role")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class RoleMembership(TemporalRecord):
    """A person holds a job role over an interval."""

    TIMELINE_KEY = ("role", "person")

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="role_memberships")

    class Meta(TemporalRecord.Meta):
        verbose_name = _("role membership")

"""Role assignments: which login holds which role, over which units or systems, until when."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ringfence.registry.models import InformationSystem, OrgUnit

from .roles import EXPIRING_ROLES, AppRole


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    """Filters for assignments in force."""

    def in_force(self, at: dt.datetime | None = None) -> RoleAssignmentQuerySet:
        """Assignments that grant something at ``at`` (default now): started and not expired."""
        at = at or timezone.now()
        return self.filter(valid_from__lte=at).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))


class RoleAssignment(models.Model):
    """A login holds a role from ``valid_from`` until ``valid_until`` (exclusive; empty = no end).

    A line manager's assignment names the units they answer for (the units below them follow, as of the
    date viewed); a system owner's names their systems. Other roles see the whole registry.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=AppRole.choices)
    units = models.ManyToManyField(OrgUnit, blank=True, related_name="+", verbose_name=_("units"))
    systems = models.ManyToManyField(
        InformationSystem, blank=True, related_name="+", verbose_name=_("systems")
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        ordering = ("user", "role")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="authz_one_assignment_per_role")]

    def __str__(self) -> str:
        return f"{self.user} {self.role}"

    def clean(self) -> None:
        """External reviewers get a deadline; an interval must not end before it starts."""
        if self.role in EXPIRING_ROLES and self.valid_until is None:
            raise ValidationError({"valid_until": _("This role must have an end date.")})
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": _("The end must be after the start.")})

"""The roles of ringfence and what each may do. Permission checks read this table and nothing else."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppRole(models.TextChoices):
    """Roles a login can hold. Scope (units, systems) and validity live on the assignment."""

    ADMIN = "admin", _("Administrator")
    CONDUCT_OFFICER = "conduct_officer", _("Conduct-regulation officer")
    ANALYST = "analyst", _("Monitoring analyst")
    LINE_MANAGER = "line_manager", _("Line manager")
    AUDITOR = "auditor", _("Internal auditor")
    SYSTEM_OWNER = "system_owner", _("System owner")
    EXTERNAL_REVIEWER = "external_reviewer", _("External reviewer")


class Perm(models.TextChoices):
    """Permissions a view declares. A view that declares none is refused (see DefaultDenyMiddleware)."""

    REGISTRY_VIEW = "registry.view", _("See the registry's non-personal pages (units, systems)")
    PEOPLE_VIEW = "people.view", _("See people (personal data)")
    ACCOUNTS_VIEW = "accounts.view", _("See accounts and their owners")
    TERMINALS_VIEW = "terminals.view", _("See the terminal ledger")
    AUDIT_VIEW = "audit.view", _("See the audit trail")
    AUDIT_EXPORT = "audit.export", _("Export the audit trail")
    ADMIN_SITE = "admin.site", _("Use the administration site")
    LOGS_VIEW = "logs.view", _("See log sources and their health")
    EVENTS_SEARCH = "events.search", _("Search access events (personal data)")
    SOURCES_MANAGE = "sources.manage", _("Create and change log-source definitions")
    ALERTS_VIEW = "alerts.view", _("See detection alerts and their evidence (personal data)")
    ALERTS_TRIAGE = "alerts.triage", _("Assign, investigate and close alerts; manage suppressions")
    RULES_VIEW = "rules.view", _("See detection rules")
    RULES_MANAGE = "rules.manage", _("Enable, disable and tune detection rules; manage notifications")
    ANALYSIS_VIEW = "analysis.view", _("See periodic analysis campaigns and their reports")
    ANALYSIS_MANAGE = "analysis.manage", _("Create and run analysis campaigns; record findings")
    ANALYSIS_REVIEW = "analysis.review", _("Sign a system's analysis as reviewer")
    ANALYSIS_APPROVE = "analysis.approve", _("Approve and freeze an analysis campaign")


_READ_ALL = {Perm.REGISTRY_VIEW, Perm.PEOPLE_VIEW, Perm.ACCOUNTS_VIEW, Perm.TERMINALS_VIEW}
_LOGS = {Perm.LOGS_VIEW, Perm.EVENTS_SEARCH}  # monitoring and its oversight: analyst, officer, auditor, admin
_DETECTION_READ = {Perm.ALERTS_VIEW, Perm.RULES_VIEW, Perm.ANALYSIS_VIEW}
_DETECTION_WORK = {Perm.ALERTS_TRIAGE, Perm.ANALYSIS_MANAGE, Perm.ANALYSIS_REVIEW}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    AppRole.ADMIN: frozenset(
        {
            *_READ_ALL,
            *_LOGS,
            *_DETECTION_READ,
            *_DETECTION_WORK,
            Perm.AUDIT_VIEW,
            Perm.AUDIT_EXPORT,
            Perm.ADMIN_SITE,
            Perm.SOURCES_MANAGE,
            Perm.RULES_MANAGE,
            Perm.ANALYSIS_APPROVE,
        }
    ),
    AppRole.CONDUCT_OFFICER: frozenset(
        {
            *_READ_ALL,
            *_LOGS,
            *_DETECTION_READ,
            *_DETECTION_WORK,
            Perm.AUDIT_VIEW,
            Perm.AUDIT_EXPORT,
            Perm.SOURCES_MANAGE,
            Perm.RULES_MANAGE,
            Perm.ANALYSIS_APPROVE,
        }
    ),
    AppRole.ANALYST: frozenset({*_READ_ALL, *_LOGS, *_DETECTION_READ, *_DETECTION_WORK, Perm.RULES_MANAGE}),
    AppRole.LINE_MANAGER: frozenset(_READ_ALL),
    AppRole.AUDITOR: frozenset({*_READ_ALL, *_LOGS, *_DETECTION_READ, Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT}),
    AppRole.SYSTEM_OWNER: frozenset(
        {Perm.REGISTRY_VIEW, Perm.ACCOUNTS_VIEW, Perm.ANALYSIS_VIEW, Perm.ANALYSIS_REVIEW}
    ),
    AppRole.EXTERNAL_REVIEWER: frozenset({*_READ_ALL, Perm.ANALYSIS_VIEW}),
}

# Roles whose registry scope is everything; the others see only the units or systems they are given.
UNSCOPED_ROLES = frozenset(
    {AppRole.ADMIN, AppRole.CONDUCT_OFFICER, AppRole.ANALYST, AppRole.AUDITOR, AppRole.EXTERNAL_REVIEWER}
)
UNIT_SCOPED_ROLES = frozenset({AppRole.LINE_MANAGER})
SYSTEM_SCOPED_ROLES = frozenset({AppRole.SYSTEM_OWNER})
# Roles that may only be granted with an end date.
EXPIRING_ROLES = frozenset({AppRole.EXTERNAL_REVIEWER})

"""Code lists of the registry. Stored values are stable English codes; labels are translated (ja first)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    DIVISION = "division", _("Division")
    BRANCH = "branch", _("Branch")
    OFFICE = "office", _("Office")
    SECTION = "section", _("Section")


class ResponsibilityRole(models.TextChoices):
    CONDUCT_OFFICER = "conduct_officer", _("Conduct-regulation officer")
    CONDUCT_MANAGER = "conduct_manager", _("Conduct-regulation manager")
    LINE_MANAGER = "line_manager", _("Line manager")


class EmploymentType(models.TextChoices):
    OWN_EMPLOYEE = "own_employee", _("Own employee")
    CONTRACTOR = "contractor", _("Contractor")
    AFFILIATE = "affiliate", _("Affiliate (specified related business operator) staff")
    SECONDED = "seconded", _("Seconded")
    EXTERNAL = "external", _("External")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_LEAVE = "on_leave", _("On leave")
    TRANSFERRED = "transferred", _("Transferred out")
    RETIRED = "retired", _("Retired")


class DataClass(models.TextChoices):
    CUSTOMER_CONTACT = "customer_contact", _("Customer name, address, phone")
    SUPPLY_POINT_ID = "supply_point_id", _("Supply point ID")
    CONTRACT_DETAILS = "contract_details", _("Contract details")
    USAGE_30MIN = "usage_30min", _("30-minute usage data")
    SWITCHING = "switching", _("Switching data")
    RENEWABLE_GENERATOR = "renewable_generator", _("Renewable-generator data")


class AuthFeature(models.TextChoices):
    PERSONAL_IDS = "personal_ids", _("Personal IDs")
    PASSWORD_POLICY = "password_policy", _("Password policy")
    LOCKOUT = "lockout", _("Account lockout")
    TWO_FACTOR = "two_factor", _("Two-factor login")
    SESSION_TIMEOUT = "session_timeout", _("Session time-out")
    LOG_OUTPUT = "log_output", _("Access-log output")
    IP_RESTRICTION = "ip_restriction", _("Source-address restriction")


class AccountKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    SHARED = "shared", _("Shared")
    SERVICE = "service", _("Service")
    EMERGENCY_TEMPORARY = "emergency_temporary", _("Emergency temporary")


class AccountStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", _("Disabled")
    LOCKED = "locked", _("Locked")
    DELETED = "deleted", _("Deleted")


class AccessLevel(models.TextChoices):
    VIEW = "view", _("View")
    UPDATE = "update", _("Update")
    EXPORT = "export", _("Export")
    ADMIN = "admin", _("Administer")


class TerminalType(models.TextChoices):
    DESKTOP = "desktop", _("Desktop PC")
    LAPTOP = "laptop", _("Laptop PC")
    TABLET = "tablet", _("Tablet")
    THIN_CLIENT = "thin_client", _("Thin client")
    SMARTPHONE = "smartphone", _("Smartphone")


class TerminalStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    IN_STOCK = "in_stock", _("In stock")
    LENT = "lent", _("Lent")
    LOST = "lost", _("Lost")
    DISPOSED = "disposed", _("Disposed")


class ZoneKind(models.TextChoices):
    TD_ONLY = "td_only", _("T&D only")
    AFFILIATE = "affiliate", _("Affiliate")
    SHARED = "shared", _("Shared")

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import TerminalStatus, TerminalType, ZoneKind
from .base import EntityVersion, RegistryEntity
from .organisation import OrgUnit, Person


class Zone(RegistryEntity):
    """A security zone of rooms and networks: T&D-only, affiliate, or shared."""

    code = models.CharField(_("zone code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("zone")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class ZoneVersion(EntityVersion):
    entity = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ZoneKind.choices)
    site = models.CharField(_("site"), max_length=200, blank=True)

    class Meta(EntityVersion.Meta):
        verbose_name = _("zone version")


class Room(RegistryEntity):
    """A room behind ID-card entry control; its zone says who may be there."""

    code = models.CharField(_("room code"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("room")
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code


class RoomVersion(EntityVersion):
    entity = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField(_("name"), max_length=200)
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    building = models.CharField(_("building"), max_length=200, blank=True)
    floor = models.CharField(_("floor"), max_length=20, blank=True)

    class Meta(EntityVersion.Meta):
        verbose_name = _("room version")


class NetworkSegment(RegistryEntity):
    """An address range (CIDR) whose site and zone tell where an access came from."""

    cidr = models.CharField(_("CIDR"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("network segment")
        ordering = ("cidr",)

    def __str__(self) -> str:
        return self.cidr


class NetworkSegmentVersion(EntityVersion):
    entity = models.ForeignKey(NetworkSegment, on_delete=models.PROTECT, related_name="versions")
    name = models.CharField(_("name"), max_length=200, blank=True)
    site = models.CharField(_("site"), max_length=200, blank=True)
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")

    class Meta(EntityVersion.Meta):
        verbose_name = _("network segment version")


class Terminal(RegistryEntity):
    """A terminal in the ledger (端末台帳), identified by its asset tag."""

    asset_tag = models.CharField(_("asset tag"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("terminal")
        ordering = ("asset_tag",)

    def __str__(self) -> str:
        return self.asset_tag


class TerminalVersion(EntityVersion):
    """Where a terminal was, who had it and in what state, over an interval (loans included)."""

    entity = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="versions")
    hostname = models.CharField(_("hostname"), max_length=128, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    mac_address = models.CharField(_("MAC address"), max_length=17, blank=True)
    terminal_type = models.CharField(
        _("type"), max_length=20, choices=TerminalType.choices, default=TerminalType.DESKTOP
    )
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    assigned_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    assigned_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TerminalStatus.choices, default=TerminalStatus.IN_USE
    )
    lent_to = models.CharField(_("lent to"), max_length=200, blank=True)
    lent_to_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lent_until = models.DateTimeField(_("lent until"), null=True, blank=True)
    last_checked_on = models.DateField(_("last physical check"), null=True, blank=True)

    class Meta(EntityVersion.Meta):
        verbose_name = _("terminal version")
        # Log lines name a terminal by its address: "which terminal had 10.20.1.5 at T" must not scan.
        indexes = [models.Index(fields=["ip_address", "valid_from"], name="registry_terminal_ip_idx")]

"""Writes to the places: zones, rooms and network segments (CIDR)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.core.errors import RingfenceError
from ringfence.core.temporal import ChangeResult, apply_change, end_validity

from ..models import NetworkSegment, NetworkSegmentVersion, Room, RoomVersion, Zone, ZoneVersion
from ._common import (
    Effective,
    audit_change,
    clean_values,
    effective_at,
    require_actor,
    require_code,
    require_version_at,
    room_by_code,
    segment_by_cidr,
    version_at,
    zone_by_code,
)

# ------------------------------------------------------------------------------------------------- zones


def save_zone(
    code: str,
    *,
    effective: Effective,
    actor: str,
    name: str | None = None,
    kind: str | None = None,
    site: str | None = None,
) -> Zone:
    """Create a security zone or change the given attributes from ``effective``."""
    actor = require_actor(actor)
    code = require_code(code, _("Zone code"))
    at = effective_at(effective)
    given = {"name": name, "kind": kind, "site": site}
    changes = clean_values(ZoneVersion, {k: v for k, v in given.items() if v is not None})
    with transaction.atomic():
        zone, _created = Zone.objects.get_or_create(code=code)
        existing = ZoneVersion.objects.filter(entity=zone).known_at().exists()
        if not existing and not (changes.get("name") and changes.get("kind")):
            raise RingfenceError(_("A new zone needs a name and a kind."))
        if not changes:
            raise RingfenceError(_("Nothing to change for zone %(code)s.") % {"code": code})
        result = apply_change(ZoneVersion, {"entity": zone}, changes, at, source=actor)
        audit_change(
            AuditAction.CHANGE if existing else AuditAction.CREATE,
            actor=actor,
            target_type="registry.zone",
            target_ref=code,
            operation="save_zone",
            effective_from=at,
            values=changes,
            result=result,
        )
    return zone


def _zone_valid_at(zone_code: str, at: dt.datetime) -> Zone:
    zone = zone_by_code(zone_code)
    require_version_at(ZoneVersion, at, _("Zone %(code)s") % {"code": zone_code}, entity=zone)
    return zone


# ------------------------------------------------------------------------------------------------- rooms


def save_room(
    code: str,
    *,
    effective: Effective,
    actor: str,
    name: str | None = None,
    zone_code: str | None = None,
    building: str | None = None,
    floor: str | None = None,
) -> Room:
    """Create a room or change its name, zone, building or floor from ``effective``."""
    actor = require_actor(actor)
    code = require_code(code, _("Room code"))
    at = effective_at(effective)
    given = {"name": name, "building": building, "floor": floor}
    changes = clean_values(RoomVersion, {k: v for k, v in given.items() if v is not None})
    with transaction.atomic():
        room, _created = Room.objects.get_or_create(code=code)
        existing = RoomVersion.objects.filter(entity=room).known_at().exists()
        if zone_code is not None:
            changes["zone"] = _zone_valid_at(zone_code, at)
        if not existing and not (changes.get("name") and changes.get("zone")):
            raise RingfenceError(_("A new room needs a name and a zone."))
        if not changes:
            raise RingfenceError(_("Nothing to change for room %(code)s.") % {"code": code})
        result = apply_change(RoomVersion, {"entity": room}, changes, at, source=actor)
        audit_change(
            AuditAction.CHANGE if existing else AuditAction.CREATE,
            actor=actor,
            target_type="registry.room",
            target_ref=code,
            operation="save_room",
            effective_from=at,
            values=changes,
            result=result,
        )
    return room


def room_valid_at(room_code: str, at: dt.datetime) -> Room:
    """The room with this code, refused if it does not exist at ``at``."""
    room = room_by_code(room_code)
    require_version_at(RoomVersion, at, _("Room %(code)s") % {"code": room_code}, entity=room)
    return room


# -------------------------------------------------------------------------------------- network segments


def normalise_cidr(cidr: str) -> str:
    """The canonical text of a network (``10.1.0.0/16``); host bits set or garbage are refused."""
    try:
        return str(ipaddress.ip_network(cidr.strip(), strict=True))
    except ValueError as exc:
        raise RingfenceError(
            _("Not a network address range (CIDR): %(cidr)s (%(reason)s)")
            % {"cidr": cidr, "reason": str(exc)}
        ) from exc


def _check_overlaps(cidr: str, zone: Zone, at: dt.datetime) -> None:
    """Refuse a range that overlaps a range of another zone valid at or after ``at``.

    Nested ranges of the same zone are fine (longest prefix wins when resolving); across zones an overlap
    would make the zone of an address depend on prefix lengths nobody chose on purpose, so it is refused.
    """
    network = ipaddress.ip_network(cidr)
    rows = (
        NetworkSegmentVersion.objects.known_at()
        .overlapping(at, None)
        .exclude(entity__cidr=cidr)
        .exclude(zone=zone)
        .values_list("entity__cidr", "zone__code")
    )
    for other_cidr, other_zone in rows:
        other = ipaddress.ip_network(other_cidr)
        if other.version == network.version and network.overlaps(other):
            raise RingfenceError(
                _("%(cidr)s overlaps %(other)s, which belongs to zone %(zone)s.")
                % {"cidr": cidr, "other": other_cidr, "zone": other_zone}
            )


def save_network_segment(
    cidr: str,
    *,
    effective: Effective,
    actor: str,
    zone_code: str | None = None,
    name: str | None = None,
    site: str | None = None,
) -> NetworkSegment:
    """Register an address range or change its zone, name or site from ``effective``."""
    actor = require_actor(actor)
    cidr = normalise_cidr(cidr)
    at = effective_at(effective)
    given = {"name": name, "site": site}
    changes: dict[str, Any] = clean_values(
        NetworkSegmentVersion, {k: v for k, v in given.items() if v is not None}
    )
    with transaction.atomic():
        segment, _created = NetworkSegment.objects.get_or_create(cidr=cidr)
        current = version_at(NetworkSegmentVersion, at, entity=segment)
        existing = NetworkSegmentVersion.objects.filter(entity=segment).known_at().exists()
        if zone_code is not None:
            changes["zone"] = _zone_valid_at(zone_code, at)
        elif not existing:
            raise RingfenceError(_("A new network segment needs a zone."))
        zone = changes.get("zone") or (current.zone if current is not None else None)
        if zone is not None:
            _check_overlaps(cidr, zone, at)
        if not changes:
            raise RingfenceError(_("Nothing to change for network segment %(cidr)s.") % {"cidr": cidr})
        result = apply_change(NetworkSegmentVersion, {"entity": segment}, changes, at, source=actor)
        audit_change(
            AuditAction.CHANGE if existing else AuditAction.CREATE,
            actor=actor,
            target_type="registry.network_segment",
            target_ref=cidr,
            operation="save_network_segment",
            effective_from=at,
            values=changes,
            result=result,
        )
    return segment


def retire_network_segment(cidr: str, *, effective: Effective, actor: str) -> ChangeResult:
    """The address range is no longer in use from ``effective``."""
    actor = require_actor(actor)
    cidr = normalise_cidr(cidr)
    at = effective_at(effective)
    segment = segment_by_cidr(cidr)
    with transaction.atomic():
        result = end_validity(NetworkSegmentVersion, {"entity": segment}, at, source=actor)
        if not result.changed:
            raise RingfenceError(
                _("Network segment %(cidr)s is not in use after that date.") % {"cidr": cidr}
            )
        audit_change(
            AuditAction.DELETE,
            actor=actor,
            target_type="registry.network_segment",
            target_ref=cidr,
            operation="retire_network_segment",
            effective_from=at,
            result=result,
        )
    return result

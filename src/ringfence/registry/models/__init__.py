"""Registry models: who, what, where — each with its history (see ringfence.core.temporal)."""

from .base import RegistryEntity
from .facilities import (
    NetworkSegment,
    NetworkSegmentVersion,
    Room,
    RoomVersion,
    Terminal,
    TerminalVersion,
    Zone,
    ZoneVersion,
)
from .organisation import (
    OrgUnit,
    OrgUnitVersion,
    Person,
    PersonVersion,
    Role,
    RoleMembership,
    UnitResponsibility,
)
from .systems import Account, AccountVersion, Entitlement, InformationSystem, SystemVersion

__all__ = [
    "Account",
    "AccountVersion",
    "Entitlement",
    "InformationSystem",
    "NetworkSegment",
    "NetworkSegmentVersion",
    "OrgUnit",
    "OrgUnitVersion",
    "Person",
    "PersonVersion",
    "RegistryEntity",
    "Role",
    "RoleMembership",
    "Room",
    "RoomVersion",
    "SystemVersion",
    "Terminal",
    "TerminalVersion",
    "UnitResponsibility",
    "Zone",
    "ZoneVersion",
]

"""As-of questions on the registry: who/what/where at a moment, as known at another moment.

Every selector takes ``at`` (valid time: the moment asked about) and optionally ``known_at`` (transaction
time: answer with what ringfence knew then; default: what it knows now). A date means 00:00 JST of that
day, a naive datetime is JST. Answers are frozen dataclasses of plain values (codes, names, code-list
values, datetimes), so they can be printed, serialised or compared without touching the ORM again.

Each selector runs a handful of indexed queries (the unit path costs one query per level of the tree);
none loops over a big table row by row. Bulk questions (millions of log lines) go to the DuckDB export
(``registry.lake_export``) instead.

Unknown identifiers (system code, employee number, unit code) raise ``NotInRegistry``; a known thing that
did not exist at ``at`` is answered with ``None`` or, for accounts, with an explicit ``state``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import ensure_aware, start_of_day_jst

from ..models import (
    Account,
    AccountVersion,
    Entitlement,
    InformationSystem,
    NetworkSegmentVersion,
    OrgUnit,
    OrgUnitVersion,
    Person,
    PersonVersion,
    RoleMembership,
    RoomVersion,
    SystemVersion,
    Terminal,
    TerminalVersion,
    UnitResponsibility,
    ZoneVersion,
)

MAX_UNIT_DEPTH = 32


class NotInRegistry(RingfenceError):
    """The identifier asked about is not in the registry at all (as opposed to: not valid at that time)."""

    exit_code = 1


Moment = dt.date | dt.datetime


def moment(value: Moment) -> dt.datetime:
    """An aware datetime: a date means 00:00 JST, a naive datetime is JST."""
    if isinstance(value, dt.datetime):
        return ensure_aware(value)
    return start_of_day_jst(value)


def _known(value: Moment | None) -> dt.datetime | None:
    return None if value is None else moment(value)


# ------------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class UnitRef:
    """One unit on a path through the organisation tree."""

    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class UnitAt:
    """A unit at a moment, with its path from the top of the tree (head office first, itself last)."""

    code: str
    name: str
    kind: str
    path: tuple[UnitRef, ...]

    @property
    def path_names(self) -> str:
        """The path as one line, e.g. ``本店 > 配電部 > 配電計画課``."""
        return " > ".join(u.name for u in self.path)


@dataclass(frozen=True)
class PersonAt:
    """Who a person was at a moment."""

    employee_number: str
    name_kanji: str
    name_kana: str
    employment_type: str
    employer: str
    status: str
    job_title: str
    unit: UnitAt | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    recorded_at: dt.datetime


class AccountState:
    """How an account question was answered."""

    OWNED = "owned"
    NO_OWNER = "no_owner"
    NOT_VALID = "not_valid"  # the account is in the registry but did not exist at that moment
    UNKNOWN_ACCOUNT = "unknown_account"  # the system has no account with that ID at all


@dataclass(frozen=True)
class AccountOwnerAt:
    """Who owned an account of a system at a moment, and who that person was then."""

    system_code: str
    system_name: str
    account_id: str
    at: dt.datetime
    known_at: dt.datetime | None
    state: str
    kind: str | None = None
    status: str | None = None
    privilege: str | None = None
    owner_employee_number: str | None = None
    owner: PersonAt | None = None
    valid_from: dt.datetime | None = None
    valid_to: dt.datetime | None = None


@dataclass(frozen=True)
class ZoneAt:
    """A security zone at a moment."""

    code: str
    name: str
    kind: str
    site: str


@dataclass(frozen=True)
class NetworkZoneAt:
    """The segment an address falls in (longest prefix) and that segment's zone."""

    cidr: str
    name: str
    site: str
    zone: ZoneAt | None


@dataclass(frozen=True)
class RoomAt:
    """A room at a moment, with its zone."""

    code: str
    name: str
    building: str
    floor: str
    zone: ZoneAt | None


@dataclass(frozen=True)
class TerminalAt:
    """A terminal at a moment: where it was, who had it, in what state, and the zone of its address."""

    asset_tag: str
    hostname: str
    ip_address: str | None
    mac_address: str
    terminal_type: str
    status: str
    assigned_unit_code: str | None
    assigned_employee_number: str | None
    lent_to: str
    lent_to_employee_number: str | None
    lent_until: dt.datetime | None
    last_checked_on: dt.date | None
    room: RoomAt | None
    network: NetworkZoneAt | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    other_matches: tuple[str, ...] = ()


@dataclass(frozen=True)
class EntitlementAt:
    """One entitlement in force at a moment, directly or through a job role."""

    system_code: str
    function: str
    level: str
    via: str  # "direct" or "role"
    role_code: str | None
    valid_from: dt.datetime
    valid_to: dt.datetime | None


@dataclass(frozen=True)
class ResponsibleAt:
    """A person responsible for a unit at a moment."""

    unit_code: str
    role: str
    employee_number: str
    name_kanji: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None


# ------------------------------------------------------------------------------------------- look-ups


def _person(employee_number: str) -> Person:
    person = Person.objects.filter(employee_number=employee_number).first()
    if person is None:
        raise NotInRegistry(_("Unknown employee number %(number)s.") % {"number": employee_number})
    return person


def _system(code: str) -> InformationSystem:
    system = InformationSystem.objects.filter(code=code).first()
    if system is None:
        raise NotInRegistry(_("Unknown system %(code)s.") % {"code": code})
    return system


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotInRegistry(_("Unknown unit %(code)s.") % {"code": code})
    return unit


def _unit_path(unit_id: int, at: dt.datetime, known_at: dt.datetime | None) -> tuple[UnitRef, ...]:
    """From the unit up to the top of the tree, one query per level; reversed to read top-down."""
    path: list[UnitRef] = []
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen and len(seen) <= MAX_UNIT_DEPTH:
        seen.add(current)
        row = (
            OrgUnitVersion.objects.as_of(at, known_at)
            .filter(entity_id=current)
            .values("entity__code", "name", "kind", "parent_id")
            .first()
        )
        if row is None:
            break
        path.append(UnitRef(row["entity__code"], row["name"], row["kind"]))
        current = row["parent_id"]
    return tuple(reversed(path))


def _unit_at(unit_id: int | None, at: dt.datetime, known_at: dt.datetime | None) -> UnitAt | None:
    if unit_id is None:
        return None
    path = _unit_path(unit_id, at, known_at)
    if not path:
        return None
    last = path[-1]
    return UnitAt(code=last.code, name=last.name, kind=last.kind, path=path)


def _person_from_row(
    row: PersonVersion, employee_number: str, at: dt.datetime, known_at: dt.datetime | None
) -> PersonAt:
    return PersonAt(
        employee_number=employee_number,
        name_kanji=row.name_kanji,
        name_kana=row.name_kana,
        employment_type=row.employment_type,
        employer=row.employer,
        status=row.status,
        job_title=row.job_title,
        unit=_unit_at(row.unit_id, at, known_at),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        recorded_at=row.recorded_at,
    )


# ------------------------------------------------------------------------------------------ selectors


def unit_ancestry_at(unit_code: str, at: Moment, known_at: Moment | None = None) -> tuple[UnitRef, ...]:
    """The path from the top of the tree down to the unit at ``at`` (empty if the unit did not exist)."""
    return _unit_path(_unit(unit_code).pk, moment(at), _known(known_at))


def person_at(employee_number: str, at: Moment, known_at: Moment | None = None) -> PersonAt | None:
    """Who the person was at ``at`` (unit with its path, employment type, status), or None."""
    when, known = moment(at), _known(known_at)
    person = _person(employee_number)
    row = PersonVersion.objects.as_of(when, known).filter(entity=person).first()
    return None if row is None else _person_from_row(row, employee_number, when, known)


def account_owner_at(
    system_code: str, account_id: str, at: Moment, known_at: Moment | None = None
) -> AccountOwnerAt:
    """Who owned account ``account_id`` of ``system_code`` at ``at``, and who that person was then.

    Raises ``NotInRegistry`` for an unknown system; an unknown account, an account not valid at ``at``
    and an account without owner are answered through ``state``.
    """
    when, known = moment(at), _known(known_at)
    # The common case (system catalogued, account valid) costs one query each for system and account.
    system_row = (
        SystemVersion.objects.as_of(when, known).filter(entity__code=system_code).select_related("entity").first()
    )
    if system_row is not None:
        system = system_row.entity
    else:
        system = _system(system_code)
        # Outside the catalogue period: name it with the latest name known.
        system_row = SystemVersion.objects.known_at(known).filter(entity=system).order_by("-valid_from").first()
    base: dict[str, Any] = {
        "system_code": system.code,
        "system_name": system_row.name_ja if system_row is not None else "",
        "account_id": account_id,
        "at": when,
        "known_at": known,
    }
    row = (
        AccountVersion.objects.as_of(when, known)
        .filter(entity__system=system, entity__account_id=account_id)
        .select_related("owner")
        .first()
    )
    if row is None:
        exists = Account.objects.filter(system=system, account_id=account_id).exists()
        return AccountOwnerAt(**base, state=AccountState.NOT_VALID if exists else AccountState.UNKNOWN_ACCOUNT)
    base.update(
        kind=row.kind,
        status=row.status,
        privilege=row.privilege,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )
    if row.owner is None:
        return AccountOwnerAt(**base, state=AccountState.NO_OWNER)
    number = row.owner.employee_number
    owner_row = PersonVersion.objects.as_of(when, known).filter(entity_id=row.owner_id).first()
    owner = None if owner_row is None else _person_from_row(owner_row, number, when, known)
    return AccountOwnerAt(**base, state=AccountState.OWNED, owner_employee_number=number, owner=owner)


def _zone_at(zone_id: int | None, at: dt.datetime, known_at: dt.datetime | None) -> ZoneAt | None:
    if zone_id is None:
        return None
    row = (
        ZoneVersion.objects.as_of(at, known_at)
        .filter(entity_id=zone_id)
        .values("entity__code", "name", "kind", "site")
        .first()
    )
    if row is None:
        return None
    return ZoneAt(code=row["entity__code"], name=row["name"], kind=row["kind"], site=row["site"])


def zone_of_ip(ip: str, at: Moment, known_at: Moment | None = None) -> NetworkZoneAt | None:
    """The segment (longest prefix wins) holding ``ip`` at ``at`` and its zone, or None if none does.

    The segments valid at ``at`` are read in one query and matched here: a utility has thousands of
    segments at most, and matching in Python accepts any spelling of a CIDR the importer stored.
    """
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError as exc:
        raise RingfenceError(_("Not an IP address: %(ip)s") % {"ip": ip}) from exc
    when, known = moment(at), _known(known_at)
    best: tuple[int, dict[str, Any]] | None = None
    rows = NetworkSegmentVersion.objects.as_of(when, known).values("entity__cidr", "name", "site", "zone_id")
    for row in rows:
        try:
            network = ipaddress.ip_network(row["entity__cidr"], strict=False)
        except ValueError:
            continue
        matches = network.version == address.version and address in network
        if matches and (best is None or network.prefixlen > best[0]):
            best = (network.prefixlen, row)
    if best is None:
        return None
    row = best[1]
    return NetworkZoneAt(
        cidr=row["entity__cidr"],
        name=row["name"],
        site=row["site"],
        zone=_zone_at(row["zone_id"], when, known),
    )


def terminal_at(
    at: Moment,
    *,
    asset_tag: str | None = None,
    hostname: str | None = None,
    ip: str | None = None,
    known_at: Moment | None = None,
) -> TerminalAt | None:
    """The terminal with that asset tag, host name or IP address at ``at``, or None.

    Exactly one of ``asset_tag``, ``hostname``, ``ip`` is given. When a host name or address was used by
    several terminals at once (a ledger error worth fixing), the first by asset tag is answered and the
    others are listed in ``other_matches``.
    """
    if sum(v is not None for v in (asset_tag, hostname, ip)) != 1:
        raise RingfenceError(_("Ask for a terminal by exactly one of asset tag, host name or IP address."))
    when, known = moment(at), _known(known_at)
    rows = TerminalVersion.objects.as_of(when, known).select_related(
        "entity", "assigned_unit", "assigned_person", "lent_to_person"
    )
    if asset_tag is not None:
        if not Terminal.objects.filter(asset_tag=asset_tag).exists():
            raise NotInRegistry(_("Unknown terminal %(tag)s.") % {"tag": asset_tag})
        rows = rows.filter(entity__asset_tag=asset_tag)
    elif hostname is not None:
        rows = rows.filter(hostname__iexact=hostname.strip())
    else:
        assert ip is not None
        try:
            rows = rows.filter(ip_address=str(ipaddress.ip_address(ip.strip())))
        except ValueError as exc:
            raise RingfenceError(_("Not an IP address: %(ip)s") % {"ip": ip}) from exc
    found = list(rows.order_by("entity__asset_tag")[:20])
    if not found:
        return None
    row = found[0]
    room = None
    if row.room_id is not None:
        room_row = (
            RoomVersion.objects.as_of(when, known)
            .filter(entity_id=row.room_id)
            .select_related("entity")
            .first()
        )
        if room_row is not None:
            room = RoomAt(
                code=room_row.entity.code,
                name=room_row.name,
                building=room_row.building,
                floor=room_row.floor,
                zone=_zone_at(room_row.zone_id, when, known),
            )
    return TerminalAt(
        asset_tag=row.entity.asset_tag,
        hostname=row.hostname,
        ip_address=row.ip_address,
        mac_address=row.mac_address,
        terminal_type=row.terminal_type,
        status=row.status,
        assigned_unit_code=row.assigned_unit.code if row.assigned_unit else None,
        assigned_employee_number=row.assigned_person.employee_number if row.assigned_person else None,
        lent_to=row.lent_to,
        lent_to_employee_number=row.lent_to_person.employee_number if row.lent_to_person else None,
        lent_until=row.lent_until,
        last_checked_on=row.last_checked_on,
        room=room,
        network=zone_of_ip(row.ip_address, when, known) if row.ip_address else None,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        other_matches=tuple(r.entity.asset_tag for r in found[1:]),
    )


def entitlements_at(
    employee_number: str, system_code: str, at: Moment, known_at: Moment | None = None
) -> tuple[EntitlementAt, ...]:
    """What the person was entitled to in the system at ``at``: direct grants and grants to their roles."""
    when, known = moment(at), _known(known_at)
    person, system = _person(employee_number), _system(system_code)
    role_ids = list(
        RoleMembership.objects.as_of(when, known).filter(person=person).values_list("role_id", flat=True)
    )
    rows = (
        Entitlement.objects.as_of(when, known)
        .filter(system=system)
        .filter(Q(person=person) | Q(role_id__in=role_ids))
        .select_related("role")
        .order_by("function", "level", "role__code")
    )
    return tuple(
        EntitlementAt(
            system_code=system.code,
            function=row.function,
            level=row.level,
            via="direct" if row.person_id is not None else "role",
            role_code=row.role.code if row.role is not None else None,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
        for row in rows
    )


def responsibles_at(
    unit_code: str, at: Moment, known_at: Moment | None = None, *, include_ancestors: bool = False
) -> tuple[ResponsibleAt, ...]:
    """Who was responsible for the unit at ``at`` (and, if asked, for the units above it, top first)."""
    when, known = moment(at), _known(known_at)
    unit = _unit(unit_code)
    codes = [u.code for u in _unit_path(unit.pk, when, known)] if include_ancestors else [unit.code]
    order = {code: i for i, code in enumerate(codes)}
    rows = list(
        UnitResponsibility.objects.as_of(when, known)
        .filter(unit__code__in=codes)
        .values("unit__code", "role", "person_id", "person__employee_number", "valid_from", "valid_to")
    )
    names = dict(
        PersonVersion.objects.as_of(when, known)
        .filter(entity_id__in={r["person_id"] for r in rows})
        .values_list("entity_id", "name_kanji")
    )
    rows.sort(key=lambda r: (order.get(r["unit__code"], 0), r["role"], r["person__employee_number"]))
    return tuple(
        ResponsibleAt(
            unit_code=r["unit__code"],
            role=r["role"],
            employee_number=r["person__employee_number"],
            name_kanji=names.get(r["person_id"], ""),
            valid_from=r["valid_from"],
            valid_to=r["valid_to"],
        )
        for r in rows
    )

"""Reads behind the registry pages, always through the user's Scope (see ringfence.authz.services).

Every function takes the Scope, whose ``at`` is the as-of date being viewed, and returns only what that
scope reaches. Each does a fixed handful of queries whatever the number of rows (no N+1): names that live
in other timelines (unit names, system names, account owners) are fetched in one query per page.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Value
from django.db.models.functions import Replace

from ringfence.authz.services import Scope, units_below

from ..models import (
    AccountVersion,
    Entitlement,
    OrgUnit,
    Person,
    PersonVersion,
    RoleMembership,
    SystemVersion,
    TerminalVersion,
)
from ..models.facilities import RoomVersion, ZoneVersion
from ..models.organisation import OrgUnitVersion

# ------------------------------------------------------------------------------------------- helpers


def katakana(text: str) -> str:
    """Hiragana turned into katakana (and width normalised), so かな and カナ searches meet."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def hiragana(text: str) -> str:
    """Katakana turned into hiragana (and width normalised)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def unit_names(unit_ids: Iterable[int | None], at: dt.datetime) -> dict[int, str]:
    """Unit id → name as of ``at``, in one query."""
    ids = {i for i in unit_ids if i is not None}
    if not ids:
        return {}
    return dict(OrgUnitVersion.objects.as_of(at).filter(entity_id__in=ids).values_list("entity_id", "name"))


def system_names(system_ids: Iterable[int], at: dt.datetime) -> dict[int, str]:
    """System id → Japanese name as of ``at``, in one query."""
    ids = set(system_ids)
    if not ids:
        return {}
    return dict(SystemVersion.objects.as_of(at).filter(entity_id__in=ids).values_list("entity_id", "name_ja"))


def person_facts(person_ids: Iterable[int | None], at: dt.datetime) -> dict[int, PersonVersion]:
    """Person id → their version as of ``at`` (with unit), in one query."""
    ids = {i for i in person_ids if i is not None}
    if not ids:
        return {}
    rows = PersonVersion.objects.as_of(at).filter(entity_id__in=ids).select_related("entity", "unit")
    return {row.entity_id: row for row in rows}


# -------------------------------------------------------------------------------------------- people


def _without_spaces(field_name: str) -> Replace:
    return Replace(Replace(F(field_name), Value(" "), Value("")), Value("\u3000"), Value(""))


def visible_people(scope: Scope) -> QuerySet[PersonVersion]:
    """Versions, valid as of the scope's date, of the people the scope reaches."""
    qs = PersonVersion.objects.as_of(scope.at)
    if not scope.everything:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    return qs


def search_people(
    scope: Scope,
    *,
    query: str = "",
    unit_code: str = "",
    employment_type: str = "",
    status: str = "",
) -> QuerySet[PersonVersion]:
    """People in scope matching an employee number (prefix), a kanji name or a kana name (part).

    Hiragana and katakana find each other; ``unit_code`` includes the units below it as of the date.
    """
    qs = visible_people(scope)
    query = unicodedata.normalize("NFKC", query).strip()
    if query:
        # Names are stored with or without a space between family and given name; compare without.
        compact = query.replace(" ", "")
        qs = qs.annotate(
            kanji_compact=_without_spaces("name_kanji"), kana_compact=_without_spaces("name_kana")
        ).filter(
            Q(entity__employee_number__istartswith=query)
            | Q(kanji_compact__icontains=compact)
            | Q(kana_compact__icontains=katakana(compact))
            | Q(kana_compact__icontains=hiragana(compact))
        )
    if unit_code:
        unit = OrgUnit.objects.filter(code=unit_code).first()
        qs = qs.filter(unit_id__in=units_below([unit.pk], scope.at) if unit else [])
    if employment_type:
        qs = qs.filter(employment_type=employment_type)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("entity", "unit").order_by("entity__employee_number")


@dataclass
class PersonDetail:
    """What the person page shows as of a date."""

    person: Person
    current: PersonVersion | None
    history: list[PersonVersion]
    accounts: list[AccountVersion]
    entitlements: list[Entitlement]
    terminals: list[TerminalVersion]
    unit_names: dict[int, str] = field(default_factory=dict)
    system_names: dict[int, str] = field(default_factory=dict)


def person_detail(scope: Scope, employee_number: str) -> PersonDetail | None:
    """The person as of the scope's date, or None when absent or outside the scope.

    A scoped user (line manager) sees a person only while that person belongs to one of their units as of
    the date viewed; an unscoped one also sees people not employed at that date (their history remains).
    """
    person = Person.objects.filter(employee_number=employee_number).first()
    if person is None:
        return None
    at = scope.at
    history = list(PersonVersion.objects.filter(entity=person).known_at().select_related("unit"))
    current = next((v for v in history if v.valid_from <= at and (v.valid_to is None or at < v.valid_to)), None)
    if not scope.everything and (current is None or current.unit_id not in scope.unit_ids):
        return None
    accounts = list(
        AccountVersion.objects.as_of(at).filter(owner=person).select_related("entity", "entity__system")
    )
    role_ids = RoleMembership.objects.as_of(at).filter(person=person).values("role_id")
    entitlements = list(
        Entitlement.objects.as_of(at)
        .filter(Q(person=person) | Q(role_id__in=role_ids))
        .select_related("system", "role")
        .order_by("system__code", "function")
    )
    terminals = list(
        TerminalVersion.objects.as_of(at)
        .filter(Q(assigned_person=person) | Q(lent_to_person=person))
        .select_related("entity", "room")
    )
    systems = {a.entity.system_id for a in accounts} | {e.system_id for e in entitlements}
    return PersonDetail(
        person=person,
        current=current,
        history=history,
        accounts=accounts,
        entitlements=entitlements,
        terminals=terminals,
        unit_names=unit_names({v.unit_id for v in history}, at),
        system_names=system_names(systems, at),
    )


# --------------------------------------------------------------------------------------------- units


@dataclass
class UnitNode:
    """One row of the unit tree: the unit, how deep it sits, and how many people it holds."""

    version: OrgUnitVersion
    depth: int
    people: int
    in_scope: bool


def unit_tree(scope: Scope) -> list[UnitNode]:
    """The organisation tree as of the scope's date, depth-first, with head counts.

    A scoped user sees the branches they answer for (their units and the ones above, for orientation);
    head counts are given only for units in scope.
    """
    at = scope.at
    versions = list(OrgUnitVersion.objects.as_of(at).select_related("entity").order_by("entity__code"))
    counts = Counter(
        dict(
            visible_people(scope)
            .values("unit_id")
            .annotate(n=Count("id"))
            .values_list("unit_id", "n")
        )
    )
    by_id = {v.entity_id: v for v in versions}
    children: dict[int | None, list[OrgUnitVersion]] = defaultdict(list)
    for v in versions:
        parent = v.parent_id if v.parent_id in by_id else None
        children[parent].append(v)
    shown: set[int] | None = None
    if not scope.everything:
        shown = set()
        for unit_id in scope.unit_ids:
            cursor: int | None = unit_id
            while cursor is not None and cursor not in shown and cursor in by_id:
                shown.add(cursor)
                cursor = by_id[cursor].parent_id
    out: list[UnitNode] = []
    stack: list[tuple[OrgUnitVersion, int]] = [(v, 0) for v in reversed(children[None])]
    while stack:
        v, depth = stack.pop()
        if shown is not None and v.entity_id not in shown:
            continue
        in_scope = scope.everything or v.entity_id in scope.unit_ids
        out.append(UnitNode(v, depth, counts.get(v.entity_id, 0) if in_scope else 0, in_scope))
        stack.extend((c, depth + 1) for c in reversed(children[v.entity_id]))
    return out


# ------------------------------------------------------------------------------------------- systems


def systems_catalogue(scope: Scope) -> list[tuple[SystemVersion, int]]:
    """Every system valid as of the date (the catalogue is not personal data) with its account count.

    The count covers only the accounts the scope reaches.
    """
    versions = list(
        SystemVersion.objects.as_of(scope.at).select_related("entity", "owner_unit").order_by("entity__code")
    )
    counts = dict(
        visible_accounts(scope).values("entity__system_id").annotate(n=Count("id")).values_list(
            "entity__system_id", "n"
        )
    )
    return [(v, counts.get(v.entity_id, 0)) for v in versions]


@dataclass
class SystemDetail:
    """The system page: the system as of a date and the accounts in scope with their owners' facts."""

    version: SystemVersion
    accounts: list[AccountVersion]
    owners: dict[int, PersonVersion]
    unit_names: dict[int, str]


def system_detail(scope: Scope, code: str, limit: int = 500) -> SystemDetail | None:
    """The system valid as of the date, or None; accounts limited to ``limit`` rows."""
    version = (
        SystemVersion.objects.as_of(scope.at).filter(entity__code=code).select_related("entity", "owner_unit").first()
    )
    if version is None:
        return None
    accounts = list(
        visible_accounts(scope)
        .filter(entity__system_id=version.entity_id)
        .select_related("entity", "owner")
        .order_by("entity__account_id")[:limit]
    )
    owners = person_facts((a.owner_id for a in accounts), scope.at)
    names = unit_names([*(o.unit_id for o in owners.values()), version.owner_unit_id], scope.at)
    return SystemDetail(version, accounts, owners, names)


# ------------------------------------------------------------------------------------------ accounts


def visible_accounts(scope: Scope) -> QuerySet[AccountVersion]:
    """Account versions valid as of the date that the scope reaches (by system, or by owner's unit)."""
    qs = AccountVersion.objects.as_of(scope.at)
    if scope.everything:
        return qs
    owners_in_scope = visible_people(scope).values("entity_id")
    return qs.filter(Q(entity__system_id__in=scope.system_ids) | Q(owner_id__in=owners_in_scope))


def search_accounts(
    scope: Scope,
    *,
    system_code: str = "",
    kind: str = "",
    status: str = "",
    owner_employment_type: str = "",
    query: str = "",
) -> QuerySet[AccountVersion]:
    """Accounts in scope filtered by system, kind, status, the owner's employment type (as of the date)."""
    qs = visible_accounts(scope)
    if system_code:
        qs = qs.filter(entity__system__code=system_code)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if owner_employment_type:
        owners = PersonVersion.objects.as_of(scope.at).filter(employment_type=owner_employment_type)
        qs = qs.filter(owner_id__in=owners.values("entity_id"))
    if query:
        qs = qs.filter(Q(entity__account_id__istartswith=query) | Q(display_name__icontains=query))
    return qs.select_related("entity", "entity__system", "owner").order_by(
        "entity__system__code", "entity__account_id"
    )


# ----------------------------------------------------------------------------------------- terminals


def visible_terminals(scope: Scope, *, status: str = "", query: str = "") -> QuerySet[TerminalVersion]:
    """Terminal versions valid as of the date, assigned to (or lent to people of) units in scope."""
    qs = TerminalVersion.objects.as_of(scope.at)
    if not scope.everything:
        people = visible_people(scope).values("entity_id")
        qs = qs.filter(
            Q(assigned_unit_id__in=scope.unit_ids) | Q(assigned_person_id__in=people) | Q(lent_to_person_id__in=people)
        )
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(entity__asset_tag__istartswith=query) | Q(hostname__istartswith=query))
    return qs.select_related("entity", "room", "assigned_person", "lent_to_person", "assigned_unit").order_by(
        "entity__asset_tag"
    )


def terminal_places(terminals: Iterable[TerminalVersion], at: dt.datetime) -> dict[int, dict[str, Any]]:
    """Room id → {room name, zone code, zone name, zone kind} as of ``at``, in two queries."""
    room_ids = {t.room_id for t in terminals if t.room_id is not None}
    if not room_ids:
        return {}
    rooms = list(RoomVersion.objects.as_of(at).filter(entity_id__in=room_ids).select_related("zone"))
    zones = {
        z.entity_id: z for z in ZoneVersion.objects.as_of(at).filter(entity_id__in={r.zone_id for r in rooms})
    }
    out: dict[int, dict[str, Any]] = {}
    for room in rooms:
        zone = zones.get(room.zone_id)
        out[room.entity_id] = {
            "room": room.name,
            "zone_code": room.zone.code,
            "zone_name": zone.name if zone else "",
            "zone_kind": zone.get_kind_display() if zone else "",
        }
    return out


# ------------------------------------------------------------------------------------------- summary


def headline_counts(scope: Scope) -> dict[str, int]:
    """Counts for the home page, within the scope, as of its date."""
    return {
        "people": visible_people(scope).count(),
        "units": OrgUnitVersion.objects.as_of(scope.at).count()
        if scope.everything
        else len(scope.unit_ids),
        "systems": SystemVersion.objects.as_of(scope.at).count(),
        "accounts": visible_accounts(scope).count(),
        "terminals": visible_terminals(scope).count(),
    }

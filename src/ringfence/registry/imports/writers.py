"""Planning and writing each kind of canonical table.

Every writer works the same way: check what can be checked without the database, resolve references in
bulk, load the timelines the file touches, plan each row with ``core.temporal`` in memory, then (when no
row has a problem) write all differences in bulk. Problems go to ``ctx.problems``; the caller refuses the
whole file if there are any, inside one transaction, so nothing is half-imported.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.core.errors import InputProblem
from ringfence.core.temporal import Segment, TemporalRecord, plan_change
from ringfence.registry.choices import AccountStatus, TerminalStatus
from ringfence.registry.models import (
    Account,
    AccountVersion,
    Entitlement,
    InformationSystem,
    NetworkSegment,
    NetworkSegmentVersion,
    OrgUnit,
    OrgUnitVersion,
    Person,
    PersonVersion,
    Role,
    RoleMembership,
    Room,
    RoomVersion,
    SystemVersion,
    Terminal,
    TerminalVersion,
    UnitResponsibility,
    Zone,
    ZoneVersion,
)

from .records import Record
from .refs import SCAN_ABOVE, chunks, load_ids
from .report import ImportReport
from .spec import PERSONNEL_CHANGES, TableSpec
from .timelines import TimelineBook, bulk_insert, empty_value, plan_bounded, same_timeline


@dataclass
class Context:
    """Everything a writer needs about the file being imported."""

    spec: TableSpec
    path: Path
    as_of: dt.datetime
    source: str
    stamp: dt.datetime
    full_list: bool
    report: ImportReport
    problems: list[InputProblem]
    advance: Callable[[int], None]
    headers: dict[str, str]

    def problem(self, record: Record | None, column: str | None, reason: str) -> None:
        """Note a problem, naming the column as the file's header calls it."""
        field = self.headers.get(column, column) if column else None
        self.problems.append(InputProblem(self.path, record.line if record else None, field, reason))

    def outcome(self, name: str) -> None:
        self.report.counts[name] += 1


# table → (entity model, version model, entity key fields (attnames), canonical columns giving them)
ENTITY_TABLES: dict[
    str, tuple[type[models.Model], type[TemporalRecord], tuple[str, ...], tuple[str, ...]]
] = {
    "zones": (Zone, ZoneVersion, ("code",), ("code",)),
    "rooms": (Room, RoomVersion, ("code",), ("code",)),
    "network_segments": (NetworkSegment, NetworkSegmentVersion, ("cidr",), ("cidr",)),
    "units": (OrgUnit, OrgUnitVersion, ("code",), ("code",)),
    "people": (Person, PersonVersion, ("employee_number",), ("employee_number",)),
    "systems": (InformationSystem, SystemVersion, ("code",), ("code",)),
    "accounts": (Account, AccountVersion, ("system_id", "account_id"), ("system_code", "account_id")),
    "terminals": (Terminal, TerminalVersion, ("asset_tag",), ("asset_tag",)),
}

# ------------------------------------------------------------------------------------------ checks


def check_keys(ctx: Context, records: list[Record], present: frozenset[str]) -> None:
    """Key columns must be in the file and filled in every row."""
    optional = {"function"} if ctx.spec.name == "entitlements" else set()
    alternatives = {"employee_number", "role_code"} if ctx.spec.name == "entitlements" else set()
    for column in ctx.spec.key:
        if column in optional or column in alternatives:
            continue
        if column not in present:
            ctx.problem(None, column, _("the file has no %(column)s column") % {"column": column})
            continue
        for record in records:
            if record.get(column) is None and not any(
                p.line == record.line and p.field for p in ctx.problems
            ):
                ctx.problem(record, column, _("required"))
    if alternatives and not alternatives & present:
        ctx.problem(None, "employee_number", _("the file needs an employee_number or a role_code column"))


def resolve_refs(
    ctx: Context, records: list[Record], batch_keys: set[str] | None = None
) -> dict[str, dict[str, int]]:
    """Key → id for every reference column; unknown references become problems.

    A reference to the table being imported (a unit's parent) may name a row of the same file
    (``batch_keys``); those ids exist only after the entities are created, so they are resolved later.
    """
    ids: dict[str, dict[str, int]] = {}
    present = records[0].present if records else frozenset()
    for column in ctx.spec.columns:
        if column.kind != "ref" or column.name not in present:
            continue
        assert column.ref is not None
        wanted = {r.get(column.name) for r in records if r.get(column.name) is not None}
        found = ids.setdefault(column.ref, {})
        found.update(load_ids(column.ref, wanted - found.keys()))
        same_table = column.ref == ctx.spec.name
        for record in records:
            key = record.get(column.name)
            if key is None or key in found or (same_table and batch_keys and key in batch_keys):
                continue
            ctx.problem(
                record,
                column.name,
                _("%(key)s is not in the registry (%(table)s)") % {"key": key, "table": column.ref},
            )
    return ids


def _valid_from(ctx: Context, record: Record) -> dt.datetime:
    value = record.get("valid_from")
    return value if value is not None else ctx.as_of


def _attrs(
    ctx: Context,
    record: Record,
    ids: dict[str, dict[str, int]],
    model: type[TemporalRecord],
    *,
    empty_means_unchanged: bool = False,
) -> dict[str, Any]:
    """Version attributes given by a record; empty cells store the empty value (or are skipped)."""
    out: dict[str, Any] = {}
    allowed = set(model.attribute_names())  # key columns of link tables are not attributes
    for column in ctx.spec.columns:
        if column.attr not in allowed or not record.has(column.name):
            continue
        value = record.get(column.name)
        if value is None:
            if empty_means_unchanged:
                continue
            value = empty_value(model, column.attr)
        elif column.kind == "ref":
            assert column.ref is not None
            value = ids[column.ref][value]
        out[column.attr] = value
    return out


def _check_required(ctx: Context, record: Record, is_new: bool) -> bool:
    ok = True
    for column in ctx.spec.columns:
        if not column.required:
            continue
        if record.has(column.name) and record.get(column.name) is None:
            ctx.problem(record, column.name, _("required"))
            ok = False
        elif is_new and not record.has(column.name):
            ctx.problem(record, column.name, _("required for a new record (the file has no such column)"))
            ok = False
    return ok


def _group(
    ctx: Context,
    records: list[Record],
    key_of: Callable[[Record], tuple[Any, ...]],
    order_of: Callable[[Record], Any],
) -> dict[tuple[Any, ...], list[Record]]:
    """Records per timeline in valid-time order; the same key at the same moment twice is a problem."""
    groups: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
    for record in records:
        groups[key_of(record)].append(record)
    for key, group in groups.items():
        group.sort(key=lambda r: (order_of(r), r.line))
        for previous, current in itertools.pairwise(group):
            if order_of(previous) == order_of(current):
                ctx.problem(
                    current,
                    ctx.spec.key[-1],
                    _("same key %(key)s at the same time as line %(line)d")
                    % {"key": "/".join(str(k) for k in key), "line": previous.line},
                )
    return groups


def _entity_ids(
    entity_model: type[models.Model], fields: tuple[str, ...], keys: set[tuple[Any, ...]], create: bool
) -> dict[tuple[Any, ...], int]:
    """Key tuple → entity id, creating the missing entities in bulk when ``create``."""

    def load() -> dict[tuple[Any, ...], int]:
        found: dict[tuple[Any, ...], int] = {}
        if len(keys) > SCAN_ABOVE:
            for row in entity_model._default_manager.values_list("pk", *fields):
                if row[1:] in keys:
                    found[row[1:]] = row[0]
            return found
        for part in chunks(sorted({k[-1] for k in keys})):
            for row in entity_model._default_manager.filter(**{f"{fields[-1]}__in": part}).values_list(
                "pk", *fields
            ):
                if row[1:] in keys:
                    found[row[1:]] = row[0]
        return found

    found = load()
    missing = keys - found.keys()
    if create and missing:
        now = timezone.now()
        bulk_insert(
            entity_model,
            [{"created_at": now, **dict(zip(fields, key, strict=True))} for key in sorted(missing)],
        )
        found = load()
    return found


# ------------------------------------------------------------------------------------- snapshots


def write_entities(ctx: Context, records: list[Record]) -> None:
    """Units, people, systems, accounts, zones, rooms, segments, terminals: snapshot rows from valid_from."""
    entity_model, version_model, fields, key_columns = ENTITY_TABLES[ctx.spec.name]
    own_keys = {r.get(key_columns[0]) for r in records} if len(key_columns) == 1 else set()
    ids = resolve_refs(ctx, records, batch_keys={k for k in own_keys if k is not None})
    usable = [r for r in records if all(r.get(c) is not None for c in key_columns)]
    if ctx.spec.name == "accounts":
        usable = [r for r in usable if r.get("system_code") in ids.get("systems", {})]

    def key_of(record: Record) -> tuple[Any, ...]:
        if ctx.spec.name == "accounts":
            return (ids["systems"][record.get("system_code")], record.get("account_id"))
        return (record.get(key_columns[0]),)

    groups = _group(ctx, usable, key_of, lambda r: _valid_from(ctx, r))
    existing = _entity_ids(entity_model, fields, set(groups), create=False)
    for key, group in groups.items():
        for position, record in enumerate(group):
            _check_required(ctx, record, is_new=key not in existing and position == 0)
    if ctx.problems:
        return
    entity_ids = _entity_ids(entity_model, fields, set(groups), create=True)
    self_refs = [c for c in ctx.spec.columns if c.kind == "ref" and c.ref == ctx.spec.name]
    for column in self_refs:
        ids.setdefault(ctx.spec.name, {}).update(
            load_ids(ctx.spec.name, {r.get(column.name) for r in records if r.get(column.name)})
        )
    book = TimelineBook(version_model)
    book.load("entity_id", entity_ids.values())
    for key, group in groups.items():
        timeline_key = (entity_ids[key],)
        outcomes: list[str] = []
        for record in group:
            before = book.segments(timeline_key)
            if not before and not _has_required(ctx, record):
                ctx.problem(record, None, _("a new record needs every required column"))
                continue
            attrs = _attrs(ctx, record, ids, version_model)
            start = _valid_from(ctx, record)
            if not before:
                book.plan(timeline_key, [Segment(start, None, {**book.defaults, **attrs})], compare=False)
                outcomes.append("created")
                continue
            if _already_true(before, attrs, start):
                # Re-imports are mostly unchanged rows: skip planning what plan_change would leave as is.
                outcomes.append("unchanged")
                continue
            changed = book.plan(timeline_key, plan_change(before, attrs, start, defaults=book.defaults))
            outcomes.append("changed" if changed else "unchanged")
        _count(ctx, book, timeline_key, outcomes)
        ctx.advance(len(group))
    if ctx.spec.name == "accounts" and ctx.full_list:
        _delete_missing_accounts(ctx, book, set(entity_ids.values()), {k[0] for k in groups})
    if ctx.spec.name == "units":
        _check_unit_cycles(ctx, book)
    if not ctx.problems:
        superseded, inserted = book.persist(source=ctx.source, stamp=ctx.stamp)
        ctx.report.versions_superseded += superseded
        ctx.report.versions_inserted += inserted


def _already_true(segments: list[Segment], attrs: dict[str, Any], at: dt.datetime) -> bool:
    """Whether the segment valid at ``at`` already has every attribute value (plan_change is then a no-op)."""
    current = next((s for s in segments if s.covers(at)), None)
    return current is not None and all(current.attrs.get(name) == value for name, value in attrs.items())


def _count(ctx: Context, book: TimelineBook, key: tuple[Any, ...], outcomes: list[str]) -> None:
    """Per-row outcomes of one timeline; rows that together leave it as it was are all unchanged."""
    if "changed" in outcomes and key in book.old and same_timeline(book.old[key], book.segments(key)):
        outcomes = ["unchanged"] * len(outcomes)
    for outcome in outcomes:
        ctx.outcome(outcome)


def _has_required(ctx: Context, record: Record) -> bool:
    return all(record.get(c.name) is not None for c in ctx.spec.columns if c.required)


def _delete_missing_accounts(
    ctx: Context, book: TimelineBook, listed: set[int], system_ids: set[int]
) -> None:
    """A full list is every account of its systems: the others are deleted from the as-of date."""
    others = [
        pk
        for pk in Account.objects.filter(system_id__in=system_ids).values_list("pk", flat=True)
        if pk not in listed
    ]
    book.load("entity_id", others)
    for pk in others:
        before = book.segments((pk,))
        current = next((s for s in before if s.covers(ctx.as_of)), None)
        if current is None or current.attrs.get("status") == AccountStatus.DELETED:
            continue
        book.plan(
            (pk,), plan_change(before, {"status": AccountStatus.DELETED}, ctx.as_of, defaults=book.defaults)
        )
        ctx.outcome("deleted")


def _check_unit_cycles(ctx: Context, book: TimelineBook) -> None:
    """A unit may not be its own ancestor (checked on the planned current parents)."""
    parent: dict[int, int | None] = {}
    for key in book.new:
        segs = book.segments(key)
        if segs:
            parent[key[0]] = segs[-1].attrs.get("parent_id")
    for start in parent:
        seen = {start}
        node = parent.get(start)
        while node is not None:
            if node in seen:
                ctx.problem(
                    None, "parent_code", _("units form a cycle through unit id %(id)d") % {"id": start}
                )
                return
            seen.add(node)
            node = parent.get(node)


# ------------------------------------------------------------------------------------------ links


# table → (model, function giving the timeline key in TIMELINE_KEY order, field to load by, its ref table)
def _link_key(table: str, record: Record, ids: dict[str, dict[str, int]]) -> tuple[Any, ...]:
    def ref(column: str, target: str) -> int | None:
        value = record.get(column)
        return None if value is None else ids[target][value]

    if table == "unit_responsibilities":
        return (ref("unit_code", "units"), ref("employee_number", "people"), record.get("role"))
    if table == "role_memberships":
        return (ref("role_code", "roles"), ref("employee_number", "people"))
    return (
        ref("system_code", "systems"),
        ref("employee_number", "people"),
        ref("role_code", "roles"),
        record.get("function") or "*",
    )


LINK_TABLES: dict[str, tuple[type[TemporalRecord], str]] = {
    "unit_responsibilities": (UnitResponsibility, "unit_id"),
    "role_memberships": (RoleMembership, "role_id"),
    "entitlements": (Entitlement, "system_id"),
}


def write_links(ctx: Context, records: list[Record]) -> None:
    """Responsibilities, role memberships, entitlements: facts over [valid_from, valid_to)."""
    model, load_field = LINK_TABLES[ctx.spec.name]
    ids = resolve_refs(ctx, records)
    for record in records:
        if ctx.spec.name == "entitlements" and (record.get("employee_number") is None) == (
            record.get("role_code") is None
        ):
            ctx.problem(
                record,
                "employee_number",
                _("give either an employee_number or a role_code, not both or neither"),
            )
        valid_to = record.get("valid_to") if record.has("valid_to") else None
        if valid_to is not None and valid_to <= _valid_from(ctx, record):
            ctx.problem(record, "valid_to", _("must be after valid_from"))
    if ctx.problems:
        return
    groups = _group(ctx, records, lambda r: _link_key(ctx.spec.name, r, ids), lambda r: _valid_from(ctx, r))
    if ctx.problems:
        return
    book = TimelineBook(model)
    book.load(load_field, {key[0] for key in groups})
    for key, group in groups.items():
        outcomes: list[str] = []
        for record in group:
            before = book.segments(key)
            end = record.get("valid_to") if record.has("valid_to") else None
            planned = plan_bounded(
                before, _attrs(ctx, record, ids, model), _valid_from(ctx, record), end, book.defaults
            )
            changed = book.plan(key, planned)
            outcomes.append("created" if not before else "changed" if changed else "unchanged")
        _count(ctx, book, key, outcomes)
        ctx.advance(len(group))
    superseded, inserted = book.persist(source=ctx.source, stamp=ctx.stamp)
    ctx.report.versions_superseded += superseded
    ctx.report.versions_inserted += inserted


def write_roles(ctx: Context, records: list[Record]) -> None:
    """Job roles are a plain code list (code, name) without history."""
    groups = _group(ctx, records, lambda r: (r.get("code"),), lambda r: 0)
    for record in records:
        _check_required(ctx, record, is_new=False)
    if ctx.problems:
        return
    existing = {role.code: role for role in Role.objects.filter(code__in=[k[0] for k in groups])}
    new_roles: list[Role] = []
    changed_roles: list[Role] = []
    for (code,), group in groups.items():
        name = group[-1].get("name")
        role = existing.get(code)
        if role is None:
            if name is None:
                ctx.problem(group[-1], "name", _("required for a new record (the file has no such column)"))
                continue
            new_roles.append(Role(code=code, name=name))
            ctx.outcome("created")
        elif name is not None and role.name != name:
            role.name = name
            changed_roles.append(role)
            ctx.outcome("changed")
        else:
            ctx.outcome("unchanged")
    if ctx.problems:
        return
    Role.objects.bulk_create(new_roles, batch_size=1000)
    Role.objects.bulk_update(changed_roles, ["name"], batch_size=1000)
    ctx.advance(len(records))


# ---------------------------------------------------------------------------------- personnel orders

_CHANGE_ORDER = {
    code: i for i, code in enumerate(("hire", "transfer", "leave", "return", "transfer_out", "retire"))
}


def write_personnel_changes(ctx: Context, records: list[Record]) -> None:
    """発令 rows build each person's history: every order changes the person from its effective date."""
    ids = resolve_refs(ctx, records)
    numbers = {r.get("employee_number") for r in records if r.get("employee_number") is not None}
    known = load_ids("people", numbers)
    usable = [
        r
        for r in records
        if r.get("employee_number") is not None
        and r.get("effective_date") is not None
        and r.get("change") is not None
    ]
    groups = _group(
        ctx, usable, lambda r: (r.get("employee_number"), r.get("change")), lambda r: r.get("effective_date")
    )
    per_person: dict[str, list[Record]] = defaultdict(list)
    for (number, _change), group in groups.items():
        per_person[number].extend(group)
    for number, group in per_person.items():
        group.sort(key=lambda r: (r.get("effective_date"), _CHANGE_ORDER[r.get("change")], r.line))
        if number not in known:
            first = group[0]
            if first.get("change") != "hire":
                ctx.problem(
                    first,
                    "employee_number",
                    _("%(number)s is not in the registry and has no earlier hire order") % {"number": number},
                )
            elif first.get("name_kanji") is None or first.get("employment_type") is None:
                ctx.problem(
                    first,
                    "name_kanji",
                    _("a hire order for a new person needs name_kanji and employment_type"),
                )
    if ctx.problems:
        return
    person_ids = _entity_ids(Person, ("employee_number",), {(n,) for n in per_person}, create=True)
    book = TimelineBook(PersonVersion)
    book.load("entity_id", person_ids.values())
    for number, group in per_person.items():
        key = (person_ids[(number,)],)
        outcomes: list[str] = []
        for record in group:
            before = book.segments(key)
            attrs = _attrs(ctx, record, ids, PersonVersion, empty_means_unchanged=True)
            status = PERSONNEL_CHANGES[record.get("change")]
            if status is not None:
                attrs["status"] = status
            planned = plan_change(before, attrs, record.get("effective_date"), defaults=book.defaults)
            changed = book.plan(key, planned)
            outcomes.append("created" if not before else "changed" if changed else "unchanged")
        _count(ctx, book, key, outcomes)
        ctx.advance(len(group))
    superseded, inserted = book.persist(source=ctx.source, stamp=ctx.stamp)
    ctx.report.versions_superseded += superseded
    ctx.report.versions_inserted += inserted


# -------------------------------------------------------------------------------------- terminal loans


def write_terminal_loans(ctx: Context, records: list[Record]) -> None:
    """A loan makes a terminal ``lent`` (to whom, until when) from lent_from until it is returned."""
    ids = resolve_refs(ctx, records)
    for record in records:
        lent_from, returned = record.get("lent_from"), record.get("returned_at")
        if lent_from is not None and returned is not None and returned <= lent_from:
            ctx.problem(record, "returned_at", _("must be after lent_from"))
    if ctx.problems:
        return
    terminals = ids.get("terminals", {})
    groups = _group(ctx, records, lambda r: (terminals[r.get("asset_tag")],), lambda r: r.get("lent_from"))
    book = TimelineBook(TerminalVersion)
    book.load("entity_id", [k[0] for k in groups])
    for key, group in groups.items():
        for record in group:
            before = book.segments(key)
            if not any(s.covers(record.get("lent_from")) for s in before):
                ctx.problem(record, "lent_from", _("the terminal is not in the registry at that time"))
                continue
            attrs = _attrs(ctx, record, ids, TerminalVersion)
            attrs["status"] = TerminalStatus.LENT
            planned = plan_change(
                before, attrs, record.get("lent_from"), record.get("returned_at"), defaults=book.defaults
            )
            ctx.outcome("changed" if book.plan(key, planned) else "unchanged")
        ctx.advance(len(group))
    if ctx.problems:
        return
    superseded, inserted = book.persist(source=ctx.source, stamp=ctx.stamp)
    ctx.report.versions_superseded += superseded
    ctx.report.versions_inserted += inserted


WRITERS: dict[str, Callable[[Context, list[Record]], None]] = {
    **dict.fromkeys(ENTITY_TABLES, write_entities),
    **dict.fromkeys(LINK_TABLES, write_links),
    "roles": write_roles,
    "personnel_changes": write_personnel_changes,
    "terminal_loans": write_terminal_loans,
}

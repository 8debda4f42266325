"""Looking up the registry's stable keys (unit code, employee number, ...) in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import models

from ringfence.registry.models import InformationSystem, OrgUnit, Person, Role, Room, Terminal, Zone

# Referenced table → (model, key field). Keys are text and unique.
REF_MODELS: dict[str, tuple[type[models.Model], str]] = {
    "units": (OrgUnit, "code"),
    "people": (Person, "employee_number"),
    "systems": (InformationSystem, "code"),
    "zones": (Zone, "code"),
    "rooms": (Room, "code"),
    "roles": (Role, "code"),
    "terminals": (Terminal, "asset_tag"),
}
# SQLite allows 32766 bound parameters per statement (older builds 999); stay far below.
CHUNK = 900

# Above this many keys one scan of the table is cheaper than building many IN (...) lists.
SCAN_ABOVE = 3000

V = TypeVar("V")


def chunks(values: Sequence[V], size: int = CHUNK) -> Iterator[Sequence[V]]:
    """``values`` in slices small enough for one IN (...) clause."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def load_ids(table: str, keys: Iterable[str]) -> dict[str, int]:
    """Key → primary key for the given keys of ``table`` that exist (a few queries, whatever the count)."""
    model, field = REF_MODELS[table]
    wanted = sorted(set(keys))
    out: dict[str, int] = {}
    if len(wanted) > SCAN_ABOVE:
        wanted_set = set(wanted)
        return {k: pk for k, pk in model._default_manager.values_list(field, "pk") if k in wanted_set}
    for part in chunks(wanted):
        for key, pk in model._default_manager.filter(**{f"{field}__in": part}).values_list(field, "pk"):
            out[key] = pk
    return out


def load_keys(table: str, ids: Iterable[int]) -> dict[int, str]:
    """Primary key → stable key (the reverse of ``load_ids``)."""
    model, field = REF_MODELS[table]
    out: dict[int, str] = {}
    for part in chunks(sorted(set(ids))):
        for pk, key in model._default_manager.filter(pk__in=part).values_list("pk", field):
            out[pk] = key
    return out


def rows_for(model: type[models.Model], field: str, ids: Iterable[Any], **filters: Any) -> list[Any]:
    """All rows of ``model`` whose ``field`` is among ``ids`` (chunked), with extra filters."""
    out: list[Any] = []
    for part in chunks(sorted(set(ids))):
        out.extend(model._default_manager.filter(**{f"{field}__in": part}, **filters))
    return out

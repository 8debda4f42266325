"""Many timelines of one model planned in memory and written in bulk.

Importing 50,000 accounts one ``apply_change`` at a time would cost a query or three per account. A
``TimelineBook`` loads the current rows of every timeline the file touches in a few chunked queries,
lets the importer plan each timeline with ``core.temporal.plan_change``, and writes the differences with
one bulk update of ``superseded_at`` and one ``bulk_create`` — the same rows ``apply_change`` would write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connections, models, router

from ringfence.core.temporal import (
    Segment,
    TemporalRecord,
    diff,
    model_defaults,
    plan_change,
    same_attrs,
)

from .refs import SCAN_ABOVE, chunks

TimelineKey = tuple[Any, ...]


def same_timeline(a: Sequence[Segment], b: Sequence[Segment]) -> bool:
    """Whether two timelines say the same thing over the same intervals."""
    return len(a) == len(b) and all(
        x.start == y.start and x.end == y.end and same_attrs(x.attrs, y.attrs)
        for x, y in zip(a, b, strict=True)
    )


def empty_value(model: type[TemporalRecord], attname: str) -> Any:
    """What an empty cell stores in ``attname``: NULL where allowed, else the field's default ("" / [])."""
    f = next(f for f in model._meta.concrete_fields if f.attname == attname)
    if f.null:
        return None
    default = f.get_default()
    return "" if default is None else default


def plan_bounded(
    old: Sequence[Segment],
    attrs: Mapping[str, Any],
    start: dt.datetime,
    end: dt.datetime | None,
    defaults: Mapping[str, Any],
) -> list[Segment]:
    """Like ``plan_change`` over [start, end), and a fact that ran on past ``end`` stops there.

    For grants and memberships "valid until 2025-03-31" must end what was open-ended, yet a grant that is
    known to start again later (a separate segment) is left alone.
    """
    planned = plan_change(old, attrs, start, end, defaults=defaults)
    if end is None:
        return planned
    continued = next(
        (s for s in planned if s.start < end and (s.end is None or s.end > end) and s.start <= start), None
    )
    if continued is None:
        return planned
    out: list[Segment] = []
    for seg in planned:
        if seg is continued:
            out.append(Segment(seg.start, end, dict(seg.attrs)))
        else:
            out.append(seg)
    return out


def _adapter(
    model: type[models.Model], attname: str, vendor_ops: Any, connection: Any
) -> Callable[[Any], Any]:
    """The cheapest correct conversion of a Python value to a query parameter for one column."""
    f = next(f for f in model._meta.concrete_fields if f.attname == attname)
    internal = f.get_internal_type()
    if internal == "DateTimeField":
        return lambda v: vendor_ops.adapt_datetimefield_value(v) if v is not None else None
    if internal == "DateField":
        return lambda v: vendor_ops.adapt_datefield_value(v) if v is not None else None
    if internal in (
        "CharField",
        "TextField",
        "BooleanField",
        "IntegerField",
        "BigIntegerField",
        "ForeignKey",
        "AutoField",
        "BigAutoField",
    ):
        return lambda v: v
    return lambda v: f.get_db_prep_save(v, connection)


def bulk_insert(model: type[models.Model], rows: Sequence[Mapping[str, Any]], batch_size: int = 2000) -> int:
    """INSERT many rows that all give the same columns (attnames), with one prepared statement.

    ``bulk_create`` spends most of its time compiling SQL per object; for tens of thousands of history
    rows a single ``executemany`` with per-column adapters is several times faster and writes the same.
    """
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    columns = list(rows[0])
    adapters = [_adapter(model, name, connection.ops, connection) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            params = [
                [adapt(row[name]) for adapt, name in zip(adapters, columns, strict=True)]
                for row in rows[start : start + batch_size]
            ]
            cursor.executemany(sql, params)
    return len(rows)


class TimelineBook:
    """Old and planned segments of the timelines of ``model`` keyed by their TIMELINE_KEY attnames."""

    def __init__(self, model: type[TemporalRecord]) -> None:
        self.model = model
        self.key_attnames: tuple[str, ...] = tuple(
            getattr(model._meta.get_field(name), "attname", name) for name in model.TIMELINE_KEY
        )
        self.defaults = model_defaults(model)
        self.attribute_names = model.attribute_names()
        self.old: dict[TimelineKey, list[Segment]] = {}
        self.new: dict[TimelineKey, list[Segment]] = {}

    def load(self, field: str, ids: Iterable[Any]) -> None:
        """Load the current rows of every timeline whose ``field`` is among ``ids`` (as plain values)."""
        names = ["id", *self.key_attnames, "valid_from", "valid_to", *self.attribute_names]
        grouped: dict[TimelineKey, list[Segment]] = {}
        wanted = sorted(set(ids))
        current = self.model._default_manager.filter(superseded_at__isnull=True)
        batches: list[Iterable[dict[str, Any]]]
        if len(wanted) > SCAN_ABOVE:
            wanted_set = set(wanted)
            columns = names if field in names else [*names, field]
            batches = [(r for r in current.values(*columns) if r[field] in wanted_set)]
        else:
            batches = [current.filter(**{f"{field}__in": part}).values(*names) for part in chunks(wanted)]
        for batch in batches:
            for row in batch:
                key = tuple(row[name] for name in self.key_attnames)
                attrs = {name: row[name] for name in self.attribute_names}
                grouped.setdefault(key, []).append(
                    Segment(row["valid_from"], row["valid_to"], attrs, row_id=row["id"])
                )
        for key, segments in grouped.items():
            self.old[key] = sorted(segments, key=lambda s: s.start)

    def key_of(self, row: models.Model) -> TimelineKey:
        return tuple(getattr(row, name) for name in self.key_attnames)

    def segments(self, key: TimelineKey) -> list[Segment]:
        """The planned timeline so far (the stored one if nothing was planned yet)."""
        if key in self.new:
            return self.new[key]
        return list(self.old.get(key, []))

    def plan(self, key: TimelineKey, segments: list[Segment], *, compare: bool = True) -> bool:
        """Record the planned timeline of ``key``; whether it differs from the plan before."""
        changed = not compare or not same_timeline(self.segments(key), segments)
        self.new[key] = segments
        return changed

    def persist(self, *, source: str, stamp: dt.datetime) -> tuple[int, int]:
        """Supersede what changed and insert what is new, in bulk; (superseded, inserted)."""
        supersede: list[int] = []
        inserts: list[dict[str, Any]] = []
        for key, planned in self.new.items():
            d = diff(self.old.get(key, []), planned)
            supersede.extend(d.supersede)
            key_values = dict(zip(self.key_attnames, key, strict=True))
            for seg in d.insert:
                inserts.append(
                    {
                        **key_values,
                        **{name: seg.attrs[name] for name in self.attribute_names},
                        "valid_from": seg.start,
                        "valid_to": seg.end,
                        "recorded_at": stamp,
                        "superseded_at": None,
                        "source": source,
                    }
                )
        for part in chunks(supersede):
            self.model._default_manager.filter(pk__in=part, superseded_at__isnull=True).update(
                superseded_at=stamp
            )
        bulk_insert(self.model, inserts)
        return len(supersede), len(inserts)

"""Bitemporal history for registry records.

Every record that enrichment needs is a *timeline*: rows of one model sharing the same key fields
(``TIMELINE_KEY``), each row valid over a half-open interval ``[valid_from, valid_to)`` of *valid time*
(when it was true in the company) and known over ``[recorded_at, superseded_at)`` of *transaction time*
(when ringfence believed it). Rows are never updated in place: a change supersedes the rows it alters and
inserts their replacements. So an analysis of May run in November sees May's facts (valid time), and a
frozen report re-run later sees exactly what was known when it was frozen (transaction time).

The interval arithmetic is pure (``plan_change``/``plan_end``) so it can be tested exhaustively and reused
by bulk importers; ``apply_change``/``end_validity`` persist a plan for one timeline.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

# --------------------------------------------------------------------------------------------- models


class TemporalQuerySet(models.QuerySet):
    """Filters for the two time axes."""

    def known_at(self, known_at: dt.datetime | None = None) -> TemporalQuerySet:
        """Rows ringfence believed at ``known_at`` (default: what it believes now)."""
        if known_at is None:
            return self.filter(superseded_at__isnull=True)
        return self.filter(recorded_at__lte=known_at).filter(
            Q(superseded_at__isnull=True) | Q(superseded_at__gt=known_at)
        )

    def valid_at(self, at: dt.datetime) -> TemporalQuerySet:
        return self.filter(valid_from__lte=at).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))

    def as_of(self, at: dt.datetime, known_at: dt.datetime | None = None) -> TemporalQuerySet:
        """Rows true at ``at`` according to what was known at ``known_at``."""
        return self.known_at(known_at).valid_at(at)

    def overlapping(self, start: dt.datetime, end: dt.datetime | None) -> TemporalQuerySet:
        qs = self.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        if end is not None:
            qs = qs.filter(valid_from__lt=end)
        return qs


class TemporalRecord(models.Model):
    """Abstract base of every row that carries a validity interval and a knowledge interval."""

    TIMELINE_KEY: ClassVar[tuple[str, ...]] = ()

    valid_from = models.DateTimeField(db_index=True)
    valid_to = models.DateTimeField(null=True, blank=True, help_text="Exclusive end; empty means open-ended.")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    source = models.CharField(max_length=200, blank=True, help_text="Provenance: import batch, user, demo.")

    objects = TemporalQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ("valid_from",)
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="%(app_label)s_%(class)s_valid_interval",
            ),
        ]

    @classmethod
    def attribute_names(cls) -> list[str]:
        """Attribute columns (attnames) of a row: everything but the key, the intervals and the pk."""
        meta_fields = {"id", "valid_from", "valid_to", "recorded_at", "superseded_at", "source"}
        key_fields = set(cls.TIMELINE_KEY)
        names = []
        for f in cls._meta.concrete_fields:
            if f.name in meta_fields or f.name in key_fields or f.primary_key:
                continue
            names.append(f.attname)
        return names


R = TemporalRecord
T = TypeVar("T", bound=TemporalRecord)

# ---------------------------------------------------------------------------------- pure planning


@dataclass
class Segment:
    """One interval of a timeline with the attribute values true over it."""

    start: dt.datetime
    end: dt.datetime | None
    attrs: dict[str, Any]
    row_id: int | None = field(default=None, compare=False)

    def covers(self, at: dt.datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


def _frozen(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, Decimal):
        return str(value.normalize())
    return value


def same_attrs(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(_frozen(a[k]) == _frozen(b[k]) for k in a)


def _end_key(end: dt.datetime | None) -> tuple[int, dt.datetime | None]:
    return (1, None) if end is None else (0, end)


def _split(segments: list[Segment], at: dt.datetime) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if seg.start < at and (seg.end is None or at < seg.end):
            out.append(Segment(seg.start, at, dict(seg.attrs)))
            out.append(Segment(at, seg.end, dict(seg.attrs)))
        else:
            out.append(seg)
    return out


def coalesce(segments: Sequence[Segment]) -> list[Segment]:
    """Merge neighbours that touch and say the same thing, so equal histories compare equal."""
    out: list[Segment] = []
    for seg in segments:
        if out and out[-1].end == seg.start and same_attrs(out[-1].attrs, seg.attrs):
            out[-1] = Segment(out[-1].start, seg.end, out[-1].attrs)
        else:
            out.append(Segment(seg.start, seg.end, dict(seg.attrs)))
    return out


def plan_change(
    segments: Sequence[Segment],
    changes: Mapping[str, Any],
    effective_from: dt.datetime,
    effective_to: dt.datetime | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> list[Segment]:
    """The timeline after ``changes`` take effect at ``effective_from``.

    A changed field keeps its new value until the point where the old timeline had already changed that
    field again (or until ``effective_to``). So a transfer recorded late does not undo a later transfer
    that was recorded earlier, and re-applying a change already in the timeline changes nothing.
    Where ``effective_from`` falls outside every segment, a segment is opened there, up to the next known
    segment, with the attributes of the nearest earlier segment (or the next one, or ``defaults`` for a
    new timeline); the segments known after it keep their values.
    """
    if effective_to is not None and effective_to <= effective_from:
        raise ValueError(f"effective_to {effective_to} is not after effective_from {effective_from}")
    segs = sorted((Segment(s.start, s.end, dict(s.attrs)) for s in segments), key=lambda s: s.start)
    segs = _split(segs, effective_from)
    if effective_to is not None:
        segs = _split(segs, effective_to)

    stop_at: dt.datetime | None = effective_to
    if not any(s.covers(effective_from) for s in segs):
        earlier = [s for s in segs if s.end is not None and s.end <= effective_from]
        later = [s for s in segs if s.start > effective_from]
        if earlier:
            base = dict(earlier[-1].attrs)
        elif later:
            base = dict(later[0].attrs)
        else:
            base = dict(defaults or {})
        gap_end: dt.datetime | None = later[0].start if later else None
        if effective_to is not None and (gap_end is None or effective_to < gap_end):
            gap_end = effective_to
        segs.append(Segment(effective_from, gap_end, base))
        segs.sort(key=lambda s: s.start)
        # What was already known after the gap stays as it was.
        stop_at = gap_end

    first = next(i for i, s in enumerate(segs) if s.start == effective_from)
    for name, new_value in changes.items():
        old_value = _frozen(segs[first].attrs.get(name))
        previous_end: dt.datetime | None = effective_from
        for seg in segs[first:]:
            if seg.start != previous_end:
                break
            if stop_at is not None and seg.start >= stop_at:
                break
            if _frozen(seg.attrs.get(name)) != old_value:
                break
            seg.attrs[name] = new_value
            previous_end = seg.end
            if previous_end is None:
                break
    return coalesce(segs)


def plan_end(segments: Sequence[Segment], at: dt.datetime) -> list[Segment]:
    """The timeline cut off at ``at``: nothing is valid from then on."""
    segs = _split(sorted((Segment(s.start, s.end, dict(s.attrs)) for s in segments), key=lambda s: s.start), at)
    return coalesce([s for s in segs if s.start < at])


@dataclass
class Diff:
    keep: list[int]
    supersede: list[int]
    insert: list[Segment]

    @property
    def changed(self) -> bool:
        return bool(self.supersede or self.insert)


def diff(old: Sequence[Segment], new: Sequence[Segment]) -> Diff:
    """Which stored rows survive unchanged, which are superseded, which segments are new."""
    remaining = list(new)
    keep: list[int] = []
    supersede: list[int] = []
    for seg in old:
        match = next(
            (
                n
                for n in remaining
                if n.start == seg.start and n.end == seg.end and same_attrs(n.attrs, seg.attrs)
            ),
            None,
        )
        assert seg.row_id is not None
        if match is None:
            supersede.append(seg.row_id)
        else:
            keep.append(seg.row_id)
            remaining.remove(match)
    return Diff(keep=keep, supersede=supersede, insert=remaining)


# ------------------------------------------------------------------------------------- persistence


def _key_filter(model: type[TemporalRecord], key: Mapping[str, Any]) -> dict[str, Any]:
    if set(key) != set(model.TIMELINE_KEY):
        raise ValueError(f"{model.__name__} timelines are keyed by {model.TIMELINE_KEY}, got {tuple(key)}")
    out: dict[str, Any] = {}
    for name, value in key.items():
        f = model._meta.get_field(name)
        attname = getattr(f, "attname", name)
        out[attname] = value.pk if isinstance(value, models.Model) else value
    return out


def _normalise_changes(model: type[TemporalRecord], changes: Mapping[str, Any]) -> dict[str, Any]:
    allowed = set(model.attribute_names())
    out: dict[str, Any] = {}
    for name, value in changes.items():
        f = model._meta.get_field(name)
        attname = getattr(f, "attname", name)
        if attname not in allowed:
            raise ValueError(f"{model.__name__}.{name} is not a history attribute")
        out[attname] = value.pk if isinstance(value, models.Model) else value
    return out


def model_defaults(model: type[TemporalRecord]) -> dict[str, Any]:
    out = {}
    for name in model.attribute_names():
        f = next(f for f in model._meta.concrete_fields if f.attname == name)
        out[name] = f.get_default()
    return out


def segments_of(rows: Iterable[TemporalRecord]) -> list[Segment]:
    segs = []
    for row in rows:
        attrs = {name: getattr(row, name) for name in type(row).attribute_names()}
        segs.append(Segment(row.valid_from, row.valid_to, attrs, row_id=row.pk))
    return sorted(segs, key=lambda s: s.start)


def timeline(
    model: type[T], key: Mapping[str, Any], known_at: dt.datetime | None = None
) -> list[T]:
    rows = model.objects.filter(**_key_filter(model, key)).known_at(known_at).order_by("valid_from")
    return list(rows)


@dataclass
class ChangeResult:
    changed: bool
    superseded: int
    inserted: int


def persist_plan(
    model: type[TemporalRecord],
    key_filter: Mapping[str, Any],
    old: Sequence[Segment],
    new: Sequence[Segment],
    *,
    source: str,
    now: dt.datetime | None = None,
) -> ChangeResult:
    """Write a planned timeline: supersede what changed, insert what is new, in one transaction."""
    d = diff(old, new)
    if not d.changed:
        return ChangeResult(False, 0, 0)
    stamp = now or timezone.now()
    with transaction.atomic():
        if d.supersede:
            model.objects.filter(pk__in=d.supersede, superseded_at__isnull=True).update(superseded_at=stamp)
        model.objects.bulk_create(
            [
                model(
                    **key_filter,
                    **seg.attrs,
                    valid_from=seg.start,
                    valid_to=seg.end,
                    recorded_at=stamp,
                    source=source,
                )
                for seg in d.insert
            ]
        )
    return ChangeResult(True, len(d.supersede), len(d.insert))


def apply_change(
    model: type[TemporalRecord],
    key: Mapping[str, Any],
    changes: Mapping[str, Any],
    effective_from: dt.datetime,
    effective_to: dt.datetime | None = None,
    *,
    source: str = "",
    now: dt.datetime | None = None,
) -> ChangeResult:
    """Record that ``changes`` hold for the timeline ``key`` from ``effective_from`` (see plan_change)."""
    key_filter = _key_filter(model, key)
    values = _normalise_changes(model, changes)
    with transaction.atomic():
        rows = list(
            model.objects.select_for_update()
            .filter(**key_filter, superseded_at__isnull=True)
            .order_by("valid_from")
        )
        old = segments_of(rows)
        new = plan_change(old, values, effective_from, effective_to, defaults=model_defaults(model))
        return persist_plan(model, key_filter, old, new, source=source, now=now)


def end_validity(
    model: type[TemporalRecord],
    key: Mapping[str, Any],
    at: dt.datetime,
    *,
    source: str = "",
    now: dt.datetime | None = None,
) -> ChangeResult:
    """Record that the timeline ``key`` stops being true at ``at`` (revocation, deletion)."""
    key_filter = _key_filter(model, key)
    with transaction.atomic():
        rows = list(
            model.objects.select_for_update()
            .filter(**key_filter, superseded_at__isnull=True)
            .order_by("valid_from")
        )
        old = segments_of(rows)
        return persist_plan(model, key_filter, old, plan_end(old, at), source=source, now=now)

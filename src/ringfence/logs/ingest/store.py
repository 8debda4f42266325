"""Storing parsed batches: events into the lake, refused lines into quarantine, figures into tallies.

Used by batch and streaming ingest alike. The lake's ``append`` is what makes an event durable and what
skips events already stored (same event ID), so the figures here — stored and duplicate — are exact.
Quarantined lines are kept in the database, once per (source, origin, offset): a re-run quarantines the
same line again without recording it twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields

import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ringfence.logs import lake
from ringfence.logs.parsers import Batch

from .models import QuarantinedLine, SourceTally

QUARANTINE_REASON_MAX = 500


@dataclass
class Counts:
    """What happened to the records of an input: ``read == stored + duplicates + quarantined + skipped``."""

    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0  # blank lines and header lines

    def add(self, other: Counts) -> None:
        """Add ``other``'s figures to these."""
        for spec in fields(self):
            setattr(self, spec.name, getattr(self, spec.name) + getattr(other, spec.name))

    def as_dict(self) -> dict[str, int]:
        """The figures by name."""
        return {spec.name: getattr(self, spec.name) for spec in fields(self)}


def _rounds(by_source: dict[str, list[Batch]]) -> list[dict[str, list[Batch]]]:
    """Groups in which every system has at most one source, so stored rows can be told apart by system."""
    per_system: dict[str, list[str]] = defaultdict(list)
    for source, batches in by_source.items():
        per_system[batches[0].definition.system].append(source)
    rounds: list[dict[str, list[Batch]]] = []
    depth = max((len(sources) for sources in per_system.values()), default=0)
    for index in range(depth):
        rounds.append(
            {
                sources[index]: by_source[sources[index]]
                for sources in per_system.values()
                if index < len(sources)
            }
        )
    return rounds


def store_batches(batches: Iterable[Batch], *, actor: str, origin: str = "<ingest>") -> dict[str, Counts]:
    """Write ``batches`` durably; returns the counts per source id. Raises what ``lake.append`` raises."""
    by_source: dict[str, list[Batch]] = defaultdict(list)
    for batch in batches:
        by_source[batch.definition.id].append(batch)
    counts: dict[str, Counts] = {}
    received = timezone.now()
    for group in _rounds(by_source):
        tables: list[pa.Table] = []
        system_of: dict[str, str] = {}
        newest: dict[str, dt.datetime | None] = {}
        for source, source_batches in group.items():
            system_of[source] = source_batches[0].definition.system
            own = [b.to_arrow() for b in source_batches if len(b)]
            tables.extend(own)
            times = [pc.max(t.column("time")).as_py() for t in own]
            newest[source] = max((t for t in times if t is not None), default=None)
            counts[source] = Counts(
                read=sum(b.records for b in source_batches),
                skipped=sum(b.skipped for b in source_batches),
                quarantined=sum(len(b.quarantined) for b in source_batches),
            )
        written = lake.append(pa.concat_tables(tables), origin=origin, actor=actor) if tables else []
        stored_by_system: dict[str, int] = defaultdict(int)
        for written_file in written:
            stored_by_system[written_file.system] += written_file.rows
        for source, source_batches in group.items():
            events = sum(len(b) for b in source_batches)
            stored = stored_by_system[system_of[source]]
            counts[source].stored = stored
            counts[source].duplicates = events - stored
        _quarantine([b for batches_ in group.values() for b in batches_], received)
        for source in group:
            _tally(source, system_of[source], counts[source], newest[source], received)
    return counts


def _quarantine(batches: list[Batch], received: dt.datetime) -> None:
    rows = [
        QuarantinedLine(
            source=batch.definition.id,
            system=batch.definition.system,
            origin=batch.context.origin[:300],
            source_file=(batch.context.source_file or "")[:1000],
            line=item.line,
            offset=item.offset,
            reason=item.reason[:QUARANTINE_REASON_MAX],
            raw=item.raw,
            received_at=received,
        )
        for batch in batches
        for item in batch.quarantined
    ]
    if rows:
        QuarantinedLine.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)


def _tally(
    source: str, system: str, counts: Counts, newest: dt.datetime | None, received: dt.datetime
) -> None:
    hour = received.replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        tally, _created = SourceTally.objects.select_for_update().get_or_create(
            source=source, hour=hour, defaults={"system": system}
        )
        SourceTally.objects.filter(pk=tally.pk).update(
            events=F("events") + counts.stored,
            duplicates=F("duplicates") + counts.duplicates,
            quarantined=F("quarantined") + counts.quarantined,
            last_received_at=received,
        )
        if newest is not None and (tally.last_event_at is None or newest > tally.last_event_at):
            SourceTally.objects.filter(pk=tally.pk).update(last_event_at=newest)

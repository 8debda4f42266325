"""The inputs a campaign is computed from, pinned so that computing it again gives identical figures.

Three things can change after a campaign is computed: late logs for the period can arrive (new lake files),
the registry can be corrected (new versions recorded later), and lines can be quarantined by later
ingests (the source tallies grow). A ``Pin`` fixes all three: the list of lake files (path and SHA-256)
that held the period's events when the campaign ran, with the manifest sequence and head hash at that
moment; the transaction time ``known_at`` up to which registry records count; and the tallies of received
and quarantined lines per source. Figures are a pure function of the pin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.utils import timezone

from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST
from ringfence.logs.ingest.models import QuarantinedLine
from ringfence.logs.lake.layout import lake_dir
from ringfence.logs.lake.manifest import scan
from ringfence.logs.lake.query import HIVE_TYPES
from ringfence.logs.schema import EVENT_SCHEMA
from ringfence.logs.selectors import configured_sources


@dataclass(frozen=True)
class PinnedFile:
    """A lake file that held events of the period."""

    path: str
    sha256: str
    rows: int
    system: str
    day: str


@dataclass(frozen=True)
class Pin:
    """Everything a campaign's figures are computed from, besides the code."""

    known_at: dt.datetime
    lake_seq: int
    lake_head_hash: str
    files: tuple[PinnedFile, ...]
    # source -> (system, lines stored, lines quarantined) over the period's hours, as of pinning
    tallies: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (stored on the campaign)."""
        return {
            "known_at": self.known_at.astimezone(dt.UTC).isoformat(),
            "lake_seq": self.lake_seq,
            "lake_head_hash": self.lake_head_hash,
            "files": [asdict(f) for f in self.files],
            "tallies": {source: list(values) for source, values in sorted(self.tallies.items())},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pin:
        """The pin stored by ``as_json``."""
        return cls(
            known_at=dt.datetime.fromisoformat(str(data["known_at"])),
            lake_seq=int(data["lake_seq"]),
            lake_head_hash=str(data["lake_head_hash"]),
            files=tuple(PinnedFile(**f) for f in data["files"]),
            tallies={str(k): (str(v[0]), int(v[1]), int(v[2])) for k, v in data.get("tallies", {}).items()},
        )


def period_days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The JST calendar days that [start, end) touches."""
    first = start.astimezone(JST).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(JST).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def pin_inputs(
    start: dt.datetime,
    end: dt.datetime,
    systems: list[str],
    *,
    known_at: dt.datetime | None = None,
    root: Path | None = None,
) -> Pin:
    """Pin the lake files of ``systems`` on the period's days, the registry time and the source tallies."""
    root = root or lake_dir()
    manifest = scan(root)
    wanted_days = {d.isoformat() for d in period_days(start, end)}
    wanted_systems = set(systems)
    files = sorted(
        (
            PinnedFile(
                path=entry.path,
                sha256=entry.sha256,
                rows=int(entry.fields.get("rows", 0)),
                system=str(entry.fields.get("system", "")),
                day=str(entry.fields.get("day", "")),
            )
            for entry in manifest.live.values()
            if entry.fields.get("system") in wanted_systems and entry.fields.get("day") in wanted_days
        ),
        key=lambda f: f.path,
    )
    pin = Pin(
        known_at=known_at or timezone.now(),
        lake_seq=manifest.head_seq,
        lake_head_hash=manifest.head_hash,
        files=tuple(files),
    )
    tallies = _line_tallies(pin, start, end, root)
    # Sources defined for these systems that delivered nothing in the period are part of what is expected.
    for definition in configured_sources().values():
        if definition.system in wanted_systems and definition.id not in tallies:
            tallies[definition.id] = (definition.system, 0, 0)
    return Pin(pin.known_at, pin.lake_seq, pin.lake_head_hash, pin.files, dict(sorted(tallies.items())))


def _line_tallies(
    pin: Pin, start: dt.datetime, end: dt.datetime, root: Path
) -> dict[str, tuple[str, int, int]]:
    """Per source: (system, events of the period, lines quarantined from the same input).

    A quarantined line has no time (it could not be parsed), so it is matched to the period through where
    it came from: lines from the files that delivered the period's events; for streamed events (no file),
    lines of the same source without a file received during the period or the day after. Source tallies
    are by hour of receipt, which says nothing about a past week loaded later, so they are not used.
    """
    con = connect_pinned(pin, root)
    try:
        rows = con.execute(
            "SELECT source, any_value(system), coalesce(source_file, ''), count(*) FROM events "
            "WHERE time >= ? AND time < ? GROUP BY source, source_file",
            [start, end],
        ).fetchall()
    finally:
        con.close()
    system_of: dict[str, str] = {}
    stored: dict[str, int] = defaultdict(int)
    files_of: dict[str, set[str]] = defaultdict(set)
    streamed: set[str] = set()
    for source, system, source_file, count in rows:
        system_of[str(source)] = str(system)
        stored[str(source)] += int(count)
        if source_file:
            files_of[str(source)].add(str(source_file))
        else:
            streamed.add(str(source))
    quarantined: dict[str, int] = defaultdict(int)
    for source, names in files_of.items():
        ordered = sorted(names)
        for offset in range(0, len(ordered), 500):
            quarantined[source] += QuarantinedLine.objects.filter(
                source=source, source_file__in=ordered[offset : offset + 500], received_at__lte=pin.known_at
            ).count()
    for source in streamed:
        quarantined[source] += QuarantinedLine.objects.filter(
            source=source, source_file="", received_at__gte=start,
            received_at__lt=min(end + dt.timedelta(days=1), pin.known_at),
        ).count()  # fmt: skip
    return {source: (system_of[source], stored[source], quarantined[source]) for source in sorted(system_of)}


def file_problems(pin: Pin, root: Path | None = None) -> dict[str, list[str]]:
    """Pinned files that are gone or no longer match their SHA-256, by system (empty when all are intact).

    Checked before every computation: a figure computed from an altered file would be worthless, and a
    re-run of a frozen campaign must read exactly the bytes the original run read.
    """
    root = root or lake_dir()
    problems: dict[str, list[str]] = {}
    for pinned in pin.files:
        path = root / pinned.path
        try:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            problems.setdefault(pinned.system, []).append(f"missing: {pinned.path}")
            continue
        if digest.hexdigest() != pinned.sha256:
            problems.setdefault(pinned.system, []).append(f"altered: {pinned.path}")
    return problems


def connect_pinned(
    pin: Pin, root: Path | None = None, *, skip: set[str] | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose view ``events`` reads exactly the pinned files (minus ``skip`` paths)."""
    root = root or lake_dir()
    paths = [str(root / f.path) for f in pin.files if not skip or f.path not in skip]
    con = duckdb.connect()
    from ringfence.detection.engine.duck import tune

    tune(con)  # bounded memory with spilling, as detection: a report over a large lake must not exhaust RAM
    if not paths:
        empty = EVENT_SCHEMA.empty_table().append_column("day", pa.array([], pa.date32()))
        con.register("pinned_empty_events", empty)
        con.execute("CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM pinned_empty_events")
        return con
    listing = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM read_parquet([{listing}], "
        f"hive_partitioning = true, hive_types = {HIVE_TYPES})"
    )
    return con


class PinBroken(RingfenceError):
    """The pinned inputs of a frozen campaign can no longer be read as they were."""

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
import json
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
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
from ringfence.logs.lake.manifest import Op, RemoveReason, manifest_path, scan
from ringfence.logs.lake.query import HIVE_TYPES
from ringfence.logs.schema import EVENT_SCHEMA
from ringfence.logs.selectors import configured_sources

HASH_WORKERS = 4


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


@dataclass
class Resolution:
    """Where the pinned events are now: pinned files still live, and outputs of later compactions."""

    plain: list[str] = field(default_factory=list)  # pinned files, live and intact
    compacted: list[str] = field(default_factory=list)  # merged files that now hold pinned files' events
    problems: dict[str, list[str]] = field(default_factory=dict)  # by system: "missing: …", "altered: …"


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _compaction_successors(root: Path) -> dict[str, str]:
    """Removed path -> the file a compaction merged it into (from the manifest's compaction transactions)."""
    manifest = manifest_path(root)
    if not manifest.exists():
        return {}
    by_txn: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with manifest.open("rb") as fh:
        for raw in fh:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue  # a torn or broken line: the chain check reports it
            if isinstance(entry, dict) and "txn" in entry:
                by_txn[str(entry["txn"])].append(entry)
    successors: dict[str, str] = {}
    for entries in by_txn.values():
        added = [e["path"] for e in entries if e.get("op") == Op.ADD]
        removed = [
            e["path"]
            for e in entries
            if e.get("op") == Op.REMOVE and e.get("reason") == RemoveReason.COMPACTION
        ]
        if len(added) == 1:
            for path in removed:
                successors[str(path)] = str(added[0])
    return successors


def resolve_pin(pin: Pin, root: Path | None = None) -> Resolution:
    """Check every pinned file and find where its events are now.

    A pinned file still live must match its SHA-256. One a compaction has since merged into a bigger file
    is followed to that file (checked against its own manifest SHA-256); reading it, only events ingested
    up to the pin's ``known_at`` are kept, which leaves out late logs merged in with them. A file gone
    otherwise (deleted behind the lake's back, purged) or altered is a problem of its system.
    """
    root = root or lake_dir()
    live = scan(root).live
    successors: dict[str, str] | None = None
    result = Resolution()
    compacted: set[str] = set()
    # Hash the live pinned files in threads (hashlib releases the GIL): a week of a large lake is gigabytes.
    with ThreadPoolExecutor(max_workers=HASH_WORKERS) as pool:
        digests = dict(
            zip(
                [f.path for f in pin.files if f.path in live],
                pool.map(_sha256, [root / f.path for f in pin.files if f.path in live]),
                strict=True,
            )
        )
    for pinned in pin.files:
        if pinned.path in live:
            if digests[pinned.path] == pinned.sha256:
                result.plain.append(pinned.path)
            else:
                kind = "missing" if not (root / pinned.path).exists() else "altered"
                result.problems.setdefault(pinned.system, []).append(f"{kind}: {pinned.path}")
            continue
        successors = successors if successors is not None else _compaction_successors(root)
        current, seen = pinned.path, set()
        while current not in live and current in successors and current not in seen:
            seen.add(current)
            current = successors[current]
        if current not in live or current == pinned.path:
            result.problems.setdefault(pinned.system, []).append(f"missing: {pinned.path}")
        elif current not in compacted:
            if _sha256(root / current) == live[current].sha256:
                compacted.add(current)
            else:
                result.problems.setdefault(pinned.system, []).append(
                    f"altered: {current} (merged {pinned.path})"
                )
    result.compacted = sorted(compacted)
    return result


def file_problems(pin: Pin, root: Path | None = None) -> dict[str, list[str]]:
    """Pinned files (or the files they were merged into) that are gone or altered, by system."""
    return resolve_pin(pin, root).problems


def _listing(root: Path, paths: list[str]) -> str:
    return ", ".join("'" + str(root / p).replace("'", "''") + "'" for p in paths)


def connect_pinned(
    pin: Pin, root: Path | None = None, resolution: Resolution | None = None
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose view ``events`` reads exactly the pinned events (see ``resolve_pin``).

    Without ``resolution`` every pinned file is read as listed (used while pinning, when they are live).
    """
    root = root or lake_dir()
    plain = resolution.plain if resolution is not None else [f.path for f in pin.files]
    compacted = resolution.compacted if resolution is not None else []
    con = duckdb.connect()
    from ringfence.detection.engine.duck import tune

    tune(con)  # bounded memory with spilling, as detection: a report over a large lake must not exhaust RAM
    parts = []
    read = f"hive_partitioning = true, hive_types = {HIVE_TYPES}"
    if plain:
        parts.append(f"SELECT * FROM read_parquet([{_listing(root, plain)}], {read})")
    if compacted:
        known = pin.known_at.astimezone(dt.UTC).isoformat()
        parts.append(
            f"SELECT * FROM read_parquet([{_listing(root, compacted)}], {read}) "
            f"WHERE ingested_at <= TIMESTAMPTZ '{known}'"
        )
    if not parts:
        empty = EVENT_SCHEMA.empty_table().append_column("day", pa.array([], pa.date32()))
        con.register("pinned_empty_events", empty)
        con.execute("CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM pinned_empty_events")
        return con
    con.execute(f"CREATE OR REPLACE TEMP VIEW events AS {' UNION ALL BY NAME '.join(parts)}")
    return con


class PinBroken(RingfenceError):
    """The pinned inputs of a frozen campaign can no longer be read as they were."""

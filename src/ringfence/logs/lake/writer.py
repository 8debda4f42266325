"""Appending events to the lake: validate, split by system and JST day, write Parquet durably, record.

``append`` is the one way events enter the lake. It is idempotent per event: events whose ``event_id`` is
already stored in their partition (or repeated inside the batch) are skipped, under the writer lock, so
re-ingesting a file or replaying a batch — even from two processes at once — adds no duplicates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem
from ringfence.logs.schema import EVENT_FIELDS, EVENT_SCHEMA

from .durable import FILE_MODE, LakeIOError, fsync_dir, io_error, make_dirs, os_errors
from .layout import SYSTEM_CODE, TEMP_SUFFIX, Partition, absolute
from .manifest import Op
from .session import WriterSession, writer_session

JST_TIMESTAMP = pa.timestamp("us", tz="Asia/Tokyo")

# ~128k events per row group: a few tens of MB uncompressed with ~200-byte raw lines, small enough for
# DuckDB to skip row groups by time statistics, large enough to compress well.
ROW_GROUP_ROWS = 128 * 1024
ZSTD_LEVEL = 1  # measured: level 3 is ~25% slower and no smaller on log lines (docs/benchmarks.md)
# Dictionary encoding pays off for repetitive columns only; unique ones (IDs, raw lines) would just spill.
DICTIONARY_COLUMNS = [
    "system", "source", "class", "activity", "outcome", "account", "account_domain", "target_account",
    "src_ip", "src_host", "terminal", "dst_host", "logon_type", "function", "record_type", "source_file",
]  # fmt: skip
# Min/max statistics let DuckDB skip row groups; on free text they cost time and help no query.
STATISTICS_COLUMNS = [name for name in EVENT_FIELDS if name not in ("raw", "message", "extra", "record_ids")]
WRITE_THREADS = 4
DEFAULT_ACTOR = "system:ingest"


@dataclass(frozen=True)
class LakeFile:
    """A Parquet file in the lake, as its manifest ``add`` entry describes it."""

    path: str  # relative to the lake root, forward slashes
    sha256: str
    bytes: int
    rows: int
    system: str
    day: dt.date
    min_time: dt.datetime
    max_time: dt.datetime
    seq: int

    @classmethod
    def from_entry(cls, fields: dict[str, Any]) -> LakeFile:
        """The file an ``add`` (or ``remove``) manifest entry describes."""
        return cls(
            path=str(fields["path"]),
            sha256=str(fields["sha256"]),
            bytes=int(fields["bytes"]),
            rows=int(fields["rows"]),
            system=str(fields["system"]),
            day=dt.date.fromisoformat(str(fields["day"])),
            min_time=dt.datetime.fromisoformat(str(fields["min_time"])),
            max_time=dt.datetime.fromisoformat(str(fields["max_time"])),
            seq=int(fields["seq"]),
        )

    def draft(self) -> dict[str, Any]:
        """The op-independent manifest fields describing this file."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "rows": self.rows,
            "system": self.system,
            "day": self.day.isoformat(),
            "min_time": self.min_time.isoformat(),
            "max_time": self.max_time.isoformat(),
        }


def _where(table: pa.Table, row: int, origin: str) -> tuple[str, int]:
    """File and line to name for a bad row: the event's own source line when it has one."""
    source_file = table.column("source_file")[row].as_py() if "source_file" in table.column_names else None
    source_line = table.column("source_line")[row].as_py() if "source_line" in table.column_names else None
    if source_file and isinstance(source_line, int):
        return str(source_file), source_line
    return origin, row + 1


def conform(table: pa.Table, origin: str = "<batch>") -> pa.Table:
    """The batch with exactly EVENT_SCHEMA's columns and types, or ``BadInput`` naming each bad field.

    Columns may arrive in any order and with types that convert without loss (e.g. a timestamp in another
    time zone or unit); missing or unknown columns, lossy conversions, nulls where the schema forbids them
    and system codes unusable as a directory name are refused.
    """
    problems: list[InputProblem] = []
    names = table.column_names
    for name in EVENT_FIELDS:
        if name not in names:
            problems.append(InputProblem(origin, None, name, _("column missing")))
    for name in names:
        if name not in EVENT_FIELDS:
            problems.append(InputProblem(origin, None, name, _("column not in the event schema")))
        elif names.count(name) > 1:
            problems.append(InputProblem(origin, None, name, _("column appears more than once")))
    if problems:
        raise BadInput(_("the events do not match the event schema"), sorted(set(problems), key=str))
    columns: list[pa.ChunkedArray] = []
    for spec in EVENT_SCHEMA:
        column = table.column(spec.name)
        if column.type != spec.type:
            try:
                column = column.cast(spec.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                problems.append(
                    InputProblem(
                        origin,
                        None,
                        spec.name,
                        _("type %(got)s cannot be stored as %(want)s")
                        % {"got": column.type, "want": spec.type},
                    )
                )
                continue
        if not spec.nullable and column.null_count:
            row = int(pc.index(pc.is_null(column), True).as_py())
            file, line = _where(table, row, origin)
            problems.append(InputProblem(file, line, spec.name, _("value required")))
        columns.append(column)
    if problems:
        raise BadInput(_("the events do not match the event schema"), problems)
    result = pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)
    for code in pc.unique(result.column("system")).to_pylist():
        if not SYSTEM_CODE.fullmatch(code):
            row = int(pc.index(result.column("system"), code).as_py())
            file, line = _where(result, row, origin)
            problems.append(
                InputProblem(
                    file, line, "system", _("system code %(code)r cannot name a partition") % {"code": code}
                )
            )
    empty_ids = pc.equal(pc.utf8_length(result.column("event_id")), 0)
    if pc.any(empty_ids).as_py():
        row = int(pc.index(empty_ids, True).as_py())
        file, line = _where(result, row, origin)
        problems.append(InputProblem(file, line, "event_id", _("value required")))
    if problems:
        raise BadInput(_("the events do not match the event schema"), problems)
    return result


def jst_days(times: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The JST calendar day (date32) of each UTC timestamp: the day a Japanese reader would name."""
    local = pc.local_timestamp(times.cast(JST_TIMESTAMP))
    days = pc.cast(local, pa.date32())
    return days.combine_chunks() if isinstance(days, pa.ChunkedArray) else days


def split_by_partition(table: pa.Table) -> list[tuple[Partition, pa.Table]]:
    """The batch sorted by (system, JST day, time) and cut into one slice per partition."""
    if table.num_rows == 0:
        return []
    days = jst_days(table.column("time"))
    keys = pa.table({"system": table.column("system"), "day": days, "time": table.column("time")})
    order = pc.sort_indices(
        keys, sort_keys=[("system", "ascending"), ("day", "ascending"), ("time", "ascending")]
    )
    # Parsers mostly hand over one system's lines in time order: then the copy a reorder costs is skipped.
    in_order = pc.all(pc.equal(order, pa.array(range(len(order)), order.type))).as_py()
    ordered = table if in_order else table.take(order)
    systems = ordered.column("system").combine_chunks()
    day_sorted = pc.take(days, order)
    if isinstance(day_sorted, pa.ChunkedArray):
        day_sorted = day_sorted.combine_chunks()
    count = len(day_sorted)
    # A partition starts at row 0 and wherever the system or the day differs from the row before.
    changed = pc.or_(
        pc.not_equal(day_sorted.slice(1), day_sorted.slice(0, count - 1)),
        pc.not_equal(systems.slice(1), systems.slice(0, count - 1)),
    )
    starts = [0, *(int(i) + 1 for i in pc.indices_nonzero(changed).to_pylist()), count]
    parts: list[tuple[Partition, pa.Table]] = []
    for start, end in itertools.pairwise(starts):
        partition = Partition(systems[start].as_py(), day_sorted[start].as_py())
        parts.append((partition, ordered.slice(start, end - start)))
    return parts


class _HashingWriter:
    """A write-only file object that hashes what passes through (saves reading the file back)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.digest = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self._fh.write(data)

    def flush(self) -> None:
        self._fh.flush()

    def tell(self) -> int:
        return self.size

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


def write_parquet(table: pa.Table, path: Path) -> tuple[str, int]:
    """Write ``table`` as zstd Parquet at ``path`` and fsync it; returns its SHA-256 and size."""
    with os_errors(path):
        with open(path, "xb") as fh:
            sink = _HashingWriter(fh)
            pq.write_table(
                table,
                sink,
                compression="zstd",
                compression_level=ZSTD_LEVEL,
                row_group_size=ROW_GROUP_ROWS,
                use_dictionary=DICTIONARY_COLUMNS,
                write_statistics=STATISTICS_COLUMNS,
                sorting_columns=[pq.SortingColumn(EVENT_FIELDS.index("time"))],
            )
            fh.flush()
            os.fsync(fh.fileno())
        path.chmod(FILE_MODE)
    return sink.digest.hexdigest(), sink.size


def known_ids_in(session: WriterSession, partition: Partition, part: pa.Table) -> pa.Array:
    """Those of the part's event IDs already stored in the partition's live files.

    A stored duplicate has the same time as its candidate, so only files whose [min_time, max_time] meets
    the part's time range are read: a stream appending ever later events reads next to nothing.
    """
    prefix = partition.relative_dir + "/"
    times = part.column("time")
    first, last = pc.min(times).as_py(), pc.max(times).as_py()
    paths = [
        str(absolute(session.root, path))
        for path, entry in session.manifest.live.items()
        if path.startswith(prefix)
        and dt.datetime.fromisoformat(entry.fields["max_time"]) >= first
        and dt.datetime.fromisoformat(entry.fields["min_time"]) <= last
    ]
    if not paths:
        return pa.array([], pa.string())
    candidates = part.column("event_id").combine_chunks()
    with os_errors(paths[0]):
        stored = read_event_ids(paths)
    return pc.filter(candidates, pc.is_in(candidates, value_set=stored))


def read_event_ids(paths: list[str]) -> pa.Array:
    """The ``event_id`` column of the given part files, read as plain files (no partition inference)."""
    chunks = [
        pq.read_table(path, columns=["event_id"], partitioning=None).column("event_id") for path in paths
    ]
    return pa.chunked_array([c for chunk in chunks for c in chunk.chunks], pa.string()).combine_chunks()


def _first_occurrences(table: pa.Table) -> pa.Table:
    """The table without rows whose ``event_id`` appeared earlier in it (a batch replayed into itself)."""
    ids = table.column("event_id")
    if pc.count_distinct(ids).as_py() == table.num_rows:
        return table
    numbered = pa.table({"event_id": ids, "row": pa.array(range(table.num_rows), pa.int64())})
    first = numbered.group_by("event_id", use_threads=False).aggregate([("row", "min")]).column("row_min")
    return table.take(pc.take(first, pc.sort_indices(first)))


def write_files(
    session: WriterSession, parts: list[tuple[Partition, pa.Table]], delete: list[str] | None = None
) -> tuple[list[dict[str, Any]], Path]:
    """Write partition slices as part files (temp, fsync, rename, fsync dir) under one intent.

    ``delete`` names files the same transaction will remove (compaction), so recovery knows them too.
    Returns the manifest drafts, in the order of ``parts``, and the intent; the caller commits the drafts
    and then finishes the intent.
    """
    txn = uuid.uuid4().hex
    plan: list[tuple[Partition, pa.Table, str, str]] = []
    for index, (partition, part) in enumerate(parts):
        final = partition.part_name(session.next_seq + index, uuid.uuid4().hex[:8])
        plan.append((partition, part, final, final + f".{txn[:8]}{TEMP_SUFFIX}"))
    intent = session.begin(txn, [(temp, final) for _p, _t, final, temp in plan], delete or [])
    for _partition, _part, final, _temp in plan:
        make_dirs(absolute(session.root, final).parent)

    def write(item: tuple[Partition, pa.Table, str, str]) -> tuple[str, int] | OSError:
        # The error is turned into a message in the calling thread: the language is active there only.
        try:
            return write_parquet(item[1], absolute(session.root, item[3]))
        except LakeIOError as exc:
            cause = exc.__cause__
            return cause if isinstance(cause, OSError) else OSError(str(exc))

    # Parquet encoding releases the GIL: partitions are encoded side by side.
    with ThreadPoolExecutor(max_workers=min(WRITE_THREADS, len(plan))) as pool:
        outcomes = list(pool.map(write, plan))
    written: list[tuple[str, int]] = []
    for item, outcome in zip(plan, outcomes, strict=True):
        if isinstance(outcome, OSError):
            raise io_error(absolute(session.root, item[3]), outcome) from outcome
        written.append(outcome)
    drafts: list[dict[str, Any]] = []
    for (partition, part, final, temp), (digest, size) in zip(plan, written, strict=True):
        temp_path, final_path = absolute(session.root, temp), absolute(session.root, final)
        with os_errors(final_path):
            temp_path.rename(final_path)
        fsync_dir(final_path.parent)
        times = part.column("time")
        drafts.append(
            {
                "op": Op.ADD,
                **LakeFile(
                    path=final,
                    sha256=digest,
                    bytes=size,
                    rows=part.num_rows,
                    system=partition.system,
                    day=partition.day,
                    min_time=pc.min(times).as_py(),
                    max_time=pc.max(times).as_py(),
                    seq=0,
                ).draft(),
            }
        )
    return drafts, intent


def append(
    table: pa.Table, *, origin: str = "<batch>", actor: str = DEFAULT_ACTOR, skip_known: bool = True
) -> list[LakeFile]:
    """Store a batch of normalised events in the lake and return the files written.

    The batch is checked against EVENT_SCHEMA (``BadInput`` naming field, file and line), split by
    ``system`` and JST calendar day of ``time``, and written as one zstd Parquet file per partition. When
    this returns, every event in it is durable: files and manifest are fsynced. With ``skip_known`` (the
    default) events whose ``event_id`` the partition already holds, or that repeat within the batch, are
    left out; ``sum(f.rows for f in result)`` tells how many were stored. Disk full or permission problems
    raise ``RingfenceError`` naming the path, and leave the lake as it was.
    """
    events = conform(table, origin)
    parts = split_by_partition(events)
    if not parts:
        return []
    with writer_session(actor) as session:
        if skip_known:
            fresh: list[tuple[Partition, pa.Table]] = []
            for partition, part in parts:
                part = _first_occurrences(part)
                known = known_ids_in(session, partition, part)
                if len(known):
                    part = part.filter(pc.invert(pc.is_in(part.column("event_id"), value_set=known)))
                if part.num_rows:
                    fresh.append((partition, part))
            parts = fresh
        if not parts:
            return []
        drafts, intent = write_files(session, parts)
        entries = session.commit(drafts)
        session.finish(intent)
    return [LakeFile.from_entry(fields) for fields in entries]

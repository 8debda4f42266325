"""Compaction: merging a partition's small files into one, keeping every event and the chain valid.

Streaming ingest writes many small files; DuckDB reads fewer, larger ones faster. A compaction of one
partition, in crash-safe order:

1. check each input's SHA-256 against the manifest (an altered file is refused, never laundered into a
   newly hashed one);
2. record the intent (new file to create, inputs to delete);
3. write the merged file (sorted by time) durably under its final name;
4. read it back from disk and compare its row count and a SHA-256 over its sorted event IDs with the
   inputs';
5. commit one manifest transaction: ``add`` of the new file, then ``remove`` (reason ``compaction``) of
   each input;
6. delete the inputs and the intent.

A crash before 5 leaves the inputs live and recovery deletes the new file; a crash after 5 leaves the new
file live and recovery deletes the inputs. Readers never see both as live.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError

from .durable import os_errors
from .layout import Partition, absolute
from .manifest import Op, RemoveReason
from .session import WriterSession, delete_files, writer_session
from .writer import LakeFile, write_files

# Files at least this large are left alone: merging them gains little and rewrites a lot.
SMALL_FILE_BYTES = 64 * 1024 * 1024
DEFAULT_ACTOR = "system:compaction"


@dataclass(frozen=True)
class Compaction:
    """One partition's small files merged into one."""

    partition: Partition
    inputs: tuple[LakeFile, ...]
    output: LakeFile


def id_fingerprint(ids: pa.ChunkedArray | pa.Array) -> str:
    """SHA-256 over the sorted event IDs, one per line: equal exactly when the ID multisets are equal."""
    ordered = pc.take(ids, pc.sort_indices(ids))
    digest = hashlib.sha256()
    for chunk in ordered.chunks if isinstance(ordered, pa.ChunkedArray) else [ordered]:
        digest.update(("\n".join(chunk.to_pylist()) + "\n").encode("utf-8"))
    return digest.hexdigest()


def _read_checked(session: WriterSession, lake_file: LakeFile) -> pa.Table:
    path = absolute(session.root, lake_file.path)
    with os_errors(path):
        data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != lake_file.sha256 or len(data) != lake_file.bytes:
        raise RingfenceError(
            _("%(path)s differs from the manifest (altered); not compacting it — run `ringfence verify`")
            % {"path": lake_file.path}
        )
    return pq.read_table(pa.BufferReader(data))


def _compact_partition(session: WriterSession, partition: Partition, inputs: list[LakeFile]) -> Compaction:
    tables = [_read_checked(session, f) for f in inputs]
    merged = pa.concat_tables(tables)
    merged = merged.take(
        pc.sort_indices(merged, sort_keys=[("time", "ascending"), ("event_id", "ascending")])
    )
    expected_rows = sum(f.rows for f in inputs)
    expected_ids = id_fingerprint(merged.column("event_id"))
    if merged.num_rows != expected_rows:
        raise RingfenceError(
            _(
                "%(partition)s: the inputs hold %(rows)d events but the manifest says %(expected)d; not compacting"
            )
            % {"partition": partition.relative_dir, "rows": merged.num_rows, "expected": expected_rows}
        )
    inputs_paths = [f.path for f in inputs]
    drafts, intent = write_files(session, [(partition, merged)], delete=inputs_paths)
    written_path = absolute(session.root, str(drafts[0]["path"]))
    with os_errors(written_path):
        written = pq.read_table(written_path, columns=["event_id"], partitioning=None)
    if written.num_rows != expected_rows or id_fingerprint(written.column("event_id")) != expected_ids:
        raise RingfenceError(
            _("%(partition)s: the merged file does not hold the same events as its inputs; compaction undone")
            % {"partition": partition.relative_dir}
        )
    removes = [{"op": Op.REMOVE, "reason": RemoveReason.COMPACTION, **f.draft()} for f in inputs]
    entries = session.commit([*drafts, *removes])
    delete_files(session.root, inputs_paths)
    session.finish(intent)
    return Compaction(partition, tuple(inputs), LakeFile.from_entry(entries[0]))


def compact(
    system: str | None = None,
    day: dt.date | None = None,
    *,
    actor: str = DEFAULT_ACTOR,
    small_bytes: int = SMALL_FILE_BYTES,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Compaction]:
    """Merge the small files of each partition (of ``system`` and ``day`` when given) that has two or more."""
    done: list[Compaction] = []
    with writer_session(actor) as session:
        groups: dict[Partition, list[LakeFile]] = defaultdict(list)
        for entry in session.manifest.live.values():
            lake_file = LakeFile.from_entry(entry.fields)
            if system is not None and lake_file.system != system:
                continue
            if day is not None and lake_file.day != day:
                continue
            if lake_file.bytes < small_bytes:
                groups[Partition(lake_file.system, lake_file.day)].append(lake_file)
        work = sorted(
            ((p, sorted(files, key=lambda f: f.seq)) for p, files in groups.items() if len(files) > 1),
            key=lambda item: (item[0].system, item[0].day),
        )
        for index, (partition, files) in enumerate(work, start=1):
            done.append(_compact_partition(session, partition, files))
            if on_progress is not None:
                on_progress(index, len(work))
    return done

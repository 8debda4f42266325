"""Following the lake's manifest: which files entered the lake since a checkpoint, and their events.

The monitor sees only durable events: a file is read once its manifest transaction is complete (the lake
acknowledges nothing before that). Files written by compaction hold events the monitor has already seen
(their inputs were added earlier), so a transaction that removes files for compaction is skipped — except
when one of its inputs was added after the checkpoint and is already gone (the monitor was down while
compaction ran): then the compacted file is read instead, and the monitor drops the events it holds.

The checkpoint is (sequence, byte offset) of the last manifest entry consumed. Reading resumes at the
offset when the entry there continues the sequence; otherwise (the manifest was rewritten by recovery,
which only ever cuts an unacknowledged tail) the manifest is read from the start and entries up to the
sequence are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ringfence.logs.lake.layout import absolute
from ringfence.logs.lake.manifest import Op, RemoveReason, manifest_path
from ringfence.logs.schema import EVENT_SCHEMA


@dataclass(frozen=True)
class Position:
    """Where the monitor is in the manifest: the last entry consumed and the byte offset after it."""

    seq: int = -1
    offset: int = 0
    lake_id: str = ""


@dataclass
class NewFiles:
    """What entered the lake after a position: files to read (each with the position after its
    transaction, oldest first) and the position after everything read."""

    items: list[tuple[str, Position]] = field(default_factory=list)
    position: Position = field(default_factory=Position)
    min_times: dict[str, str] = field(default_factory=dict)  # path -> earliest event time (ISO, UTC)

    @property
    def paths(self) -> list[str]:
        """The files' lake-relative paths."""
        return [path for path, _position in self.items]


def _complete_transactions(
    lines: list[tuple[int, dict[str, Any]]],
) -> list[tuple[list[dict[str, Any]], int]]:
    """Group entries into whole transactions, each with the byte offset after its last line."""
    groups: list[tuple[list[dict[str, Any]], int]] = []
    current: list[dict[str, Any]] = []
    for offset_after, fields in lines:
        current.append(fields)
        size = int(fields.get("txn_size", 1)) if "txn" in fields else 1
        if len(current) >= size:
            groups.append((current, offset_after))
            current = []
    return groups


def _read_entries(path: Path, start: int) -> list[tuple[int, dict[str, Any]]]:
    """Complete, parseable manifest lines from byte ``start``: (offset after the line, fields)."""
    entries: list[tuple[int, dict[str, Any]]] = []
    with open(path, "rb") as fh:
        fh.seek(start)
        offset = start
        for raw in fh:
            if not raw.endswith(b"\n"):
                break  # a line being written (or torn by a crash): not acknowledged yet
            offset += len(raw)
            try:
                fields = json.loads(raw)
            except ValueError:
                break  # verify's business; the monitor waits
            if not isinstance(fields, dict):
                break
            entries.append((offset, fields))
    return entries


def _at_line_start(path: Path, offset: int) -> bool:
    """Whether ``offset`` is where a line of the manifest starts (or its end)."""
    if offset == 0:
        return True
    with open(path, "rb") as fh:
        if offset > fh.seek(0, 2):
            return False
        fh.seek(offset - 1)
        return fh.read(1) == b"\n"


def lake_head(root: Path) -> Position:
    """The position after the manifest's last complete transaction (to start monitoring from now)."""
    path = manifest_path(root)
    if not path.exists():
        return Position()
    groups = _complete_transactions(_read_entries(path, 0))
    if not groups:
        return Position()
    first = groups[0][0][0]
    lake_id = str(first.get("lake_id", "")) if first.get("op") == Op.INIT else ""
    last, end = groups[-1]
    return Position(seq=int(last[-1]["seq"]), offset=end, lake_id=lake_id)


def new_files(root: Path, after: Position) -> NewFiles:
    """The files added to the lake after ``after`` whose events the monitor has not seen, oldest first."""
    path = manifest_path(root)
    if not path.exists():
        return NewFiles(position=after)
    aligned = _at_line_start(path, after.offset)
    entries = _read_entries(path, after.offset) if aligned else []
    if not aligned or (entries and int(entries[0][1].get("seq", -1)) != after.seq + 1):
        entries = [(o, f) for o, f in _read_entries(path, 0) if int(f.get("seq", -1)) > after.seq]
    groups = _complete_transactions(entries)
    if not groups:
        return NewFiles(position=after)
    lake_id = after.lake_id
    min_times: dict[str, str] = {}
    pending: list[tuple[str, Position]] = []  # added since the checkpoint, in order
    for group, end in groups:
        here = Position(seq=int(group[-1]["seq"]), offset=end, lake_id=lake_id)
        ops = [(str(f.get("op")), f) for f in group]
        if ops[0][0] == Op.INIT:
            lake_id = str(ops[0][1].get("lake_id", ""))
            continue
        added = [str(f["path"]) for op, f in ops if op == Op.ADD]
        min_times.update((str(f["path"]), str(f.get("min_time", ""))) for op, f in ops if op == Op.ADD)
        compaction_inputs = {
            str(f["path"]) for op, f in ops if op == Op.REMOVE and f.get("reason") == RemoveReason.COMPACTION
        }
        if compaction_inputs:
            unseen = [p for p, _ in pending if p in compaction_inputs]
            if unseen and not all((root / p).exists() for p in unseen):
                pending = [(p, at) for p, at in pending if p not in compaction_inputs]
                pending.extend((p, here) for p in added)
            continue
        removed = {str(f["path"]) for op, f in ops if op == Op.REMOVE}  # purge
        pending = [(p, at) for p, at in pending if p not in removed]
        pending.extend((p, here) for p in added)
    last, end = groups[-1]
    return NewFiles(
        items=pending,
        position=Position(seq=int(last[-1]["seq"]), offset=end, lake_id=lake_id),
        min_times={path: min_times.get(path, "") for path, _at in pending},
    )


def read_events(root: Path, paths: list[str]) -> pa.Table:
    """The events of lake files (EVENT_SCHEMA columns, in file order); a vanished file is left out."""
    tables = []
    for relative_path in paths:
        file_path = absolute(root, relative_path)
        try:
            table = pq.read_table(file_path, columns=EVENT_SCHEMA.names, partitioning=None)
        except FileNotFoundError:
            continue  # purged or compacted while the monitor was behind: its events left the lake
        tables.append(table.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA))
    if not tables:
        return EVENT_SCHEMA.empty_table()
    return pa.concat_tables(tables)

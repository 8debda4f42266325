"""The manifest: an append-only, hash-chained JSON-lines log of every file the lake ever held.

Each line is one entry, a JSON object with sorted keys and no spaces. ``hash`` is the SHA-256 (hex) of that
same canonical JSON *without* the ``hash`` key; the object includes ``prev``, the hash of the entry before
(64 zeros for the first), so changing, removing or inserting any line breaks the chain from there on.

Operations: ``init`` (the genesis entry, naming the lake's ``lake_id``), ``add`` (a file entered the lake)
and ``remove`` (a file left it, ``reason`` ``compaction`` or ``purge``). The live file set is the adds minus
the removes. Entries written together carry the same ``txn`` with ``txn_index``/``txn_size``: a batch of
files, or a compaction's add and removes, is in the lake wholly or not at all.

Writers append under the lake's lock, fsync the manifest, then record the new chain head in the database
(``LakeHead``). The database head can lag the file (a crash between the two) but never lead it: a manifest
that ends before the recorded head has lost its tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError

from .durable import FILE_MODE, fsync_dir, make_dirs, os_errors
from .layout import MANIFEST_NAME

GENESIS_PREV = "0" * 64
FORMAT_VERSION = 1


class Op:
    """Manifest operations."""

    INIT = "init"
    ADD = "add"
    REMOVE = "remove"


class RemoveReason:
    """Why a file left the lake."""

    COMPACTION = "compaction"
    PURGE = "purge"


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes that are hashed and written: sorted keys, no spaces, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of an entry's canonical JSON without its own ``hash``."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One manifest line, parsed."""

    fields: dict[str, Any]

    @property
    def seq(self) -> int:
        """Position in the chain (0 for the genesis entry)."""
        return int(self.fields["seq"])

    @property
    def op(self) -> str:
        """``init``, ``add`` or ``remove``."""
        return str(self.fields["op"])

    @property
    def path(self) -> str:
        """The file's path relative to the lake root (add/remove)."""
        return str(self.fields.get("path", ""))

    @property
    def hash(self) -> str:
        """This entry's own hash."""
        return str(self.fields["hash"])

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (add/remove)."""
        return str(self.fields.get("sha256", ""))


@dataclass
class ManifestScan:
    """What reading a manifest found: chain head, live files, and every problem with the chain itself."""

    exists: bool = False
    lake_id: str | None = None
    head_seq: int = -1
    head_hash: str = GENESIS_PREV
    end_offset: int = 0  # bytes up to the end of the last complete, parseable line
    entries: int = 0
    live: dict[str, Entry] = field(default_factory=dict)
    removed: dict[str, Entry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    torn_tail: bool = False  # the last line is incomplete (a crash while writing it)
    open_txn_offset: int | None = None  # where an incomplete last transaction starts
    hash_at: dict[int, str] = field(default_factory=dict)  # filled only for the seqs asked for

    @property
    def live_rows(self) -> int:
        """Events in the live files."""
        return sum(int(e.fields.get("rows", 0)) for e in self.live.values())

    @property
    def live_bytes(self) -> int:
        """Bytes of the live files."""
        return sum(int(e.fields.get("bytes", 0)) for e in self.live.values())


def manifest_path(root: Path) -> Path:
    """Where a lake's manifest is."""
    return root / MANIFEST_NAME


def scan(root: Path, want_hash_at: Iterable[int] = (), resume: ManifestScan | None = None) -> ManifestScan:
    """Read and check the whole manifest of the lake at ``root``.

    With ``resume`` (an earlier, clean scan of the same file, which is taken over and updated), only the
    lines appended since are read and chained on: a writer then keeps up with other writers cheaply.
    The full check of the earlier lines is ``verify``'s job.

    Chain problems (an altered, removed or inserted entry; a transaction left incomplete in the middle) go
    to ``problems``; an incomplete last line or last transaction is flagged but not counted as a problem,
    because a crashed writer leaves exactly that and recovery removes it (nothing in it was acknowledged).
    A transaction's adds and removes reach ``live`` only once all its entries have been read, so a reader
    never sees half a batch or half a compaction.
    """
    wanted = set(want_hash_at)
    path = manifest_path(root)
    resumable = resume is not None and resume.exists and not resume.problems and not resume.torn_tail
    if resume is not None and resumable and resume.open_txn_offset is None:
        result = resume
    else:
        result = ManifestScan()
    if not path.exists():
        return ManifestScan()
    result.exists = True
    prev = result.head_hash
    offset = result.end_offset
    first_line = result.entries + 1
    txn: str | None = None
    txn_next = 0
    txn_size = 0
    txn_offset = 0
    staged: list[tuple[int, Entry]] = []  # add/remove entries of the transaction being read
    with os_errors(path), open(path, "rb") as fh:
        fh.seek(offset)
        for line_no, raw in enumerate(fh, start=first_line):
            start = offset
            offset += len(raw)
            if not raw.endswith(b"\n"):
                result.torn_tail = True
                break
            try:
                fields = json.loads(raw)
                if not isinstance(fields, dict):
                    raise ValueError("not an object")
                entry = Entry(fields)
                seq, op, own = entry.seq, entry.op, entry.hash
            except (ValueError, KeyError, TypeError):
                result.problems.append(
                    _("manifest line %(line)d: not a valid entry (edited or corrupted)") % {"line": line_no}
                )
                result.end_offset = offset
                continue
            expected_seq = result.head_seq + 1
            if seq != expected_seq:
                result.problems.append(
                    _(
                        "manifest line %(line)d: sequence %(seq)d where %(expected)d was expected (entries removed or inserted)"
                    )
                    % {"line": line_no, "seq": seq, "expected": expected_seq}
                )
            if fields.get("prev") != prev:
                result.problems.append(
                    _(
                        "manifest line %(line)d (seq %(seq)d): does not chain to the entry before it (an entry was removed, inserted or altered)"
                    )
                    % {"line": line_no, "seq": seq}
                )
            if entry_hash(fields) != own:
                result.problems.append(
                    _("manifest line %(line)d (seq %(seq)d): content does not match its hash (entry altered)")
                    % {"line": line_no, "seq": seq}
                )
            # Transactions: entries of one txn are consecutive with txn_index 0..txn_size-1.
            if txn is not None and fields.get("txn") != txn:
                result.problems.append(
                    _("manifest line %(line)d: transaction %(txn)s before it is incomplete")
                    % {"line": line_no, "txn": txn}
                )
                txn = None
                staged = []
            if "txn" in fields:
                index = int(fields.get("txn_index", 0))
                if txn is None:
                    txn, txn_next, txn_size, txn_offset = (
                        str(fields["txn"]),
                        0,
                        int(fields.get("txn_size", 1)),
                        start,
                    )
                if index != txn_next:
                    result.problems.append(
                        _("manifest line %(line)d: entry out of order in transaction %(txn)s")
                        % {"line": line_no, "txn": txn}
                    )
                txn_next = index + 1
                if txn_next >= txn_size:
                    txn = None
            if seq == 0 and op == Op.INIT:
                result.lake_id = str(fields.get("lake_id"))
            elif op in (Op.ADD, Op.REMOVE):
                staged.append((line_no, entry))
            else:
                result.problems.append(_("manifest line %(line)d: unknown operation") % {"line": line_no})
            if txn is None:  # the transaction is complete (or the entry stood alone): apply it
                for staged_line, staged_entry in staged:
                    _apply(result, staged_line, staged_entry)
                staged = []
            if seq in wanted:
                result.hash_at[seq] = own
            prev = own
            result.head_seq = seq
            result.head_hash = own
            result.entries += 1
            result.end_offset = offset
    if txn is not None:
        result.open_txn_offset = txn_offset
    return result


def _apply(result: ManifestScan, line_no: int, entry: Entry) -> None:
    """Apply a committed add or remove to the live set, noting impossible ones."""
    if entry.op == Op.ADD:
        if entry.path in result.live:
            result.problems.append(
                _("manifest line %(line)d: %(path)s is added while already in the lake")
                % {"line": line_no, "path": entry.path}
            )
        result.live[entry.path] = entry
        result.removed.pop(entry.path, None)
    else:
        if result.live.pop(entry.path, None) is None:
            result.problems.append(
                _("manifest line %(line)d: %(path)s is removed but was not in the lake")
                % {"line": line_no, "path": entry.path}
            )
        result.removed[entry.path] = entry


def build_entries(
    drafts: list[dict[str, Any]], head_seq: int, head_hash: str, actor: str, at: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Chain ``drafts`` (op-specific fields) onto the head as one transaction; returns the full entries."""
    when = (at or timezone.now()).astimezone(dt.UTC).isoformat()
    txn = uuid.uuid4().hex
    entries: list[dict[str, Any]] = []
    prev = head_hash
    for index, draft in enumerate(drafts):
        fields = {
            **draft,
            "seq": head_seq + 1 + index,
            "at": when,
            "actor": actor,
            "txn": txn,
            "txn_index": index,
            "txn_size": len(drafts),
            "prev": prev,
        }
        fields["hash"] = entry_hash(fields)
        prev = fields["hash"]
        entries.append(fields)
    return entries


def genesis(actor: str) -> dict[str, Any]:
    """The first entry of a new lake's manifest."""
    fields: dict[str, Any] = {
        "seq": 0,
        "op": Op.INIT,
        "at": timezone.now().astimezone(dt.UTC).isoformat(),
        "actor": actor,
        "lake_id": str(uuid.uuid4()),
        "format": FORMAT_VERSION,
        "prev": GENESIS_PREV,
    }
    fields["hash"] = entry_hash(fields)
    return fields


def append_lines(root: Path, entries: list[dict[str, Any]]) -> int:
    """Append entries to the manifest in one write and fsync it; the caller holds the lake's lock.

    Returns the number of bytes written.
    """
    path = manifest_path(root)
    created = not path.exists()
    if created:
        make_dirs(root)
    data = b"".join(canonical(e) + b"\n" for e in entries)
    with os_errors(path):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
    if created:
        fsync_dir(root)
    return len(data)


def truncate(root: Path, offset: int) -> None:
    """Cut the manifest at ``offset`` (recovery of an unacknowledged, incomplete tail only)."""
    path = manifest_path(root)
    with os_errors(path):
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, offset)
            os.fsync(fd)
        finally:
            os.close(fd)


class ManifestBroken(RingfenceError):
    """The manifest disagrees with the database head or its own chain; writing on would hide that."""

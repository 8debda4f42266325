"""Checking that the lake is complete and unaltered: every file against the manifest, the manifest's chain,
and the chain head against the database.

Kinds of problem (``Problem.kind``):

``altered``     a live file whose SHA-256 or size differs from its manifest entry
``missing``     a live file of the manifest that is not on disk (removed behind the lake's back)
``inserted``    a file under ``events/`` that the manifest never listed
``leftover``    a file the manifest removed (purge/compaction) that is still on disk, a temporary file, or
                an unfinished write's intent: a writer crashed; ``ringfence lake recover`` finishes it
``chain``       the manifest itself: an entry altered, removed or inserted, its tail truncated (against the
                database head), or the manifest replaced or missing
``unreadable``  a file that could not be read (permissions, I/O error)
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .durable import sha256_file
from .layout import EVENTS_DIR, LOCK_NAME, PENDING_DIR, TEMP_SUFFIX, lake_dir, relative
from .manifest import GENESIS_PREV, ManifestScan, manifest_path, scan
from .session import check_against_database, recorded_head_seq

HASH_WORKERS = 4


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the lake, naming the file (relative to the lake root) when there is one."""

    kind: str
    path: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.message}" if self.path else f"{self.kind}: {self.message}"


@dataclass
class VerifyReport:
    """The outcome of ``verify_lake``: problems (empty when intact) and what was checked."""

    root: str
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    rows: int = 0
    bytes: int = 0
    entries: int = 0
    head_seq: int = -1
    head_hash: str = GENESIS_PREV
    lake_id: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def summary(self) -> str:
        """One line for an intact lake: files, rows, bytes and the chain head."""
        return _(
            "lake intact: %(files)d files, %(rows)d events, %(bytes)d bytes; manifest %(entries)d entries, head %(seq)d %(hash)s"
        ) % {
            "files": self.files,
            "rows": self.rows,
            "bytes": self.bytes,
            "entries": self.entries,
            "seq": self.head_seq,
            "hash": self.head_hash,
        }

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        data = asdict(self)
        data["ok"] = self.ok
        return data


@contextmanager
def _shared_lock(root: Path) -> Iterator[None]:
    """Hold off writers while the manifest and the directory listing are read, so both agree."""
    lock_path = root / LOCK_NAME
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        yield  # no writer has ever run here, or the lock is not readable: read without it
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _lake_id(root: Path) -> str | None:
    try:
        with open(manifest_path(root), "rb") as fh:
            first = json.loads(fh.readline())
        return str(first["lake_id"]) if first.get("op") == "init" else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _disk_files(root: Path) -> list[str]:
    events = root / EVENTS_DIR
    found: list[str] = []
    for directory, _dirs, files in os.walk(events):
        for name in files:
            found.append(relative(root, Path(directory) / name))
    return sorted(found)


def _pending(root: Path) -> dict[str, set[str]]:
    """Unfinished writes' intents, each with the part files it was creating."""
    pending = root / PENDING_DIR
    if not pending.is_dir():
        return {}
    found: dict[str, set[str]] = {}
    for intent in sorted(pending.glob("*.json")):
        try:
            body = json.loads(intent.read_text(encoding="utf-8"))
            creating = {str(final) for _temp, final in body.get("create", [])}
        except (OSError, ValueError, TypeError):
            creating = set()
        found[relative(root, intent)] = creating
    return found


def _snapshot(root: Path) -> tuple[ManifestScan, list[str], list[str], dict[str, set[str]]]:
    with _shared_lock(root):
        lake_id = _lake_id(root)
        head = recorded_head_seq(root, lake_id) if lake_id else None
        result = scan(root, want_hash_at=[] if head is None else [head])
        database = check_against_database(root, result) if result.exists else []
        return result, database, _disk_files(root), _pending(root)


def verify_lake(
    root: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    workers: int = HASH_WORKERS,
) -> VerifyReport:
    """Re-hash every live file and re-compute the chain; name every altered, missing or inserted file.

    Reads only: nothing is repaired here (see ``ringfence lake recover`` for what a crash leaves).
    ``on_progress(done, total)`` is called as files are hashed.
    """
    root = root or lake_dir()
    report = VerifyReport(root=str(root))
    result, database, on_disk, pending = _snapshot(root)
    report.lake_id = result.lake_id
    report.entries = result.entries
    report.head_seq = result.head_seq
    report.head_hash = result.head_hash
    problems = report.problems
    if not result.exists:
        from ringfence.logs.models import LakeHead

        other = LakeHead.objects.filter(location=str(root)).first()
        if other is not None:
            problems.append(
                Problem(
                    "chain",
                    None,
                    _("the manifest is missing but the database recorded lake %(lake)s here")
                    % {"lake": other.lake_id},
                )
            )
    problems += [Problem("chain", None, message) for message in result.problems]
    problems += [Problem("chain", None, message) for message in database]
    if result.torn_tail or result.open_txn_offset is not None:
        problems.append(
            Problem(
                "leftover",
                None,
                _(
                    "the manifest ends in an unfinished entry (a writer crashed); `ringfence lake recover` cuts it"
                ),
            )
        )
    for intent in pending:
        problems.append(
            Problem(
                "leftover",
                intent,
                _("an unfinished write (a writer crashed); `ringfence lake recover` finishes it"),
            )
        )
    disk = set(on_disk)
    unfinished = set().union(*pending.values()) if pending else set()
    for path in on_disk:
        if path in result.live:
            continue
        if path in unfinished:
            problems.append(Problem("leftover", path, _("unacknowledged file of an unfinished write")))
        elif path.endswith(TEMP_SUFFIX):
            problems.append(Problem("leftover", path, _("temporary file of an interrupted write")))
        elif path in result.removed:
            removal = result.removed[path].fields
            problems.append(
                Problem(
                    "leftover",
                    path,
                    _("removed by manifest entry %(seq)s (%(reason)s) but still on disk")
                    % {"seq": removal.get("seq"), "reason": removal.get("reason")},
                )
            )
        else:
            problems.append(Problem("inserted", path, _("on disk but not in the manifest (inserted)")))
    to_hash: list[tuple[str, Path, str, int]] = []
    for path, entry in sorted(result.live.items()):
        if path not in disk:
            problems.append(
                Problem(
                    "missing",
                    path,
                    _("in the manifest (entry %(seq)d) but not on disk (removed)") % {"seq": entry.seq},
                )
            )
        else:
            to_hash.append((path, root / path, entry.sha256, int(entry.fields.get("bytes", -1))))
    report.files = len(result.live)
    report.rows = result.live_rows
    report.bytes = result.live_bytes

    def check(item: tuple[str, Path, str, int]) -> Problem | None:
        path, absolute, expected, size = item
        try:
            digest, actual_size = sha256_file(absolute)
        except OSError as exc:
            return Problem("unreadable", path, exc.strerror or str(exc))
        if digest != expected or actual_size != size:
            return Problem(
                "altered", path, _("content differs from the manifest: SHA-256 or size changed (altered)")
            )
        return None

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for found in pool.map(check, to_hash):
            done += 1
            if found is not None:
                problems.append(found)
            if on_progress is not None:
                on_progress(done, len(to_hash))
    order = {"chain": 0, "leftover": 1, "missing": 2, "altered": 3, "inserted": 4, "unreadable": 5}
    problems.sort(key=lambda p: (order.get(p.kind, 9), p.path or ""))
    return report

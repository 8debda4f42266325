"""A writer's session on the lake: the lock, crash recovery, and committing manifest entries.

Every change to the lake (append, compaction, purge) runs inside ``writer_session``: it takes the lake's
exclusive lock, finishes or rolls back whatever a crashed writer left (``recover``), checks the manifest
against the chain head in the database, and then lets the caller write files and ``commit`` entries.

Crash safety rests on *intent files*: before touching any part file a writer records, in
``pending/<txn>.json``, the files it is about to create and delete. Recovery reads only those, so start-up
costs nothing when the last writer finished cleanly. For each intent:

* a created file whose ``add`` reached the manifest stays; one whose ``add`` did not is deleted (it was
  never acknowledged), and so is any temporary file;
* a file to delete whose ``remove`` reached the manifest is deleted; otherwise it stays (the operation
  did not happen).

An incomplete transaction at the end of the manifest (a crash in the middle of writing it) is cut off first,
which is safe because the database head is only advanced after the whole transaction is durable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .durable import fsync_dir, make_dirs, os_errors, write_small_file
from .layout import PENDING_DIR, absolute, lake_dir
from .manifest import ManifestBroken, ManifestScan, append_lines, build_entries, genesis, scan, truncate

log = logging.getLogger(__name__)

# Scans kept between sessions of this process, keyed by the manifest's identity and size, so a writer
# appending many batches does not re-read a manifest that only it has changed.
_cache: dict[Path, tuple[tuple[int, int, int], ManifestScan]] = {}


def _stat_key(root: Path) -> tuple[int, int, int] | None:
    from .manifest import manifest_path

    try:
        st = manifest_path(root).stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _db_head(lake_id: str | None, root: Path) -> tuple[Any, Any]:
    """(head row of this lake, head row of another lake recorded at this location)."""
    from ringfence.logs.models import LakeHead

    mine = LakeHead.objects.filter(lake_id=lake_id).first() if lake_id else None
    other = LakeHead.objects.filter(location=str(root)).exclude(lake_id=lake_id or "").first()
    return mine, other


def _save_head(lake_id: str, root: Path, seq: int, head_hash: str) -> None:
    from ringfence.logs.models import LakeHead

    updated = LakeHead.objects.filter(lake_id=lake_id, seq__lt=seq).update(
        seq=seq, hash=head_hash, location=str(root)
    )
    if not updated:
        LakeHead.objects.get_or_create(
            lake_id=lake_id, defaults={"seq": seq, "hash": head_hash, "location": str(root)}
        )


def check_against_database(root: Path, result: ManifestScan) -> list[str]:
    """Problems between a manifest scan and the chain head the database recorded (empty when they agree).

    The scan must have been made with ``want_hash_at`` holding the database head's ``seq``.
    """
    mine, other = _db_head(result.lake_id, root)
    problems: list[str] = []
    if other is not None and (mine is None or other.updated_at > mine.updated_at):
        problems.append(
            _(
                "the database recorded lake %(other)s at this place; the manifest (lake %(mine)s) has been replaced"
            )
            % {"other": other.lake_id, "mine": result.lake_id or "—"}
        )
    if mine is None:
        if result.head_seq > 0:
            problems.append(
                _(
                    "the database holds no chain head for this lake: truncation of the manifest cannot be ruled out"
                )
            )
        return problems
    if result.head_seq < mine.seq:
        problems.append(
            _(
                "the manifest ends at sequence %(end)d but the database recorded sequence %(head)d: entries at the end were removed (truncated)"
            )
            % {"end": result.head_seq, "head": mine.seq}
        )
    elif mine.seq == result.head_seq:
        if mine.hash != result.head_hash:
            problems.append(
                _(
                    "the manifest's last entry %(seq)d does not have the hash the database recorded: the chain was rewritten"
                )
                % {"seq": mine.seq}
            )
    elif result.hash_at.get(mine.seq) != mine.hash:
        problems.append(
            _(
                "the manifest's entry %(seq)d does not have the hash the database recorded: the chain was rewritten"
            )
            % {"seq": mine.seq}
        )
    return problems


def recorded_head_seq(root: Path, lake_id: str | None) -> int | None:
    """The sequence number of the chain head the database recorded for a lake, if any."""
    mine, _other = _db_head(lake_id, root)
    return None if mine is None else int(mine.seq)


def _fresh_scan(root: Path) -> ManifestScan:
    first = scan(root)
    head = recorded_head_seq(root, first.lake_id)
    if head is None or head in first.hash_at:
        return first
    return scan(root, want_hash_at=[head])


@dataclass
class WriterSession:
    """The state a writer works with while it holds the lake's lock."""

    root: Path
    actor: str
    manifest: ManifestScan
    intents: list[Path] = field(default_factory=list)

    @property
    def next_seq(self) -> int:
        """The sequence number the next committed entry gets."""
        return self.manifest.head_seq + 1

    def begin(self, txn: str, create: list[tuple[str, str]], delete: list[str]) -> Path:
        """Record the intent to create ``(temp, final)`` files and delete files, before doing either."""
        pending = self.root / PENDING_DIR
        make_dirs(pending)
        intent = pending / f"{txn}.json"
        body = {"txn": txn, "create": [list(pair) for pair in create], "delete": delete}
        write_small_file(intent, json.dumps(body, ensure_ascii=False).encode("utf-8"))
        self.intents.append(intent)
        return intent

    def finish(self, intent: Path) -> None:
        """Drop an intent whose work is complete (recovery would find nothing left to do)."""
        with os_errors(intent):
            intent.unlink(missing_ok=True)
        if intent in self.intents:
            self.intents.remove(intent)

    def commit(self, drafts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append ``drafts`` to the manifest as one transaction, durably, and advance the database head."""
        if not drafts:
            return []
        entries = build_entries(drafts, self.manifest.head_seq, self.manifest.head_hash, self.actor)
        self.manifest.end_offset += append_lines(self.root, entries)
        from .manifest import Entry, Op

        for fields in entries:
            entry = Entry(fields)
            if entry.op == Op.ADD:
                self.manifest.live[entry.path] = entry
                self.manifest.removed.pop(entry.path, None)
            elif entry.op == Op.REMOVE:
                self.manifest.live.pop(entry.path, None)
                self.manifest.removed[entry.path] = entry
        last = entries[-1]
        self.manifest.head_seq = int(last["seq"])
        self.manifest.head_hash = str(last["hash"])
        self.manifest.entries += len(entries)
        assert self.manifest.lake_id is not None
        _save_head(self.manifest.lake_id, self.root, self.manifest.head_seq, self.manifest.head_hash)
        key = _stat_key(self.root)
        if key is not None:
            _cache[self.root] = (key, self.manifest)
        return entries


def delete_files(root: Path, paths: list[str]) -> None:
    """Unlink files the manifest has removed, fsync their directories, drop partition directories left empty."""
    directories: set[Path] = set()
    for path in paths:
        target = absolute(root, path)
        with os_errors(target):
            target.unlink(missing_ok=True)
        directories.add(target.parent)
    for directory in sorted(directories):
        fsync_dir(directory)
        for empty in (directory, directory.parent):  # day=…, then system=…
            try:
                empty.rmdir()  # succeeds only when empty
            except OSError:
                break
            fsync_dir(empty.parent)


def _cut_incomplete_tail(root: Path, result: ManifestScan) -> ManifestScan:
    if not result.torn_tail and result.open_txn_offset is None:
        return result
    cut = result.open_txn_offset if result.open_txn_offset is not None else result.end_offset
    head = recorded_head_seq(root, result.lake_id)
    kept = scan_prefix_head(root, cut)
    if head is not None and kept < head:
        raise ManifestBroken(
            _(
                "the manifest ends in an incomplete transaction that the database says was completed; run `ringfence verify`"
            )
        )
    log.warning("lake %s: cutting an unacknowledged, incomplete manifest tail at byte %d", root, cut)
    truncate(root, cut)
    return _fresh_scan(root)


def scan_prefix_head(root: Path, offset: int) -> int:
    """The last sequence number among the complete lines before ``offset``."""
    from .manifest import manifest_path

    last = -1
    with os_errors(root), open(manifest_path(root), "rb") as fh:
        data = fh.read(offset)
    for raw in data.splitlines():
        try:
            last = int(json.loads(raw)["seq"])
        except (ValueError, KeyError, TypeError):
            continue
    return last


def _replay_intents(root: Path, result: ManifestScan) -> None:
    pending = root / PENDING_DIR
    if not pending.is_dir():
        return
    for intent in sorted(pending.glob("*.json")):
        with os_errors(intent):
            try:
                body = json.loads(intent.read_text(encoding="utf-8"))
            except ValueError:
                body = {"create": [], "delete": []}  # a torn intent: written before any part file
        touched: set[Path] = set()
        for temp, final in body.get("create", []):
            temp_path, final_path = absolute(root, temp), absolute(root, final)
            with os_errors(temp_path):
                temp_path.unlink(missing_ok=True)
                if final not in result.live and final_path.exists():
                    log.warning("lake %s: removing unacknowledged file %s", root, final)
                    final_path.unlink()
            touched.add(final_path.parent)
        for victim in body.get("delete", []):
            victim_path = absolute(root, victim)
            if victim in result.removed and victim not in result.live and victim_path.exists():
                with os_errors(victim_path):
                    victim_path.unlink()
                touched.add(victim_path.parent)
        for directory in touched:
            if directory.is_dir():
                fsync_dir(directory)
        with os_errors(intent):
            intent.unlink()
    fsync_dir(pending)


def recover(root: Path) -> ManifestScan:
    """Bring the lake to a consistent state after a crash; the caller holds the lock. Returns the scan."""
    result = _fresh_scan(root)
    result = _cut_incomplete_tail(root, result)
    _replay_intents(root, result)
    return result


def _catch_up(
    root: Path, cached: tuple[tuple[int, int, int], ManifestScan], key: tuple[int, int, int]
) -> ManifestScan | None:
    """The cached scan brought up to date with lines other writers appended, or None to rescan fully.

    Only a manifest that merely grew (same file, not shorter) is caught up; anything else — a new file, a
    shorter one, an unfinished tail, a database head the scan cannot vouch for — takes the full path.
    """
    old_key, state = cached
    if key[0] != old_key[0] or key[1] < state.end_offset:
        return None
    _cache.pop(root, None)  # the state is updated in place; never leave a half-updated one behind
    head = recorded_head_seq(root, state.lake_id)
    result = (
        state if key == old_key else scan(root, want_hash_at=[] if head is None else [head], resume=state)
    )
    if result.problems or result.torn_tail or result.open_txn_offset is not None:
        return None
    if head is not None and head != result.head_seq and head not in result.hash_at:
        return None
    return result


@contextmanager
def writer_session(actor: str, root: Path | None = None) -> Iterator[WriterSession]:
    """Lock the lake, recover, check the chain, and yield a session to write with.

    Raises ``ManifestBroken`` rather than write onto a manifest whose chain or database head disagrees:
    appending to a tampered record would make the tampering harder to see.
    """
    from .durable import exclusive_lock

    root = root or lake_dir()
    with exclusive_lock(root):
        key = _stat_key(root)
        cached = _cache.get(root)
        pending = root / PENDING_DIR
        has_pending = pending.is_dir() and any(pending.glob("*.json"))
        result = (
            _catch_up(root, cached, key)
            if cached is not None and key is not None and not has_pending
            else None
        )
        if result is None:
            result = recover(root)
        problems = list(result.problems)
        if not result.exists:
            _mine, other = _db_head(None, root)
            if other is not None:
                problems.append(
                    _("the manifest is missing but the database recorded lake %(lake)s here")
                    % {"lake": other.lake_id}
                )
        else:
            problems += check_against_database(root, result)
        if problems:
            raise ManifestBroken(
                _("refusing to write to the lake: %(problem)s (run `ringfence verify`)")
                % {"problem": problems[0]}
            )
        if not result.exists:
            first = genesis(actor)
            append_lines(root, [first])
            result = _fresh_scan(root)
            _save_head(str(first["lake_id"]), root, 0, str(first["hash"]))
        elif result.lake_id and recorded_head_seq(root, result.lake_id) != result.head_seq:
            _save_head(result.lake_id, root, result.head_seq, result.head_hash)
        key = _stat_key(root)
        if key is not None:
            _cache[root] = (key, result)
        session = WriterSession(root=root, actor=actor, manifest=result)
        try:
            yield session
        except BaseException:
            # Undo this session's unfinished work now rather than at the next start-up.
            _cache.pop(root, None)
            if session.intents:
                try:
                    recover(root)
                except Exception:  # the original error matters more; the next writer retries
                    log.exception("lake %s: recovery after a failed write did not complete", root)
            raise


def recover_lake(actor: str = "system:recover", root: Path | None = None) -> ManifestScan:
    """Finish or undo what crashed writers left (``ringfence lake recover``); returns the manifest state.

    Every writer does this on its own when it starts; the command exists so an operator can bring a lake
    to a clean state before ``ringfence verify`` without writing any events.
    """
    with writer_session(actor, root) as session:
        return session.manifest

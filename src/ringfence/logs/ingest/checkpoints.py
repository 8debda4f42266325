"""Checkpoints of files: what a re-run may skip, where it resumes, and when a file was rewritten.

A file's content is hashed in one pass; the running hash is compared, at each checkpoint's offset, with
the hash saved there. The checkpoint whose prefix still matches is the file's: unchanged when the file
ends there, appended to when it is longer. When none matches, the file was rewritten (or is a different
file of the same name): it gets a new generation, hence new event IDs, and is read whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .models import FileCheckpoint

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileState:
    """What one pass over a file found: its size, line count and hash, and the matching checkpoint."""

    size: int
    lines: int
    sha256: str
    checkpoint: FileCheckpoint | None  # the checkpoint whose prefix matches, if any
    generation: int  # the generation to use: the matching checkpoint's or a new one

    @property
    def unchanged(self) -> bool:
        """Whether everything in the file was ingested before."""
        return self.checkpoint is not None and self.checkpoint.offset == self.size

    @property
    def resume_offset(self) -> int:
        """Where reading starts: after the part already ingested."""
        return self.checkpoint.offset if self.checkpoint is not None else 0

    @property
    def resume_line(self) -> int:
        """Number of physical lines before ``resume_offset``."""
        return self.checkpoint.lines if self.checkpoint is not None else 0


def examine(path: Path, source: str, name: str) -> FileState:
    """Hash ``path`` once and find which checkpoint of (source, name), if any, it continues."""
    candidates = sorted(FileCheckpoint.objects.filter(source=source, name=name), key=lambda c: c.offset)
    digest = hashlib.sha256()
    position = 0
    lines = 0
    last = b""
    matched: FileCheckpoint | None = None
    pending = list(candidates)
    with path.open("rb") as handle:
        while True:
            if pending and pending[0].offset == position:
                while pending and pending[0].offset == position:
                    checkpoint = pending.pop(0)
                    if matched is None and checkpoint.prefix_sha256 == digest.hexdigest():
                        matched = checkpoint
            limit = HASH_CHUNK if not pending else min(HASH_CHUNK, pending[0].offset - position)
            chunk = handle.read(limit)
            if not chunk:
                break
            digest.update(chunk)
            lines += chunk.count(b"\n")
            position += len(chunk)
            last = chunk[-1:]
    if position and last != b"\n":
        lines += 1  # a last line without a line end is still a line
    generation = matched.generation if matched else max((c.generation for c in candidates), default=0) + 1
    return FileState(position, lines, digest.hexdigest(), matched, generation)


def origin_of(name: str, generation: int) -> str:
    """The origin of a file's event IDs (see ``FileCheckpoint.origin``)."""
    return name if generation == 1 else f"{name}~{generation}"


def save(source: str, name: str, state: FileState, display: str, counts: dict[str, int]) -> None:
    """Record that the whole of the examined file is ingested (call only once its events are durable)."""
    checkpoint, _created = FileCheckpoint.objects.get_or_create(
        source=source, name=name, generation=state.generation
    )
    checkpoint.path = display[:1000]
    checkpoint.offset = state.size
    checkpoint.lines = state.lines
    checkpoint.prefix_sha256 = state.sha256
    checkpoint.events += counts.get("stored", 0)
    checkpoint.duplicates += counts.get("duplicates", 0)
    checkpoint.quarantined += counts.get("quarantined", 0)
    checkpoint.save()

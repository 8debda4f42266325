"""File tailing: follow a log file as it grows, across rotation, with offsets that survive restarts.

Only complete lines are read (a line is complete at its LF), except from a file that has been rotated
away, whose last line is complete because nothing will be added to it. Each read is journaled, and then
its end offset is saved as the file's checkpoint; after a restart reading resumes there. A file is known
by its inode and the hash of its first line, so a rotated file is followed to its end under its new name
(``app.log`` → ``app.log.1``) before the new ``app.log`` is read from its start — also when the rotation
happened while the service was down.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import IO

from django.db import close_old_connections

from ringfence.logs.sources import SourceDefinition

from .journal import Journal
from .models import FileCheckpoint

log = logging.getLogger(__name__)

READ_LIMIT = 4 * 1024 * 1024
FIRST_LINE_LIMIT = 64 * 1024


def file_origin(name: str, handle: IO[bytes]) -> str | None:
    """The identity of an open file: the followed name, inode and hash of its first line (None until it has one).

    ``name`` is the name being followed, not the file's current name: a rotated file keeps its identity.
    """
    position = handle.tell()
    handle.seek(0)
    first = handle.readline(FIRST_LINE_LIMIT)
    handle.seek(position)
    if not first.endswith(b"\n") and len(first) < FIRST_LINE_LIMIT:
        return None
    inode = os.fstat(handle.fileno()).st_ino
    return f"tail:{name}:{inode}:{hashlib.sha256(first).hexdigest()[:12]}"


class Tailer:
    """Follows one path for one source in a background thread."""

    def __init__(
        self, path: Path, definition: SourceDefinition, journal: Journal, *, poll: float = 0.25
    ) -> None:
        self.path = path.resolve()
        self.definition = definition
        self.journal = journal
        self.poll = poll
        self.key = f"tail:{self.path}"[-255:]
        self.handle: IO[bytes] | None = None
        self.origin: str | None = None
        self.offset = 0
        self.line = 0
        self.header: bytes | None = None
        self.kept = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"tail-{path.name}", daemon=True)

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current read."""
        self._stop.set()
        self._thread.join()
        if self.handle is not None:
            self.handle.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                log.exception("tailing %s failed; retrying", self.path)
                time.sleep(1)
            finally:
                close_old_connections()
            self._stop.wait(self.poll)

    def _checkpoint(self) -> FileCheckpoint:
        checkpoint, _created = FileCheckpoint.objects.get_or_create(
            source=self.definition.id, name=self.key, generation=1
        )
        return checkpoint

    def _open(self) -> bool:
        """Open the path (after a rotation, finish the rotated file first); False while it has no line."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return False
        origin = file_origin(self.path.name, handle)
        if origin is None:
            handle.close()
            return False
        checkpoint = self._checkpoint()
        if checkpoint.path and checkpoint.path != origin:
            self._finish_rotated(checkpoint)
            checkpoint = self._checkpoint()
        self.handle, self.origin = handle, origin
        if checkpoint.path == origin:
            self.offset, self.line = checkpoint.offset, checkpoint.lines
        else:
            self.offset, self.line = 0, 0
        self.header = self._header_line(handle)
        return True

    def _header_line(self, handle: IO[bytes]) -> bytes | None:
        if self.definition.format != "csv" or not self.definition.option(
            "header", self.definition.option("columns") is None
        ):
            return None
        position = handle.tell()
        handle.seek(0)
        first = handle.readline(FIRST_LINE_LIMIT).rstrip(b"\r\n")
        handle.seek(position)
        return first

    def _finish_rotated(self, checkpoint: FileCheckpoint) -> None:
        """Read the rest of the file the checkpoint belongs to, if it is found under a rotated name."""
        for candidate in sorted(self.path.parent.glob(self.path.name + ".*")):
            if candidate.suffix in (".gz", ".zip"):
                continue
            try:
                with candidate.open("rb") as old:
                    if file_origin(self.path.name, old) != checkpoint.path:
                        continue
                    self.handle, self.origin = old, checkpoint.path
                    self.offset, self.line = checkpoint.offset, checkpoint.lines
                    self.header = self._header_line(old)
                    while self._read(final=True):
                        pass
                    self.handle = None
                    return
            except OSError:
                continue
        log.warning("%s was rotated while not followed; its unread end is not found", self.path)

    def step(self) -> None:
        """Read what is new; follow a rotation when the current file has been read to its end."""
        if self.handle is None and not self._open():
            return
        if self._read(final=False):
            return
        try:
            current = self.path.stat().st_ino
        except FileNotFoundError:
            current = None
        assert self.handle is not None
        if current != os.fstat(self.handle.fileno()).st_ino:
            while self._read(final=True):  # the rotated file gets no more lines: read its last one too
                pass
            self.handle.close()
            self.handle = None
            self._open()

    def _read(self, *, final: bool) -> bool:
        """Journal the next complete lines; True if any were read."""
        assert self.handle is not None and self.origin is not None
        self.handle.seek(self.offset)
        data = self.handle.read(READ_LIMIT)
        if not data:
            return False
        end = data.rfind(b"\n")
        if end == -1 and not final:
            return False
        if end != -1:
            data = data[: end + 1]
        header = {"source": self.definition.id, "origin": self.origin, "kind": "lines", "file": str(self.path),
                  "first_offset": self.offset, "first_line": self.line + 1, "received": time.time()}  # fmt: skip
        if self.header is not None and self.offset > 0:
            header["prefix_hex"] = self.header.hex()
        self.journal.append(header, data)
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        self.offset += len(data)
        self.line += lines
        self.kept += lines
        FileCheckpoint.objects.filter(source=self.definition.id, name=self.key, generation=1).update(
            path=self.origin, offset=self.offset, lines=self.line
        )
        return True

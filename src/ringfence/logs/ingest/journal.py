"""The streaming service's write-ahead journal: what it has acknowledged, durable before it says so.

A sender's batch, a group of syslog messages or a stretch of a tailed file is appended to the current
segment as one *record* and fsynced; only then does the service acknowledge it (HTTP 2xx, tail offset
saved). The flusher later seals the segment, parses its records, stores the events in the lake and
deletes the segment. After a crash (even SIGKILL) the segments still on disk are flushed at start, and
since every record carries its origin and positions, the events get the same IDs as before: what the
lake already holds is recognised and skipped.

Record frame: ``length (4 bytes, big-endian) | CRC-32 of the payload (4) | payload``; payload:
``header length (4) | header (JSON) | body``. A frame cut short by a crash fails its length or CRC; it
was never acknowledged, and reading stops there.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.logs.lake.durable import fsync_dir, io_error

SEGMENT_PREFIX = "seg-"
SEGMENT_SUFFIX = ".wal"
_FRAME = struct.Struct(">II")
_HEADER_LEN = struct.Struct(">I")


@dataclass(frozen=True)
class JournalRecord:
    """One acknowledged unit of input: its header (source, origin, kind, positions) and its bytes."""

    header: dict[str, Any]
    body: bytes


def encode(header: dict[str, Any], body: bytes) -> bytes:
    """The frame of one record."""
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    payload = _HEADER_LEN.pack(len(head)) + head + body
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def read_segment(path: Path) -> Iterator[JournalRecord]:
    """The complete records of a segment, in order; stops at the first torn or damaged frame."""
    data = path.read_bytes()
    position = 0
    while position + _FRAME.size <= len(data):
        length, crc = _FRAME.unpack_from(data, position)
        start = position + _FRAME.size
        payload = data[start : start + length]
        if len(payload) != length or zlib.crc32(payload) != crc:
            return
        (head_len,) = _HEADER_LEN.unpack_from(payload, 0)
        header = json.loads(payload[4 : 4 + head_len])
        yield JournalRecord(header, bytes(payload[4 + head_len :]))
        position = start + length


class Journal:
    """Append-only segments in one folder; thread-safe; ``seal`` hands full segments to the flusher."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        existing = self.segments()
        self._seq = (int(existing[-1].stem.removeprefix(SEGMENT_PREFIX)) + 1) if existing else 1
        self._handle: Any = None
        self._path: Path | None = None
        self.records = 0  # records in the open segment
        self.appended = 0  # records appended since start

    def segments(self) -> list[Path]:
        """The segment files on disk, oldest first."""
        return sorted(self.folder.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}"))

    def _open(self) -> None:
        self._path = self.folder / f"{SEGMENT_PREFIX}{self._seq:012d}{SEGMENT_SUFFIX}"
        self._seq += 1
        self._handle = open(self._path, "ab", buffering=0)  # noqa: SIM115  # kept open across appends
        fsync_dir(self.folder)
        self.records = 0

    def append(self, header: dict[str, Any], body: bytes) -> None:
        """Write one record and fsync it; when this returns the record survives a crash."""
        frame = encode(header, body)
        with self._lock:
            if self._handle is None:
                self._open()
            try:
                self._handle.write(frame)
                os.fdatasync(self._handle.fileno())
            except OSError as exc:
                # A partly written frame fails its CRC and ends the segment for readers: the sender is
                # refused, and the next record goes to a fresh segment so it is not hidden behind the tear.
                path = self._path or self.folder
                self._handle.close()
                self._handle, self._path = None, None
                raise io_error(path, exc) from exc
            self.records += 1
            self.appended += 1

    def seal(self) -> list[Path]:
        """Close the open segment (if it holds records) and return every sealed segment, oldest first."""
        with self._lock:
            open_path = self._path
            if self._handle is not None and self.records:
                self._handle.close()
                self._handle, self._path = None, None
                open_path = None
            return [p for p in self.segments() if p != open_path]

    def close(self) -> None:
        """Close the open segment."""
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle, self._path = None, None

    def discard(self, segment: Path) -> None:
        """Delete a segment whose records are all stored in the lake."""
        segment.unlink(missing_ok=True)
        fsync_dir(self.folder)

"""From journal to lake: seal segments, parse their records, store the events, delete the segments.

A segment is deleted only after everything parsed from it is stored (lake, quarantine, tallies). A crash
in between leaves the segment, which the next start flushes again: the lake skips the events it holds by
their IDs, the quarantine its lines by (source, origin, offset).
"""

from __future__ import annotations

import io
import logging
import struct
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from django.db import close_old_connections
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError
from ringfence.logs.parsers import Batch, ParseContext, RawLine, iter_lines, parse_file, parse_lines
from ringfence.logs.sources import SourceDefinition

from .journal import Journal, JournalRecord, read_segment
from .store import Counts, store_batches

log = logging.getLogger(__name__)

ACTOR = "system:stream"
_LENGTH = struct.Struct(">I")
VECTORISED_FORMATS = frozenset({"csv", "jsonl"})
# Bodies smaller than this are parsed line by line: setting up the vectorised reader costs more.
VECTORISED_MIN_BYTES = 64 * 1024


def pack_messages(messages: list[bytes]) -> bytes:
    """Messages (which may contain line breaks, as octet-counted syslog allows) as one record body."""
    return b"".join(_LENGTH.pack(len(m)) + m for m in messages)


def unpack_messages(body: bytes) -> list[bytes]:
    """The messages of a ``pack_messages`` body."""
    messages: list[bytes] = []
    position = 0
    while position < len(body):
        (length,) = _LENGTH.unpack_from(body, position)
        messages.append(body[position + 4 : position + 4 + length])
        position += 4 + length
    return messages


def record_batches(record: JournalRecord, definition: SourceDefinition, scratch: Path) -> list[Batch]:
    """Parse one journal record with its source's definition (same origin and positions every time)."""
    header = record.header
    context = ParseContext(origin=str(header["origin"]), source_file=header.get("file"))
    if header.get("kind") == "messages":
        messages = [
            RawLine(index, index + 1, message) for index, message in enumerate(unpack_messages(record.body))
        ]
        return list(parse_lines(definition, messages, context))
    first_offset = int(header.get("first_offset", 0))
    first_line = int(header.get("first_line", 1))
    if (
        first_offset == 0
        and definition.format in VECTORISED_FORMATS
        and len(record.body) >= VECTORISED_MIN_BYTES
    ):
        with tempfile.NamedTemporaryFile(dir=scratch, suffix=".part") as handle:
            handle.write(record.body)
            handle.flush()
            return list(parse_file(definition, Path(handle.name), context))
    lines = iter_lines(io.BytesIO(record.body), first_line=first_line, first_offset=first_offset)
    prefix = header.get("prefix_hex")
    if prefix is not None:  # a tailed CSV read from the middle: its header line names the columns
        head = RawLine(0, 1, bytes.fromhex(str(prefix)))
        return _without_head(parse_lines(definition, _chain(head, lines), context))
    return list(parse_lines(definition, lines, context))


def _chain(head: RawLine, rest: Iterator[RawLine]) -> Iterator[RawLine]:
    yield head
    yield from rest


def _without_head(batches: Iterator[Batch]) -> list[Batch]:
    """The batches, not counting the header line that was put in front (it is not part of this record)."""
    result = list(batches)
    if result:
        result[0].records -= 1
        result[0].skipped -= 1
    return result


class Flusher:
    """Moves sealed journal segments into the lake, every ``interval`` seconds or when asked."""

    def __init__(
        self,
        journal: Journal,
        definitions: Mapping[str, SourceDefinition],
        scratch: Path,
        *,
        interval: float = 2.0,
        max_records: int = 20_000,
    ) -> None:
        self.journal = journal
        self.definitions = definitions
        self.scratch = scratch
        self.interval = interval
        self.max_records = max_records
        self.totals = Counts()
        self.last_error = ""
        self.last_flush = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a background thread until ``stop``."""
        self._thread = threading.Thread(target=self._loop, name="flusher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after a last flush."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception as exc:  # keep serving: the segments stay and are retried
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("flushing the journal failed; will retry")
                time.sleep(min(self.interval, 5))
            finally:
                close_old_connections()

    def pending_segments(self) -> int:
        """Segments on disk not yet stored (including the open one)."""
        return len(self.journal.segments())

    def flush(self) -> Counts:
        """Store every sealed segment; returns what was stored."""
        with self._lock:
            done = Counts()
            segments = self.journal.seal()
            while segments:
                group: list[Path] = []
                records: list[JournalRecord] = []
                while segments and (not records or len(records) < self.max_records):
                    segment = segments.pop(0)
                    group.append(segment)
                    records.extend(read_segment(segment))
                batches: list[Batch] = []
                for record in records:
                    source = str(record.header.get("source"))
                    definition = self.definitions.get(source)
                    if definition is None:
                        raise RingfenceError(
                            _("the journal holds events of source %(id)s, which has no definition any more")
                            % {"id": source}
                        )
                    batches.extend(record_batches(record, definition, self.scratch))
                if batches:
                    for counts in store_batches(batches, actor=ACTOR, origin="<stream>").values():
                        done.add(counts)
                for segment in group:
                    self.journal.discard(segment)
            self.totals.add(done)
            self.last_flush = time.time()
            self.last_error = ""
            return done

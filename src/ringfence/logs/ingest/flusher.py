"""From journal to lake: seal segments, parse their records, store the events, delete the segments.

A segment is deleted only after everything parsed from it is stored (lake, quarantine, tallies). A crash
in between leaves the segment, which the next start flushes again: the lake skips the events it holds by
their IDs, the quarantine its lines by (source, origin, offset).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from django.db import close_old_connections
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError
from ringfence.logs.parsers import Batch
from ringfence.logs.sources import SourceDefinition

from .journal import Journal, JournalRecord, read_segment
from .records import record_batches_of
from .store import Counts, store_batches
from .workers import parser_pool

log = logging.getLogger(__name__)

ACTOR = "system:stream"


class Flusher:
    """Moves sealed journal segments into the lake, every ``interval`` seconds or when asked."""

    def __init__(
        self,
        journal: Journal,
        definitions: Mapping[str, SourceDefinition],
        scratch: Path,
        *,
        interval: float = 2.0,
        max_bytes: int = 64 * 1024 * 1024,
        parsers: int = 1,
    ) -> None:
        self.journal = journal
        self.definitions = definitions
        self.scratch = scratch
        self.interval = interval
        self.max_bytes = max_bytes  # journal bytes parsed and stored per round
        # Parser processes for the records of a round; the flusher thread stores what they return.
        self.pool: ProcessPoolExecutor | None = parser_pool(parsers) if parsers > 1 else None
        self.totals = Counts()
        self.last_error = ""
        self.last_flush = 0.0
        # Called (in the flusher's thread) after a flush stored events: the live monitor's wake-up.
        self.on_stored: list[Callable[[], None]] = []
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
        if self.pool is not None:
            self.pool.shutdown()

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
                size = 0
                while segments and (not records or size < self.max_bytes):
                    segment = segments.pop(0)
                    group.append(segment)
                    records.extend(read_segment(segment))
                    size += segment.stat().st_size
                for record in records:
                    source = str(record.header.get("source"))
                    if source not in self.definitions:
                        raise RingfenceError(
                            _("the journal holds events of source %(id)s, which has no definition any more")
                            % {"id": source}
                        )
                batches: list[Batch] = []
                if self.pool is not None and len(records) > 1:
                    parse = partial(
                        record_batches_of, definitions=dict(self.definitions), scratch=self.scratch
                    )
                    for parsed in self.pool.map(parse, records):
                        batches.extend(parsed)
                else:
                    for record in records:
                        batches.extend(record_batches_of(record, self.definitions, self.scratch))
                if batches:
                    for counts in store_batches(batches, actor=ACTOR, origin="<stream>").values():
                        done.add(counts)
                for segment in group:
                    self.journal.discard(segment)
            self.totals.add(done)
            self.last_flush = time.time()
            self.last_error = ""
        if done.stored:
            for callback in self.on_stored:
                callback()
        return done

"""Batch ingest: log files and folders into the lake, resumable, without duplicates, nothing dropped.

The run plans first — every path exists and is readable, every file has a source definition — so a
mistake stops it before anything is written, naming the file. Files are then read one by one (compressed
ones through a private temporary copy) and their batches gathered until ``flush_events`` events are
waiting; a flush writes them to the lake in one append per source group and only then saves the
checkpoints of the files it completed. A crash loses no acknowledged work: a re-run skips the files whose
checkpoints were saved and re-reads the others, whose events the lake recognises by their IDs.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem, RingfenceError
from ringfence.logs.parsers import Batch, ParseContext
from ringfence.logs.sources import SourceDefinition

from . import checkpoints
from .checkpoints import FileState
from .files import InputFile, expand, plain_copy
from .routing import SourceRouter
from .store import Counts, store_batches
from .workers import WHOLE_FILE_FORMATS, has_header, parse_all, parse_from, parser_pool

FLUSH_EVENTS = 1_000_000
DEFAULT_ACTOR = "system:ingest"

Progress = Callable[[str, int], None]


@dataclass
class IngestSummary:
    """The outcome of one run: totals, per source, and notes for the user (rewritten files)."""

    files: int = 0
    files_unchanged: int = 0
    files_resumed: int = 0
    totals: Counts = field(default_factory=Counts)
    by_source: dict[str, Counts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, source: str, counts: Counts) -> None:
        """Count ``counts`` for ``source`` and in the totals."""
        self.totals.add(counts)
        self.by_source.setdefault(source, Counts()).add(counts)

    @property
    def events_per_second(self) -> float:
        """Records read per second of the run."""
        return self.totals.read / self.seconds if self.seconds else 0.0


@dataclass
class _Done:
    """A file whose batches all wait in the buffer: its checkpoint is saved after the next flush."""

    definition: SourceDefinition
    item: InputFile
    state: FileState
    counts: Counts


class BatchIngest:
    """One ingest run over some paths with one router; ``run`` returns the summary."""

    def __init__(
        self,
        router: SourceRouter,
        *,
        actor: str = DEFAULT_ACTOR,
        flush_events: int = FLUSH_EVENTS,
        progress: Progress | None = None,
        workers: int = 1,
    ) -> None:
        self.router = router
        self.workers = workers
        self.actor = actor
        self.flush_events = flush_events
        self.progress = progress or (lambda _name, _bytes: None)
        self.summary = IngestSummary()
        self._buffer: list[Batch] = []
        self._buffered = 0
        self._done: list[_Done] = []
        self._file_figures: dict[tuple[str, str], Counts] = {}  # stored/duplicates per file until saved

    def plan(self, paths: Iterable[Path]) -> list[tuple[InputFile, SourceDefinition]]:
        """Every input file with its definition; ``BadInput`` listing every file that cannot be read."""
        paths = list(paths)
        for given in paths:
            folder = given if given.is_dir() else given.parent
            for candidate in (
                (folder, *(p for p in folder.iterdir() if p.is_dir())) if folder.is_dir() else ()
            ):
                self.router.learn_sources_json(candidate)
        items = expand(paths)
        for item in items:  # a sources.json next to a system's folder, wherever the run started
            self.router.learn_sources_json(item.path.parent.parent)
        planned: list[tuple[InputFile, SourceDefinition]] = []
        problems: list[InputProblem] = []
        for item in items:
            try:
                planned.append((item, self._route(item)))
            except ValueError as exc:
                problems.append(InputProblem(item.display, None, None, str(exc)))
        if problems:
            raise BadInput(_("some files have no source definition; nothing was ingested"), problems)
        return planned

    def _route(self, item: InputFile) -> SourceDefinition:
        """A ZIP member is routed by its folder inside the archive, else by the archive's folder."""
        if item.member is not None:
            try:
                return self.router.route(Path(item.member))
            except ValueError:
                pass
        return self.router.route(item.path)

    def run(self, paths: Iterable[Path]) -> IngestSummary:
        """Ingest ``paths``; on any error, what was read so far is stored before the error is raised."""
        started = time.monotonic()
        planned = self.plan(paths)
        scratch_root = Path(settings.DATA_DIR) / "tmp"
        scratch_root.mkdir(parents=True, exist_ok=True)
        pool = parser_pool(self.workers) if self.workers > 1 and len(planned) > 1 else None
        try:
            with tempfile.TemporaryDirectory(dir=scratch_root, prefix="ingest-") as scratch:
                waiting: deque[tuple[_Job, Future[list[Batch]]]] = deque()
                for item, definition in planned:
                    if pool is not None and not item.compressed:
                        job = self._prepare(item, definition, item.path)
                        if job is not None:
                            future = pool.submit(
                                parse_all,
                                definition,
                                item.path,
                                job.context,
                                job.state.resume_offset,
                                job.state.resume_line,
                            )
                            waiting.append((job, future))
                        while len(waiting) > self.workers:
                            self._take(*waiting.popleft())
                    else:
                        self._file(item, definition, Path(scratch))
                    if self._buffered >= self.flush_events:
                        self.flush()
                while waiting:
                    self._take(*waiting.popleft())
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            # Whatever was parsed before a failure is still stored: nothing accepted is lost.
            self.flush()
            self.summary.seconds = time.monotonic() - started
        record(
            AuditAction.IMPORT,
            actor=self.actor,
            target_type="log_ingest",
            target_ref=", ".join(sorted(self.summary.by_source))[:300],
            detail={"files": self.summary.files, **self.summary.totals.as_dict()},
        )
        return self.summary

    def _file(self, item: InputFile, definition: SourceDefinition, scratch: Path) -> None:
        with plain_copy(item, scratch) as path:
            job = self._prepare(item, definition, path)
            if job is not None:
                try:
                    self._consume(
                        job,
                        parse_from(
                            definition, path, job.context, job.state.resume_offset, job.state.resume_line
                        ),
                    )
                except OSError as exc:
                    raise RingfenceError(
                        _("%(file)s cannot be read: %(error)s")
                        % {"file": item.display, "error": exc.strerror or exc}
                    ) from exc

    def _prepare(self, item: InputFile, definition: SourceDefinition, path: Path) -> _Job | None:
        """Examine a file against its checkpoints; None when it is unchanged (counted as duplicates)."""
        self.summary.files += 1
        try:
            state = checkpoints.examine(path, definition.id, item.name)
        except OSError as exc:
            raise RingfenceError(
                _("%(file)s cannot be read: %(error)s") % {"file": item.display, "error": exc.strerror or exc}
            ) from exc
        if state.unchanged and state.checkpoint is not None:
            self.summary.files_unchanged += 1
            self.summary.add(definition.id, _unchanged_counts(state))
            self.progress(item.display, item.size)
            return None
        if state.checkpoint is None and state.generation > 1:
            self.summary.notes.append(
                _("%(file)s differs from the file of the same name ingested before; read as version %(n)d")
                % {"file": item.display, "n": state.generation}
            )
        context = ParseContext(
            origin=checkpoints.origin_of(item.name, state.generation),
            source_file=item.display,
            reference_time=dt.datetime.fromtimestamp(item.path.stat().st_mtime, dt.UTC),
        )
        return _Job(definition, item, state, context)

    def _take(self, job: _Job, future: Future[list[Batch]]) -> None:
        """The batches a worker parsed, taken in the order the files were planned."""
        try:
            batches = future.result()
        except OSError as exc:
            raise RingfenceError(
                _("%(file)s cannot be read: %(error)s")
                % {"file": job.item.display, "error": exc.strerror or exc}
            ) from exc
        self._consume(job, iter(batches))

    def _consume(self, job: _Job, batches: Iterator[Batch]) -> None:
        counts = Counts()
        for batch in batches:
            counts.read += batch.records
            counts.skipped += batch.skipped
            counts.quarantined += len(batch.quarantined)
            self._buffer.append(batch)
            self._buffered += len(batch)
            if self._buffered >= self.flush_events:
                self.flush()
        if job.state.resume_offset:
            self.summary.files_resumed += 1
            if has_header(job.definition) and job.definition.format not in WHOLE_FILE_FORMATS:
                counts.read -= 1  # the header line read again to name the columns
                counts.skipped -= 1
        self._done.append(_Done(job.definition, job.item, job.state, counts))
        self.progress(job.item.display, job.item.size)

    def flush(self) -> None:
        """Store the buffered batches, then save the checkpoints of the files they complete."""
        if not self._buffer and not self._done:
            return
        buffer, self._buffer, self._buffered = self._buffer, [], 0
        per_source = store_batches(buffer, actor=self.actor) if buffer else {}
        for source, counts in per_source.items():
            self.summary.add(source, Counts(stored=counts.stored, duplicates=counts.duplicates,
                                            quarantined=counts.quarantined))  # fmt: skip
        # Stored and duplicate figures come per source and flush; each file of the flush gets the share
        # of its events (exact when it is its source's only file in the flush, as it usually is).
        events_of: dict[str, int] = {}
        events_of_file: dict[tuple[str, str], int] = {}
        for batch in buffer:
            key = (batch.definition.id, batch.context.source_file or "")
            events_of[key[0]] = events_of.get(key[0], 0) + len(batch)
            events_of_file[key] = events_of_file.get(key, 0) + len(batch)
        for (source, file), events in events_of_file.items():
            share = events / events_of[source] if events_of[source] else 0.0
            figures = self._file_figures.setdefault((source, file), Counts())
            figures.stored += round(per_source[source].stored * share)
            figures.duplicates += round(per_source[source].duplicates * share)
        done, self._done = self._done, []
        for entry in done:
            self.summary.add(
                entry.definition.id, Counts(read=entry.counts.read, skipped=entry.counts.skipped)
            )
            figures = self._file_figures.pop((entry.definition.id, entry.item.display), Counts())
            checkpoints.save(
                entry.definition.id,
                entry.item.name,
                entry.state,
                entry.item.display,
                {
                    "stored": figures.stored,
                    "duplicates": figures.duplicates,
                    "quarantined": entry.counts.quarantined,
                },
            )


@dataclass(frozen=True)
class _Job:
    """A file to parse: its definition, where reading starts, and the context of its event IDs."""

    definition: SourceDefinition
    item: InputFile
    state: FileState
    context: ParseContext


def _unchanged_counts(state: FileState) -> Counts:
    checkpoint = state.checkpoint
    assert checkpoint is not None
    events = checkpoint.events + checkpoint.duplicates
    return Counts(
        read=state.lines,
        duplicates=events,
        quarantined=checkpoint.quarantined,
        skipped=max(0, state.lines - events - checkpoint.quarantined),
    )

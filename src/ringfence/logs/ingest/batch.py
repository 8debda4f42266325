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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem, RingfenceError
from ringfence.logs.parsers import Batch, ParseContext, RawLine, iter_lines, parse_file, parse_lines
from ringfence.logs.sources import SourceDefinition

from . import checkpoints
from .checkpoints import FileState
from .files import InputFile, expand, plain_copy
from .routing import SourceRouter
from .store import Counts, store_batches

FLUSH_EVENTS = 1_000_000
DEFAULT_ACTOR = "system:ingest"
# Formats whose offsets are not byte offsets of lines (EVTX records): always read whole, never resumed.
WHOLE_FILE_FORMATS = frozenset({"windows_evtx"})

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
    ) -> None:
        self.router = router
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
        try:
            with tempfile.TemporaryDirectory(dir=scratch_root, prefix="ingest-") as scratch:
                for item, definition in planned:
                    self._file(item, definition, Path(scratch))
                    if self._buffered >= self.flush_events:
                        self.flush()
        finally:
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
        self.summary.files += 1
        with plain_copy(item, scratch) as path:
            try:
                state = checkpoints.examine(path, definition.id, item.name)
            except OSError as exc:
                raise RingfenceError(
                    _("%(file)s cannot be read: %(error)s")
                    % {"file": item.display, "error": exc.strerror or exc}
                ) from exc
            if state.unchanged and state.checkpoint is not None:
                self.summary.files_unchanged += 1
                self.summary.add(definition.id, _unchanged_counts(state))
                self.progress(item.display, item.size)
                return
            if state.checkpoint is None and state.generation > 1:
                self.summary.notes.append(
                    _(
                        "%(file)s differs from the file of the same name ingested before; read as version %(n)d"
                    )
                    % {"file": item.display, "n": state.generation}
                )
            context = ParseContext(
                origin=checkpoints.origin_of(item.name, state.generation),
                source_file=item.display,
                reference_time=dt.datetime.fromtimestamp(item.path.stat().st_mtime, dt.UTC),
            )
            counts = Counts()
            try:
                for batch in self._batches(definition, path, context, state):
                    counts.read += batch.records
                    counts.skipped += batch.skipped
                    counts.quarantined += len(batch.quarantined)
                    self._buffer.append(batch)
                    self._buffered += len(batch)
                    if self._buffered >= self.flush_events:
                        self.flush()
            except OSError as exc:
                raise RingfenceError(
                    _("%(file)s cannot be read: %(error)s")
                    % {"file": item.display, "error": exc.strerror or exc}
                ) from exc
            if state.resume_offset:
                self.summary.files_resumed += 1
                if _has_header(definition):
                    counts.read -= 1  # the header line read again to name the columns
                    counts.skipped -= 1
        self._done.append(_Done(definition, item, state, counts))
        self.progress(item.display, item.size)

    def _batches(
        self, definition: SourceDefinition, path: Path, context: ParseContext, state: FileState
    ) -> Iterator[Batch]:
        if not state.resume_offset or definition.format in WHOLE_FILE_FORMATS:
            yield from parse_file(definition, path, context)
            return
        with path.open("rb") as stream:
            head: list[RawLine] = []
            if _has_header(definition):
                head = list(_first_line(stream))
            stream.seek(state.resume_offset)
            lines = iter_lines(stream, first_line=state.resume_line + 1, first_offset=state.resume_offset)
            yield from parse_lines(definition, _chain(head, lines), context)

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


def _has_header(definition: SourceDefinition) -> bool:
    return definition.format == "csv" and bool(
        definition.option("header", definition.option("columns") is None)
    )


def _first_line(stream: object) -> Iterator[RawLine]:
    for raw in iter_lines(stream):  # type: ignore[arg-type]
        yield raw
        return


def _chain(head: list[RawLine], rest: Iterator[RawLine]) -> Iterator[RawLine]:
    yield from head
    yield from rest

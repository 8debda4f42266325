"""Parsing a file from where its checkpoint ends, in this process or in a pool of parser processes.

Kept free of database imports: a worker process imports this module before Django is set up (the pool's
initializer sets it up; parsing itself needs no database, only the translation machinery).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import IO

from ringfence.logs.parsers import Batch, ParseContext, RawLine, iter_lines, parse_file, parse_lines
from ringfence.logs.sources import SourceDefinition

# Formats whose offsets are not byte offsets of lines (EVTX records): always read whole, never resumed.
WHOLE_FILE_FORMATS = frozenset({"windows_evtx"})


def has_header(definition: SourceDefinition) -> bool:
    """Whether the source's files start with a header line naming the columns."""
    return definition.format == "csv" and bool(
        definition.option("header", definition.option("columns") is None)
    )


def parse_from(
    definition: SourceDefinition, path: Path, context: ParseContext, offset: int = 0, lines_before: int = 0
) -> Iterator[Batch]:
    """The batches of a file from byte ``offset`` (after ``lines_before`` lines); the whole file at 0.

    A CSV resumed in the middle gets its header line put in front, counted as one skipped record.
    """
    if not offset or definition.format in WHOLE_FILE_FORMATS:
        yield from parse_file(definition, path, context)
        return
    with path.open("rb") as stream:
        head = _first_line(stream) if has_header(definition) else []
        stream.seek(offset)
        rest = iter_lines(stream, first_line=lines_before + 1, first_offset=offset)
        yield from parse_lines(definition, _chain(head, rest), context)


def parse_all(
    definition: SourceDefinition, path: Path, context: ParseContext, offset: int = 0, lines_before: int = 0
) -> list[Batch]:
    """``parse_from`` as a list: what a worker process sends back."""
    return list(parse_from(definition, path, context, offset, lines_before))


def _init_worker() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    import django

    django.setup()


def parser_pool(workers: int) -> ProcessPoolExecutor:
    """Parser processes, started fresh (spawn): a forked child would share the parent's database socket."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_init_worker)


def _first_line(stream: IO[bytes]) -> list[RawLine]:
    for raw in iter_lines(stream):
        return [raw]
    return []


def _chain(head: list[RawLine], rest: Iterator[RawLine]) -> Iterator[RawLine]:
    yield from head
    yield from rest

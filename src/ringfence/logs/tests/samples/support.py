"""Helpers for the parser tests: parse text or bytes with a definition and look at the result."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from ringfence.logs.parsers import ParseContext, Quarantined, iter_lines, parse_file, parse_lines
from ringfence.logs.sources import SourceDefinition, load_source

SOURCES = Path(__file__).parents[3] / "demo" / "sources"  # shipped with the demo
REFERENCE = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
INGESTED = dt.datetime(2026, 10, 21, 3, 0, tzinfo=dt.UTC)


@dataclass
class Result:
    """Events (dicts in EVENT_SCHEMA), quarantined lines and the record accounting of a parse."""

    events: list[dict[str, Any]]
    quarantined: list[Quarantined]
    records: int
    skipped: int
    per_line: int | None = None

    @property
    def event(self) -> dict[str, Any]:
        assert len(self.events) == 1, (self.events, self.quarantined)
        return self.events[0]

    def reasons(self) -> list[str]:
        return [q.reason for q in self.quarantined]


def definition(data: dict[str, Any] | str) -> SourceDefinition:
    """A definition from a dict, or a sample definition by file stem."""
    if isinstance(data, str):
        return load_source(SOURCES / f"{data}.toml")
    return SourceDefinition.from_dict({"id": "test", "system": "TEST", **data})


def context(origin: str = "sample.log") -> ParseContext:
    return ParseContext(origin=origin, source_file=origin, reference_time=REFERENCE, ingested_at=INGESTED)


def collect(batches: Any) -> Result:
    events: list[dict[str, Any]] = []
    quarantined: list[Quarantined] = []
    records = skipped = 0
    per_line: int | None = None
    for batch in batches:
        if batch.per_line is not None:
            per_line = (per_line or 0) + batch.per_line
        events.extend(batch.events())
        quarantined.extend(batch.quarantined)
        records += batch.records
        skipped += batch.skipped
        assert len(batch) + len(batch.quarantined) + batch.skipped == batch.records
    return Result(events, quarantined, records, skipped, per_line)


def parse(source: SourceDefinition | dict[str, Any] | str, text: str | bytes, encoding: str = "utf-8",
          batch_size: int = 65_536) -> Result:  # fmt: skip
    """Parse ``text`` line by line."""
    if not isinstance(source, SourceDefinition):
        source = definition(source)
    data = text.encode(encoding) if isinstance(text, str) else text
    return collect(parse_lines(source, iter_lines(io.BytesIO(data)), context(), batch_size))


def parse_path(source: SourceDefinition, path: Path, *, vectorised: bool = True) -> Result:
    """Parse a file (vectorised where the format allows)."""
    return collect(parse_file(source, path, context(path.name), vectorised=vectorised))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons are compared in the English source text (the UI language is Japanese)."""
    with translation.override("en"):
        yield

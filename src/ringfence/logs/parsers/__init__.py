"""Parsers: every system's log, as it is, into the normalised event schema; nothing dropped silently.

Entry points:

- ``parser_for(definition, context)``: the per-line parser of a source definition's format;
- ``parse_lines(definition, lines, context)``: batches from ``RawLine`` records (streaming ingest);
- ``parse_file(definition, path)``: batches from a file (EVTX read through the ``evtx`` package; CSV and
  JSON lines through the vectorised readers when the file is clean, per line otherwise).

Each ``Batch`` holds events as columns (``Batch.to_arrow()`` gives an ``EVENT_SCHEMA`` table) and the
quarantined lines with their reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput

from ..sources import SourceDefinition
from .access_log import AccessLogParser
from .base import BATCH_SIZE, Batch, LineParser, ParseContext, Quarantined, RawLine, iter_lines
from .database import OracleAuditParser, PgauditParser
from .delimited import CsvParser
from .jsonlines import JsonLinesParser
from .linux_auth import LinuxAuthParser
from .regex import RegexParser
from .syslog import SyslogParser
from .windows import WindowsEvtxParser, WindowsJsonParser, WindowsXmlParser, evtx_records

PARSERS: dict[str, type[LineParser]] = {
    parser.format_name: parser
    for parser in (
        CsvParser,
        JsonLinesParser,
        SyslogParser,
        LinuxAuthParser,
        AccessLogParser,
        WindowsXmlParser,
        WindowsEvtxParser,
        WindowsJsonParser,
        PgauditParser,
        OracleAuditParser,
        RegexParser,
    )
}

__all__ = ["BATCH_SIZE", "PARSERS", "Batch", "LineParser", "ParseContext", "Quarantined", "RawLine",
           "iter_lines", "parse_file", "parse_lines", "parser_for"]  # fmt: skip


def parser_for(definition: SourceDefinition, context: ParseContext) -> LineParser:
    """The per-line parser of ``definition``'s format."""
    try:
        parser_class = PARSERS[definition.format]
    except KeyError:
        raise BadInput(_("no parser for format %(format)s") % {"format": definition.format}) from None
    return parser_class(definition, context)


def parse_lines(
    definition: SourceDefinition,
    lines: Iterable[RawLine],
    context: ParseContext,
    batch_size: int = BATCH_SIZE,
) -> Iterator[Batch]:
    """Batches of events and quarantined lines from ``lines`` (per-line parsing)."""
    return parser_for(definition, context).parse(lines, batch_size)


def parse_file(
    definition: SourceDefinition,
    path: Path,
    context: ParseContext | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    vectorised: bool = True,
) -> Iterator[Batch]:
    """Batches from one log file; ``origin`` defaults to the file's name for stable event IDs."""
    context = context or ParseContext(origin=path.name, source_file=str(path))
    if definition.format == "windows_evtx":
        yield from parse_lines(definition, evtx_records(path), context, batch_size)
        return
    if vectorised:
        from .fast import fast_batches

        fast = fast_batches(definition, path, context)
        if fast is not None:
            yield from fast
            return
    with path.open("rb") as stream:
        yield from parse_lines(definition, iter_lines(stream), context, batch_size)

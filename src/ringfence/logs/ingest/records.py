"""Parsing journal records: the same origin and positions every time, so the same event IDs.

Kept free of database imports so that parser processes (see ``workers.parser_pool``) can run it.
"""

from __future__ import annotations

import io
import struct
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from ringfence.logs.parsers import Batch, ParseContext, RawLine, iter_lines, parse_file, parse_lines
from ringfence.logs.sources import SourceDefinition

from .journal import JournalRecord

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


def record_batches_of(
    record: JournalRecord, definitions: Mapping[str, SourceDefinition], scratch: Path
) -> list[Batch]:
    """``record_batches`` with the definition looked up by the record's source (for a process pool)."""
    return record_batches(record, definitions[str(record.header.get("source"))], scratch)

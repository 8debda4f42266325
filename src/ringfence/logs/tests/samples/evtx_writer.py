"""A minimal EVTX writer, so the EVTX reader is tested on a real file and not only on its XML.

No library on PyPI writes EVTX and no sample ships with the ``evtx`` package, so this writes one from the
published format (libyal's "Windows XML Event Log (EVTX)" description): a 4096-byte file header, one
65536-byte chunk with its header, checksums and template pointers, and event records whose Binary XML is a
template instance carrying its template definition inline, as Windows writes them. All values are
strings. It writes only what the tests need; it is no general EVTX writer.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CHUNK_SIZE = 65536
CHUNK_HEADER = 512
FILE_HEADER_BLOCK = 4096
NS = "http://schemas.microsoft.com/win/2004/08/events/event"


@dataclass
class EvtxEvent:
    """One Security event: System values and the named EventData values."""

    record_id: int
    event_id: int
    time: str  # SystemTime as Windows prints it, e.g. 2026-10-14T00:15:56.1234567Z
    data: dict[str, str] = field(default_factory=dict)
    keywords: str = "0x8020000000000000"
    computer: str = "dc01.minato-td.example"


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


class _Fragment:
    """Builds the Binary XML of a template definition; ``base`` is its offset in the chunk."""

    def __init__(self, base: int) -> None:
        self.base = base
        self.out = bytearray()

    def name(self, text: str) -> bytes:
        """A name reference followed by the name itself (inline: the offset points right after it)."""
        offset = self.base + len(self.out) + 4
        encoded = _utf16(text)
        return struct.pack("<I", offset) + struct.pack("<IHH", 0, 0, len(text)) + encoded + b"\0\0"

    def element(
        self, tag: str, attributes: Sequence[tuple[str, bytes]] = (), content: Sequence[object] = ()
    ) -> None:
        """An element; ``content`` holds nested calls (callables) or raw token bytes."""
        start = len(self.out)
        self.out += bytes([0x41 if attributes else 0x01]) + struct.pack("<H", 0xFFFF)
        size_at = len(self.out)
        self.out += b"\0\0\0\0"
        self.out += self.name(tag)
        if attributes:
            list_size_at = len(self.out)
            self.out += b"\0\0\0\0"
            list_start = len(self.out)
            for index, (attribute, value) in enumerate(attributes):
                more = index < len(attributes) - 1
                self.out += bytes([0x46 if more else 0x06])
                self.out += self.name(attribute)
                self.out += value
            struct.pack_into("<I", self.out, list_size_at, len(self.out) - list_start)
        if not content:
            self.out += b"\x03"  # close empty element
        else:
            self.out += b"\x02"  # close start element
            for item in content:
                if callable(item):
                    item()
                else:
                    self.out += bytes(item)  # type: ignore[call-overload]
            self.out += b"\x04"  # end element
        del start
        struct.pack_into("<I", self.out, size_at, len(self.out) - size_at - 4)


def _text(value: str) -> bytes:
    return b"\x05\x01" + struct.pack("<H", len(value)) + _utf16(value)


def _substitution(index: int) -> bytes:
    return b"\x0d" + struct.pack("<HB", index, 0x01)


def _template(base: int, names: Sequence[str]) -> bytes:
    """Template definition (header + fragment) for an event with the given EventData names."""
    fragment = _Fragment(base + 24)
    fragment.out += b"\x0f\x01\x01\x00"

    def system() -> None:
        fragment.element("Provider", [("Name", _text("Microsoft-Windows-Security-Auditing"))])
        fragment.element("EventID", content=[_substitution(0)])
        fragment.element("Keywords", content=[_substitution(1)])
        fragment.element("TimeCreated", [("SystemTime", _substitution(2))])
        fragment.element("EventRecordID", content=[_substitution(3)])
        fragment.element("Channel", content=[_text("Security")])
        fragment.element("Computer", content=[_substitution(4)])

    def event_data() -> None:
        for index, name in enumerate(names):
            fragment.element("Data", [("Name", _text(name))], content=[_substitution(5 + index)])

    fragment.element(
        "Event",
        [("xmlns", _text(NS))],
        content=[lambda: fragment.element("System", content=[system]),
                 lambda: fragment.element("EventData", content=[event_data])],
    )  # fmt: skip
    fragment.out += b"\x00"
    guid = bytes(range(16))
    return struct.pack("<I", 0) + guid + struct.pack("<I", len(fragment.out)) + bytes(fragment.out)


def _record(chunk_offset: int, event: EvtxEvent) -> tuple[bytes, int]:
    """An event record at ``chunk_offset``; returns it and the offset of its template definition."""
    head = 24
    template_at = chunk_offset + head + 4 + 1 + 1 + 4 + 4
    template = _template(template_at, list(event.data))
    values = [str(event.event_id), event.keywords, event.time, str(event.record_id), event.computer,
              *event.data.values()]  # fmt: skip
    encoded = [_utf16(value) for value in values]
    binxml = bytearray(b"\x0f\x01\x01\x00")
    binxml += b"\x0c\x01" + struct.pack("<II", event.record_id, template_at) + template
    binxml += struct.pack("<I", len(values))
    for value in encoded:
        binxml += struct.pack("<HBB", len(value), 0x01, 0)
    for value in encoded:
        binxml += value
    binxml += b"\x00"
    size = head + len(binxml) + 4
    filetime = 133_000_000_000_000_000 + event.record_id
    record = b"\x2a\x2a\x00\x00" + struct.pack("<IQQ", size, event.record_id, filetime) + bytes(binxml)
    return record + struct.pack("<I", size), template_at


def write_evtx(path: Path, events: Sequence[EvtxEvent]) -> None:
    """Write ``events`` as a one-chunk EVTX file."""
    records = bytearray()
    templates: list[int] = []
    last_offset = CHUNK_HEADER
    for event in events:
        last_offset = CHUNK_HEADER + len(records)
        record, template_at = _record(last_offset, event)
        records += record
        templates.append(template_at)
    if CHUNK_HEADER + len(records) > CHUNK_SIZE:
        raise ValueError("too many events for one chunk")
    chunk = bytearray(CHUNK_SIZE)
    chunk[CHUNK_HEADER : CHUNK_HEADER + len(records)] = records
    # Chain the template definitions so a reader that loads them from the header table finds them all.
    for current, following in zip(templates, [*templates[1:], 0], strict=True):
        struct.pack_into("<I", chunk, current, following)
    records_bytes = bytes(chunk[CHUNK_HEADER : CHUNK_HEADER + len(records)])
    first, last = events[0].record_id, events[-1].record_id
    struct.pack_into("<8sQQQQIIII", chunk, 0, b"ElfChnk\0", first, last, first, last, 128, last_offset,
                     CHUNK_HEADER + len(records), zlib.crc32(records_bytes))  # fmt: skip
    if templates:
        struct.pack_into("<I", chunk, 384, templates[0])
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[:120]) + bytes(chunk[128:CHUNK_HEADER])))
    header = bytearray(FILE_HEADER_BLOCK)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\0", 0, 0, last + 1, 128, 1, 3, FILE_HEADER_BLOCK, 1)
    struct.pack_into("<I", header, 124, zlib.crc32(bytes(header[:120])))
    path.write_bytes(bytes(header) + bytes(chunk))

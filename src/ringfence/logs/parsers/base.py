"""The parser contract: raw lines in, columnar batches of events and quarantined lines out.

A parser reads ``RawLine`` records (bytes, byte offset, line number) and yields ``Batch`` objects: columns
of events in the normalised schema plus the lines it refused, each with its reason. Every record read ends
up in exactly one place — an event, a quarantined line, or the count of skipped blank/header lines — so a
log is never shortened silently. Columns are plain lists filled per line and turned into an Arrow table
once per batch, which keeps the per-line cost to a few dict and list operations.

A format parser only *extracts*: it turns one decoded line into source fields (named as the source names
them) and native fields (schema fields the format itself determines, e.g. a Windows event's activity).
The ``Mapper`` then applies the source definition — field mapping, value codes, time zone, defaults,
required fields — the same way for every format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar, NamedTuple

import pyarrow as pa
from django.utils.translation import gettext as _

from ringfence.core.textnorm import clean

from ..schema import EVENT_SCHEMA, Activity, EventClass, Outcome
from ..sources import ENUM_VALUES, SourceDefinition
from .timeparse import TimeError, TimeParser

BATCH_SIZE = 65_536
_BLANKS = " \t\r\x0b\x0c"
READ_CHUNK = 1 << 20

# Columns that vary per event; the rest are constant per batch and filled when the table is built.
EVENT_COLUMNS = ("event_id", "time", "class", "activity", "outcome", "account", "account_domain",
                 "target_account", "src_ip", "src_host", "terminal", "dst_host", "logon_type", "session_id",
                 "function", "record_type", "record_ids", "record_count", "message", "extra", "raw",
                 "source_offset", "source_line")  # fmt: skip
_TEXT_FIELDS = frozenset(EVENT_COLUMNS) - {"time", "record_ids", "record_count", "source_offset",
                                           "source_line", "extra", "raw", "event_id"}  # fmt: skip
_ENUMS = {"class": EventClass, "activity": Activity, "outcome": Outcome}
_TIMESTAMP = pa.timestamp("us", tz="UTC")

# The class an activity belongs to when neither the format nor the definition says.
CLASS_OF_ACTIVITY: dict[str, str] = {
    **dict.fromkeys(("logon", "logoff", "explicit_logon", "privileged_logon"), EventClass.AUTHENTICATION),
    **dict.fromkeys(("view", "search", "export", "print", "create", "update", "delete"), EventClass.RECORD_ACCESS),
    **dict.fromkeys(("account_create", "account_enable", "account_disable", "account_change", "account_delete",
                     "account_lock", "account_unlock", "password_change", "password_reset"),
                    EventClass.ACCOUNT_CHANGE),
    **dict.fromkeys(("entry", "exit"), EventClass.PHYSICAL_ENTRY),
}  # fmt: skip


class RawLine(NamedTuple):
    """One record of input: its bytes (without the line end), byte offset and 1-based line number."""

    offset: int
    line: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A line that could not become an event, kept whole with where it was and why it was refused."""

    raw: str
    offset: int
    line: int
    reason: str


class LineError(ValueError):
    """Raised by an extractor or the mapper: the line is quarantined with this message as its reason."""


@dataclass(frozen=True)
class ParseContext:
    """Where the lines come from: ``origin`` identifies the file (or stream) for stable event IDs."""

    origin: str
    source_file: str | None = None
    reference_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ingested_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass
class Batch:
    """Events as columns (``EVENT_COLUMNS``) and the quarantined lines of the same stretch of input.

    ``records`` counts the input records this batch consumed; ``skipped`` the blank and header lines
    among them, so ``len(batch) + len(batch.quarantined) + batch.skipped == batch.records`` always holds.
    """

    definition: SourceDefinition
    context: ParseContext
    columns: dict[str, list[Any]]
    quarantined: list[Quarantined] = field(default_factory=list)
    records: int = 0
    skipped: int = 0
    table: pa.Table | None = None  # set by vectorised readers that build Arrow directly
    # Events of the per-line parsers as they come (one dict each); folded into ``columns`` when the batch is
    # turned into a table, because building a column with a comprehension is cheaper than appending to 23
    # lists per event.
    rows: list[dict[str, Any]] = field(default_factory=list)
    per_line: int | None = None  # of a vectorised read: the lines that needed the per-line parser

    def __len__(self) -> int:
        if self.table is not None:
            return int(self.table.num_rows)
        return len(self.columns["event_id"]) + len(self.rows)

    def fold_rows(self) -> dict[str, list[Any]]:
        """``columns`` with every event of ``rows`` in it (call before reading ``columns`` directly)."""
        if self.rows:
            rows = self.rows
            for name in EVENT_COLUMNS:
                self.columns[name].extend([row.get(name) for row in rows])
            self.rows = []
        return self.columns

    def to_arrow(self) -> pa.Table:
        """The events as an Arrow table in ``EVENT_SCHEMA``."""
        if self.table is not None:
            return self.table
        cols = self.fold_rows()
        count = len(self)
        arrays: dict[str, pa.Array] = {}
        for name in EVENT_SCHEMA.names:
            kind = EVENT_SCHEMA.field(name).type
            if name == "time":
                arrays[name] = pa.array(cols["time"], pa.int64()).cast(_TIMESTAMP)
            elif name == "system":
                arrays[name] = pa.repeat(pa.scalar(self.definition.system, pa.string()), count)
            elif name == "source":
                arrays[name] = pa.repeat(pa.scalar(self.definition.id, pa.string()), count)
            elif name == "source_file":
                arrays[name] = pa.repeat(pa.scalar(self.context.source_file, pa.string()), count)
            elif name == "ingested_at":
                arrays[name] = pa.repeat(pa.scalar(self.context.ingested_at, _TIMESTAMP), count)
            else:
                arrays[name] = pa.array(cols[name], kind)
        return pa.Table.from_pydict(arrays, schema=EVENT_SCHEMA)

    def events(self) -> list[dict[str, Any]]:
        """The events as dicts (slow; for tests, previews and small outputs)."""
        table = self.to_arrow()
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows


def new_columns() -> dict[str, list[Any]]:
    """Empty per-event columns."""
    return {name: [] for name in EVENT_COLUMNS}


def iter_lines(stream: IO[bytes], *, first_line: int = 1, first_offset: int = 0) -> Iterator[RawLine]:
    """Split a binary stream into ``RawLine`` records at LF (a CR before it is dropped too).

    A last line without a line end is still a line. Reads in large chunks: per-line ``readline`` calls
    would cost more than the parsing.
    """
    offset = first_offset
    number = first_line
    pending = b""
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            break
        data = pending + chunk if pending else chunk
        start = 0
        find = data.find
        while True:
            end = find(b"\n", start)
            if end == -1:
                break
            line = data[start:end]
            length = end + 1 - start
            if line.endswith(b"\r"):
                line = line[:-1]
            yield RawLine(offset, number, line)
            offset += length
            number += 1
            start = end + 1
        pending = data[start:]
    if pending:
        yield RawLine(offset, number, pending[:-1] if pending.endswith(b"\r") else pending)


class Mapper:
    """Applies a source definition to the fields a format extracted from one line."""

    def __init__(
        self, definition: SourceDefinition, context: ParseContext, time_formats: tuple[str, ...] = ()
    ) -> None:
        self.definition = definition
        self.context = context
        self.fields = dict(definition.fields)
        # Codes are matched as written and in NFKC form, so 「ＣＳＶ出力」 in a log matches 「CSV出力」.
        self.values: dict[str, dict[str, str]] = {}
        for name, codes in definition.values.items():
            table = dict(codes)
            for code, value in codes.items():
                table.setdefault(clean(code) or code, value)
            self.values[name] = table
        self.strict = definition.strict_values
        self.required = definition.required
        self.defaults = dict(definition.defaults)
        self.times = TimeParser(
            time_formats or definition.time_format, definition.zone, context.reference_time
        )
        self.source_id = definition.id
        self.id_prefix = hashlib.sha256(f"{definition.id}\x1f{context.origin}\x1f".encode())
        # Values that mean "nothing here" in the source (option null_values; "-" by default, as syslog
        # key=value messages and web logs write it).
        self.nulls = frozenset(definition.option("null_values", ["", "-"]))

    def event(
        self, source: Mapping[str, Any], native: Mapping[str, Any], text: str, raw: RawLine
    ) -> dict[str, Any]:
        """The event of one line, or ``LineError`` with the reason it is refused."""
        event: dict[str, Any] = dict(native)
        extra: dict[str, Any] = {}
        record_ids: list[str] = list(native.get("record_ids") or ())
        fields = self.fields
        values = self.values
        for name, value in source.items():
            target = fields.get(name)
            if value is None or (isinstance(value, str) and value in self.nulls):
                continue
            codes = values.get(name)
            if codes is not None:
                key = value if isinstance(value, str) else str(value)
                mapped = codes.get(key)
                if mapped is None and not key.isascii():
                    mapped = codes.get(clean(key) or key)
                if mapped is None:
                    if self.strict:
                        raise LineError(
                            _("value %(value)r of %(field)s is not in the value mapping")
                            % {"value": str(value)[:40], "field": name}
                        )
                    extra[name] = value
                    if target in _ENUMS:
                        mapped = Outcome.UNKNOWN if target == "outcome" else "other"
                    else:
                        mapped = value
                value = mapped
            if target is None:
                extra[name] = value
            elif target == "record_ids":
                if isinstance(value, list):
                    record_ids.extend(str(item) for item in value if item not in (None, ""))
                else:
                    record_ids.append(str(value))
            elif target == "time":
                # A source's time is text for the time parser (a JSON number is epoch per time_format),
                # whereas an int among native fields is already epoch microseconds.
                event["time"] = value if isinstance(value, str | dt.datetime) else str(value)
            elif target in _TEXT_FIELDS:
                if not isinstance(value, str):
                    value = str(value)  # a JSON number or boolean mapped to a text field
                elif not value.isascii():
                    value = clean(value)  # full-width ＩＤ and half-width ｶﾅ as the registry keeps them
                event[target] = value
            else:
                event[target] = value
        time = event.get("time")
        if time is None:
            raise LineError(_("no time"))
        if isinstance(time, str):
            try:
                event["time"] = self.times.parse(time)
            except TimeError as exc:
                raise LineError(str(exc)) from None
        elif isinstance(time, dt.datetime):
            event["time"] = self.times.from_datetime(time)
        elif not isinstance(time, int) or isinstance(time, bool):
            raise LineError(_("time %(value)r is not a timestamp") % {"value": str(time)[:40]})
        count = event.get("record_count")
        if count is not None and not isinstance(count, int):
            try:
                event["record_count"] = int(str(count).replace(",", "").strip())
            except ValueError:
                raise LineError(
                    _("record count %(value)r is not a whole number") % {"value": str(count)[:40]}
                ) from None
        for name, value in self.defaults.items():
            if event.get(name) in (None, ""):
                event[name] = value
        activity = event.get("activity") or Activity.OTHER
        if activity not in ENUM_VALUES["activity"]:
            self._unknown("activity", activity, extra)
            activity = Activity.OTHER
        event["activity"] = activity
        outcome = event.get("outcome") or Outcome.UNKNOWN
        if outcome not in ENUM_VALUES["outcome"]:
            self._unknown("outcome", outcome, extra)
            outcome = Outcome.UNKNOWN
        event["outcome"] = outcome
        klass = event.get("class") or CLASS_OF_ACTIVITY.get(activity, EventClass.OTHER)
        if klass not in ENUM_VALUES["class"]:
            self._unknown("class", klass, extra)
            klass = EventClass.OTHER
        event["class"] = klass
        if record_ids:
            event["record_ids"] = record_ids
        for name in self.required:
            if event.get(name) in (None, "", []):
                raise LineError(_("required field %(field)s is missing") % {"field": name})
        if native.get("extra"):
            extra = {**native["extra"], **extra}
        # Keys sorted: one text for the same fields whatever order a line had them in (JSON objects are
        # unordered), which is also what the vectorised readers write.
        extra_text = json.dumps(extra, ensure_ascii=False, default=str, sort_keys=True) if extra else None
        event["extra"] = extra_text
        event["raw"] = text
        event["source_offset"] = raw.offset
        event["source_line"] = raw.line
        digest = self.id_prefix.copy()  # schema.event_id, without hashing the constant prefix every line
        digest.update(str(raw.offset).encode())
        event["event_id"] = digest.hexdigest()[:32]
        return event

    def _unknown(self, name: str, value: Any, extra: dict[str, Any]) -> None:
        if self.strict:
            raise LineError(
                _("%(value)r is not a valid %(field)s") % {"value": str(value)[:40], "field": name}
            )
        extra.setdefault(f"unmapped_{name}", value)


class LineParser:
    """Base of the per-line parsers: decoding, the batch loop, quarantine; subclasses write ``extract``."""

    format_name: ClassVar[str] = ""
    # Time formats of the format's own timestamps, used when the definition gives none.
    default_time_formats: ClassVar[tuple[str, ...]] = ("iso8601",)

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        self.definition = definition
        self.context = context
        self.encoding = definition.encoding
        self.mapper = Mapper(definition, context, definition.time_format or self.default_time_formats)

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        """(source fields, native schema fields) of one line; ``None`` for a line to skip (a header)."""
        raise NotImplementedError

    def records(self, lines: Iterable[RawLine]) -> Iterable[RawLine]:
        """The logical records of the input; a format whose records span lines joins them here."""
        return lines

    def decode(self, raw: RawLine) -> str:
        """The text of a line; ``LineError`` if its bytes are not valid in the source's encoding."""
        try:
            return raw.data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            raise LineError(
                _("bytes at column %(column)d are not valid %(encoding)s")
                % {"column": exc.start + 1, "encoding": self.encoding}
            ) from None

    def parse(
        self, lines: Iterable[RawLine], batch_size: int = BATCH_SIZE, *, join_records: bool = True
    ) -> Iterator[Batch]:
        """Batches of at most ``batch_size`` records; each record is an event, quarantined or skipped.

        ``join_records=False`` takes every line as one record (lines already known to be whole records).
        """
        batch = Batch(self.definition, self.context, new_columns())
        add_row = batch.rows.append
        event_of = self.mapper.event
        extract = self.extract
        for raw in self.records(lines) if join_records else lines:
            batch.records += 1
            text = ""
            try:
                text = self.decode(raw)
                if not text.strip(_BLANKS):  # only ASCII blanks: a line of other characters is evidence
                    batch.skipped += 1
                else:
                    extracted = extract(text, raw)
                    if extracted is None:
                        batch.skipped += 1
                    else:
                        add_row(event_of(extracted[0], extracted[1], text, raw))
            except LineError as exc:
                batch.quarantined.append(
                    Quarantined(text or _lossy(raw.data), raw.offset, raw.line, str(exc))
                )
            except Exception as exc:  # a parser bug must not lose the line or stop the file
                reason = _("parser error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"[:200]}
                batch.quarantined.append(Quarantined(text or _lossy(raw.data), raw.offset, raw.line, reason))
            if batch.records >= batch_size:
                yield batch
                batch = Batch(self.definition, self.context, new_columns())
                add_row = batch.rows.append
        if batch.records:
            yield batch


def _lossy(data: bytes) -> str:
    """Bytes that did not decode, kept visible (``\\x82``) so the quarantine shows what was there."""
    return data.decode("utf-8", "backslashreplace")


def split_kv(text: str) -> dict[str, str]:
    """``key=value`` pairs of a message (values may be double-quoted); other words are ignored."""
    result: dict[str, str] = {}
    index = 0
    length = len(text)
    while index < length:
        eq = text.find("=", index)
        if eq == -1:
            break
        key_start = text.rfind(" ", index, eq) + 1
        key = text[max(key_start, index) : eq]
        if eq + 1 < length and text[eq + 1] == '"':
            end = eq + 2
            chars: list[str] = []
            while end < length and text[end] != '"':
                if text[end] == "\\" and end + 1 < length:
                    end += 1
                chars.append(text[end])
                end += 1
            value = "".join(chars)
            index = end + 1
        else:
            end = text.find(" ", eq + 1)
            if end == -1:
                end = length
            value = text[eq + 1 : end]
            index = end + 1
        if key:
            result[key] = value
    return result

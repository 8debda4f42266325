"""Vectorised reading of plain CSV/TSV and JSON-lines files, with the per-line parser as the referee.

Per-line Python parsing costs tens of microseconds a line; batch ingest needs a few. For the simple
formats, Arrow's C++ readers parse a block of lines at once and the source definition is applied with
Arrow compute functions (value codes with ``index_in``/``take``, times with ``strptime``/casts and
``assume_timezone``, ``extra`` built by string joins). The vectorised path only handles rows it can map
exactly as the per-line parser would; every other row — a bad time, an unknown code, a value to normalise
or escape, a missing required field — is handed to the per-line parser, which maps it or quarantines it
with its reason. If Arrow refuses a block as a whole (a malformed row, a quoted line break, a type
conflict), the whole block goes through the per-line parser. Either way every line is accounted for.

Line numbers and byte offsets come from the positions of the line ends (an Arrow compare over the raw
bytes): a block is only read vectorised when its rows are exactly its lines.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from ringfence.core.tabular import normalise_encoding

from ..schema import EVENT_SCHEMA
from ..sources import ENUM_VALUES, SourceDefinition
from .base import CLASS_OF_ACTIVITY, Batch, ParseContext, RawLine, iter_lines, new_columns
from .delimited import CsvParser
from .jsonlines import JsonLinesParser
from .regex import RegexParser

BLOCK_LINES = 262_144
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ISO_ZONED = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$"
_ISO_NAIVE = r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,6})?$"
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
_UTF8_CODECS = frozenset({"utf-8", "utf8", "utf-8-sig", "utf_8", "ascii"})
_TEXT_TYPES = (pa.string(), pa.large_string())


class _Refused(Exception):
    """Arrow cannot read this block as it is; the per-line parser takes it whole."""


def fast_batches(definition: SourceDefinition, path: Path, context: ParseContext) -> Iterator[Batch] | None:
    """Batches read with Arrow's readers, or ``None`` when the format has no vectorised reader."""
    if definition.format not in ("csv", "jsonl", "regex"):
        return None
    codec = normalise_encoding(definition.encoding)
    if codec not in _UTF8_CODECS and codec not in ("cp932", "shift_jis", "euc_jp", "iso2022_jp"):
        return None
    if definition.format == "csv" and (
        len(str(definition.option("delimiter", ","))) != 1 or str(definition.option("quote", '"')) != '"'
    ):
        return None
    return _file_batches(definition, path, context, codec)


def _line_ends(data: bytes) -> pa.Array:
    """Positions of the LF bytes of ``data`` (int64)."""
    octets = pa.Array.from_buffers(pa.uint8(), len(data), [None, pa.py_buffer(data)])
    return pc.cast(pc.indices_nonzero(pc.equal(octets, pa.scalar(10, pa.uint8()))), pa.int64())


def _file_batches(
    definition: SourceDefinition, path: Path, context: ParseContext, codec: str
) -> Iterator[Batch]:
    data = path.read_bytes()
    ends = _line_ends(data)
    starts = pa.concat_arrays([pa.array([0], pa.int64()), pc.add(ends, 1)])
    stops = pa.concat_arrays([ends, pa.array([len(data)], pa.int64())])
    if len(data) == 0 or (len(ends) and ends[-1].as_py() == len(data) - 1):
        starts, stops = starts[:-1], stops[:-1]  # the file ends with a line end: no empty last line
    reader = _BlockReader(definition, context, data, codec)
    header_lines = 0
    if definition.format == "csv" and reader.header:
        header_lines = 1
        reader.read_header(data[: stops[0].as_py()] if len(stops) else b"")
    if header_lines and reader.columns is None:  # a header Arrow cannot use: the whole file per line
        with path.open("rb") as stream:
            yield from reader.slow.parse(iter_lines(stream))
        return
    total = len(starts)
    first = header_lines
    if header_lines and total:
        yield Batch(definition, context, new_columns(), records=1, skipped=1)
    while first < total:
        last = min(first + BLOCK_LINES, total)
        yield reader.block(starts[first:last].to_pylist(), stops[first:last].to_pylist(), first + 1)
        first = last


class _BlockReader:
    """Reads blocks of whole lines of one file; keeps the header and the per-line referee."""

    def __init__(self, definition: SourceDefinition, context: ParseContext, data: bytes, codec: str) -> None:
        self.definition = definition
        self.context = context
        self.data = data
        self.codec = codec
        referee = {"csv": CsvParser, "jsonl": JsonLinesParser, "regex": RegexParser}[definition.format]
        self.slow = referee(definition, context)
        self.fields = dict(self.slow.mapper.fields)  # the regex parser adds schema-named groups
        self.unmatched: pa.Array | None = None
        declared = definition.option("columns")
        self.columns: list[str] | None = list(declared) if declared else None
        self.header = bool(definition.option("header", declared is None))
        self.delimiter = str(definition.option("delimiter", ","))
        self.nulls = list(definition.option("null_values", ["", "-"]))
        self.zone = definition.time_zone
        self.formats = definition.time_format or ("iso8601",)
        self.id_prefix = f"{definition.id}\x1f{context.origin}\x1f".encode()

    def read_header(self, line: bytes) -> None:
        """Column names from the header line (also given to the per-line referee)."""
        slow = self.slow
        assert isinstance(slow, CsvParser)
        try:
            text = line.rstrip(b"\r").decode(self.codec).removeprefix("\ufeff")
            values = slow.split(text)
        except Exception:  # a header Arrow cannot use: every block goes per line and the header with it
            return
        if self.columns is None:
            self.columns = [name.strip() for name in values]
        slow.columns = self.columns
        slow._header_seen = True

    def block(self, starts: list[int], stops: list[int], first_line: int) -> Batch:
        """One block: vectorised where possible, the rest through the per-line parser."""
        try:
            table, slow_mask = self._vectorised(starts, stops, first_line)
        except _Refused:
            batch = self._per_line(starts, stops, first_line, list(range(len(starts))), whole=True)
            batch.per_line = len(starts)
            return batch
        slow_rows = pc.indices_nonzero(slow_mask).to_pylist()
        if not slow_rows:
            return Batch(
                self.definition, self.context, new_columns(), records=len(starts), table=table, per_line=0
            )
        slow = self._per_line(starts, stops, first_line, slow_rows)
        merged = pa.concat_tables([table.filter(pc.invert(slow_mask)), slow.to_arrow()]).sort_by(
            "source_offset"
        )
        return Batch(self.definition, self.context, new_columns(), slow.quarantined, len(starts), slow.skipped,
                     table=merged, per_line=len(slow_rows))  # fmt: skip

    def _per_line(
        self, starts: list[int], stops: list[int], first_line: int, rows: list[int], whole: bool = False
    ) -> Batch:
        data = self.data
        lines = []
        for row in rows:
            start, stop = starts[row], stops[row]
            chunk = data[start:stop]
            lines.append(RawLine(start, first_line + row, chunk[:-1] if chunk.endswith(b"\r") else chunk))
        result = Batch(self.definition, self.context, new_columns())
        # Rows picked out of a block Arrow read are single records: they are not joined again.
        for batch in self.slow.parse(lines, batch_size=len(lines) + 1, join_records=whole):
            result = batch
        return result

    # -- the vectorised path -------------------------------------------------------------------------

    def _text(self, starts: list[int], stops: list[int]) -> tuple[bytes, pa.Array]:
        """UTF-8 bytes of the block and its lines (without line ends) as a string array."""
        raw = self.data[starts[0] : stops[-1]]
        if self.codec not in _UTF8_CODECS:
            try:
                raw = raw.decode(self.codec).encode("utf-8")
            except UnicodeDecodeError:
                raise _Refused from None
        elif self.codec == "utf-8-sig" and raw.startswith(b"\xef\xbb\xbf"):
            raise _Refused  # a BOM inside the data: per line
        ends = _line_ends(raw)
        if len(ends) != len(starts) - 1:
            raise _Refused
        offsets = pa.concat_arrays(
            [pa.array([0], pa.int64()), pc.add(ends, 1), pa.array([len(raw) + 1], pa.int64())]
        )
        lines = pa.LargeStringArray.from_buffers(len(starts), offsets.buffers()[1], pa.py_buffer(raw + b"\n"))
        try:
            lines.validate(full=True)
        except pa.ArrowInvalid:
            raise _Refused from None
        return raw, pc.utf8_rtrim(lines, characters="\r\n").cast(pa.string())

    def _read(self, raw: bytes, count: int, lines: pa.Array) -> pa.Table:
        try:
            if self.definition.format == "regex":
                return self._read_regex(lines)
            if self.definition.format == "csv":
                names = self.columns
                if names is None:
                    raise _Refused
                table = pacsv.read_csv(
                    io.BytesIO(raw),
                    read_options=pacsv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 22),
                    parse_options=pacsv.ParseOptions(
                        delimiter=self.delimiter, newlines_in_values=False, ignore_empty_lines=False
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )  # fmt: skip
                table = table.rename_columns(names)
            else:
                table = pajson.read_json(io.BytesIO(raw), read_options=pajson.ReadOptions(block_size=1 << 22))
                table = table.flatten()
                while any(pa.types.is_struct(f.type) for f in table.schema):
                    table = table.flatten()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _Refused from None
        if table.num_rows != count:
            raise _Refused
        return table

    def _read_regex(self, lines: pa.Array) -> pa.Table:
        """Named groups of the definition's pattern with RE2, anchored at the line start like ``re.match``.

        RE2 and Python's ``re`` agree on ASCII text for the usual constructs, but not on what ``\\s``,
        ``\\d`` or ``\\w`` match beyond it, so lines with other characters go to the per-line parser.
        """
        pattern = f"^(?:{self.definition.option('pattern')})"
        matched = pc.extract_regex(lines, pattern=pattern)
        self.unmatched = pc.or_(pc.is_null(matched), pc.invert(pc.string_is_ascii(lines)))
        names = [field.name for field in matched.type]
        return pa.Table.from_arrays(matched.flatten(), names=names)

    def _vectorised(self, starts: list[int], stops: list[int], first_line: int) -> tuple[pa.Table, pa.Array]:
        raw, lines = self._text(starts, stops)
        count = len(starts)
        table = self._read(raw, count, lines)
        definition = self.definition
        slow: pa.Array = pa.array([False] * count, pa.bool_())
        if self.unmatched is not None:
            slow = _or(slow, _mask(self.unmatched))
        out: dict[str, Any] = {}
        record_id_columns: list[pa.Array] = []
        extra_parts: list[tuple[str, pa.Array]] = []
        for name in table.column_names:
            column = table.column(name).combine_chunks()
            kind = column.type
            target = self.fields.get(name)
            if pa.types.is_null(kind):
                continue
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                if definition.format == "csv":
                    column = pc.utf8_trim_whitespace(column)  # as the per-line parser strips values
                column = pc.if_else(
                    pc.is_in(column, pa.array(self.nulls, kind)), pa.scalar(None, kind), column
                )
                is_text = True
            elif pa.types.is_integer(kind) or (pa.types.is_boolean(kind) and target is None):
                is_text = False
            else:
                raise _Refused  # floats, lists: their JSON form is the per-line parser's business
            codes = definition.values.get(name)
            if codes is not None:
                text = column if is_text else pc.cast(column, pa.string())
                keys = pa.array(list(codes), pa.string())
                index = pc.index_in(text, value_set=keys)
                mapped = pc.take(pa.array(list(codes.values()), pa.string()), index)
                slow = _or(slow, _mask(pc.and_(pc.is_valid(text), pc.is_null(index))))
                column, is_text = mapped, True
            if target is None:
                if is_text:
                    slow = _or(slow, _mask(pc.match_substring_regex(column, _NEEDS_ESCAPE)))
                    value = pc.binary_join_element_wise('"', column, '"', "")
                elif pa.types.is_boolean(kind):
                    value = pc.if_else(column, "true", "false")
                else:
                    value = pc.cast(column, pa.string())
                key = json.dumps(name, ensure_ascii=False)
                part = pc.binary_join_element_wise(f"{key}: ", value, ", ", "")
                extra_parts.append((name, pc.fill_null(part, "")))
                continue
            text = column if is_text else pc.cast(column, pa.string())
            if target == "time":
                out["time"], bad = self._times(text)
                slow = _or(slow, bad)
            elif target == "record_ids":
                record_id_columns.append(text)
            elif target == "record_count":
                if is_text:
                    slow = _or(
                        slow,
                        _mask(
                            pc.and_(
                                pc.is_valid(text), pc.invert(pc.match_substring_regex(text, r"^\d{1,18}$"))
                            )
                        ),
                    )
                    digits = pc.if_else(
                        pc.match_substring_regex(text, r"^\d{1,18}$"), text, pa.scalar(None, pa.string())
                    )
                    out["record_count"] = pc.cast(digits, pa.int64())
                else:
                    out["record_count"] = pc.cast(column, pa.int64())
            else:
                if target not in ENUM_VALUES:
                    # Non-ASCII values are NFKC-normalised by the per-line parser.
                    slow = _or(slow, _mask(pc.invert(pc.string_is_ascii(text))))
                out[target] = text
        if "time" not in out:
            raise _Refused
        slow = _or(slow, _mask(pc.is_null(out["time"])))
        for name, value in definition.defaults.items():
            out[name] = (
                pc.fill_null(out[name], value) if name in out else pa.array([value] * count, pa.string())
            )
        activity = pc.fill_null(out.get("activity", pa.nulls(count, pa.string())), "other")
        outcome = pc.fill_null(out.get("outcome", pa.nulls(count, pa.string())), "unknown")
        for name, value in (("activity", activity), ("outcome", outcome)):
            slow = _or(
                slow, _mask(pc.invert(pc.is_in(value, pa.array(sorted(ENUM_VALUES[name]), pa.string()))))
            )
        out["activity"], out["outcome"] = activity, outcome
        if "class" in out:
            klass = pc.fill_null(out["class"], "")
        else:
            klass = pa.array([""] * count, pa.string())
        keys = pa.array(list(CLASS_OF_ACTIVITY), pa.string())
        inferred = pc.fill_null(
            pc.take(
                pa.array(list(CLASS_OF_ACTIVITY.values()), pa.string()), pc.index_in(activity, value_set=keys)
            ),
            "other",
        )
        out["class"] = pc.if_else(pc.equal(klass, ""), inferred, klass)
        slow = _or(
            slow,
            _mask(pc.invert(pc.is_in(out["class"], pa.array(sorted(ENUM_VALUES["class"]), pa.string())))),
        )
        if record_id_columns:
            out["record_ids"] = _lists(record_id_columns)
        for name in definition.required:
            value = out.get(name)
            if value is None:
                slow = pa.array([True] * count, pa.bool_())
            elif name == "record_ids":
                slow = _or(slow, _mask(pc.is_null(value)))
            else:
                slow = _or(slow, _mask(pc.or_kleene(pc.is_null(value), pc.equal(value, ""))))
        if extra_parts:
            # Each part is '"key": value, ' or empty; no nulls, because Arrow's join with null_handling
            # "skip" drops rows whose values are all null. Values end in '"', a digit or a letter, so
            # trimming ", " removes only the last separator.
            parts = [part for _, part in sorted(extra_parts, key=lambda item: item[0])]  # as json sort_keys
            joined = pc.utf8_rtrim(pc.binary_join_element_wise(*parts, ""), characters=", ")
            empty = pc.equal(joined, "")
            out["extra"] = pc.if_else(
                empty, pa.scalar(None, pa.string()), pc.binary_join_element_wise("{", joined, "}", "")
            )
        out["raw"] = lines
        out["source_offset"] = pa.array(starts, pa.int64())
        out["source_line"] = pa.array(range(first_line, first_line + count), pa.int64())
        # schema.event_id per line: the one step Arrow cannot do.
        # (Copying a hash that has taken the prefix is cheaper than a new hash per line.)
        copy = hashlib.sha256(self.id_prefix).copy
        ids = []
        for offset in starts:
            digest = copy()
            digest.update(b"%d" % offset)
            ids.append(digest.hexdigest()[:32])
        out["event_id"] = pa.array(ids, pa.string())
        out["system"] = pa.repeat(pa.scalar(definition.system, pa.string()), count)
        out["source"] = pa.repeat(pa.scalar(definition.id, pa.string()), count)
        out["source_file"] = pa.repeat(pa.scalar(self.context.source_file, pa.string()), count)
        out["ingested_at"] = pa.repeat(pa.scalar(self.context.ingested_at, _TIMESTAMP), count)
        arrays = []
        for field in EVENT_SCHEMA:
            value = out.get(field.name)
            arrays.append(pa.nulls(count, field.type) if value is None else value.cast(field.type))
        result = pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)
        return result, slow

    def _times(self, text: pa.Array) -> tuple[pa.Array, pa.Array]:
        """UTC timestamps of the time column, and the rows no format read (left to the per-line parser)."""
        result = pa.nulls(len(text), _TIMESTAMP)
        for fmt in self.formats:
            if fmt == "iso8601":
                zoned = pc.match_substring_regex(text, _ISO_ZONED)
                naive = pc.match_substring_regex(text, _ISO_NAIVE)
                none = pa.scalar(None, pa.string())
                try:
                    parsed_zoned = pc.cast(pc.if_else(zoned, text, none), _TIMESTAMP)
                    local = pc.cast(
                        pc.replace_substring(pc.if_else(naive, text, none), " ", "T"), pa.timestamp("us")
                    )
                    parsed_naive = pc.assume_timezone(
                        local, self.zone, ambiguous="earliest", nonexistent="earliest"
                    )
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    continue
                parsed = pc.coalesce(parsed_zoned, parsed_naive)
            elif (
                fmt.startswith("epoch")
                or "%z" in fmt
                or "%Z" in fmt
                or "%e" in fmt
                or "%b" in fmt
                or "%f" in fmt
                or "%y" in fmt
            ):
                continue  # formats Arrow's strptime reads differently: per line
            else:
                local = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
                # Arrow's strptime rolls 30 February over into March; a time must print back as it was read
                # (a time that does not, e.g. without zero padding, is left to the per-line parser).
                # (Arrow prints %S of a µs timestamp with its fraction: compare at whole seconds.)
                printed = pc.strftime(pc.cast(local, pa.timestamp("s"), safe=False), format=fmt)
                local = pc.if_else(pc.equal(printed, text), local, pa.scalar(None, local.type))
                parsed = pc.assume_timezone(local, self.zone, ambiguous="earliest", nonexistent="earliest")
            result = pc.coalesce(result, parsed)
        return result, _mask(pc.and_(pc.is_valid(text), pc.is_null(result)))


def _mask(values: pa.Array) -> pa.Array:
    """A boolean mask without nulls (null counts as false)."""
    return pc.fill_null(values, False)


def _or(left: pa.Array, right: pa.Array) -> pa.Array:
    return pc.or_(left, right)


def _lists(columns: list[pa.Array]) -> pa.Array:
    """Per row, the non-null values of ``columns`` in order, as a list (null when there are none)."""
    if len(columns) == 1:
        column = columns[0].cast(pa.string())
        valid = pc.is_valid(column)
        ends = pc.cumulative_sum(pc.cast(valid, pa.int32()))
        offsets = pa.concat_arrays([pa.array([0], pa.int32()), ends])
        return pa.ListArray.from_arrays(offsets, column.drop_null(), mask=pc.invert(valid))
    rows = zip(*(column.to_pylist() for column in columns), strict=True)
    return pa.array([[v for v in row if v is not None] or None for row in rows], pa.list_(pa.string()))

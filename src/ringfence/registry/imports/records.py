"""From a sheet of normalised cells to typed records of a canonical table, with every problem named.

Nothing here touches the database: headers are matched (mapping file, canonical name, Japanese alias),
cells are converted by column type, and each failure becomes an ``InputProblem`` with file, line and
column. The caller decides whether any problem refuses the file (it does).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ringfence.core.errors import InputProblem
from ringfence.core.tabular import Cell, Sheet
from ringfence.core.textnorm import clean, clean_code, header_key
from ringfence.core.wareki import DateParseError, parse_date, parse_datetime

from .aliases import FALSE_WORDS, TRUE_WORDS, VALUE_ALIASES, choice_table, value_table
from .mapping import ImportMapping
from .spec import Column, TableSpec

_LIST_SPLIT = re.compile(r"\s*[;,、]\s*")
_MAC_SEPARATORS = re.compile(r"[:\-.\s]")
_MAC = re.compile(r"[0-9a-f]{12}")


@dataclass
class Record:
    """One source row converted: canonical column → value (``None`` when the cell is empty)."""

    line: int
    values: dict[str, Any]
    present: frozenset[str]

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def has(self, column: str) -> bool:
        return column in self.present


@dataclass
class Conversion:
    """The records of a file, the columns it provides and the problems found."""

    records: list[Record] = field(default_factory=list)
    present: frozenset[str] = frozenset()
    problems: list[InputProblem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical column → the file's header


def header_aliases(spec: TableSpec) -> dict[str, str]:
    """Header key → canonical column: canonical names first, then Japanese headers in table order."""
    out: dict[str, str] = {}
    for column in spec.columns:
        out[header_key(column.name)] = column.name
    for column in spec.columns:
        for word in column.japanese:
            out.setdefault(header_key(word), column.name)
    return out


def _value_tables(spec: TableSpec, mapping: ImportMapping) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for column in spec.columns:
        if column.choices is not None:
            tables[column.name] = choice_table(column.choices)
        elif column.name == "change":
            tables[column.name] = value_table("change", {c: c for c in VALUE_ALIASES["change"]})
    return tables


class CellError(ValueError):
    """A cell that cannot become a value of its column."""


def _text_of(value: Cell) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _check_length(text: str, column: Column) -> str:
    if column.max_length is not None and len(text) > column.max_length:
        raise CellError(_("longer than %(n)d characters") % {"n": column.max_length})
    return text


def convert_cell(column: Column, value: Cell, choices: dict[str, str] | None, formats: list[str]) -> Any:
    """The stored value for one non-empty cell of ``column``; raises CellError/DateParseError."""
    kind = column.kind
    if kind in ("date", "datetime"):
        return parse_date(value, formats) if kind == "date" else parse_datetime(value, formats)
    text = _text_of(value)
    if kind == "text":
        return _check_length(clean(text) or "", column)
    if kind in ("code", "ref"):
        return _check_length(clean_code(text) or "", column)
    if kind == "choice":
        assert choices is not None
        code = choices.get(header_key(text))
        if code is None:
            allowed = ", ".join(sorted(set(choices.values())))
            raise CellError(
                _("%(value)r is not one of: %(allowed)s") % {"value": text[:40], "allowed": allowed}
            )
        return code
    if kind == "list":
        assert choices is not None
        out: list[str] = []
        for part in _LIST_SPLIT.split(text):
            if not part:
                continue
            code = choices.get(header_key(part))
            if code is None:
                allowed = ", ".join(sorted(set(choices.values())))
                raise CellError(
                    _("%(value)r is not one of: %(allowed)s") % {"value": part[:40], "allowed": allowed}
                )
            if code not in out:
                out.append(code)
        return out
    if kind == "bool":
        word = text.strip().casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise CellError(_("%(value)r is not yes or no (1/0, はい/いいえ, 有/無, ○/×)") % {"value": text[:40]})
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(text.strip()))
        except ValueError as exc:
            raise CellError(_("%(value)r is not an IP address") % {"value": text[:40]}) from exc
    if kind == "mac":
        digits = _MAC_SEPARATORS.sub("", text.casefold())
        if not _MAC.fullmatch(digits):
            raise CellError(_("%(value)r is not a MAC address") % {"value": text[:40]})
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    if kind == "email":
        try:
            validate_email(text)
        except ValidationError as exc:
            raise CellError(_("%(value)r is not an e-mail address") % {"value": text[:60]}) from exc
        return _check_length(text, column)
    raise AssertionError(kind)


def convert(spec: TableSpec, sheet: Sheet, mapping: ImportMapping, path: Path) -> Conversion:
    """Match the headers of ``sheet`` to ``spec`` and convert every row."""
    result = Conversion(problems=list(sheet.problems))
    aliases = header_aliases(spec)
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    for position, header in enumerate(sheet.headers):
        if header is None:
            continue
        key = header_key(header)
        if key in mapping.ignore:
            continue
        column = mapping.columns.get(key) or aliases.get(key)
        if column is None:
            result.problems.append(
                InputProblem(
                    path,
                    sheet.header_line,
                    header,
                    _("unknown column for table %(table)s (map it or list it under ignore)")
                    % {"table": spec.name},
                )
            )
            continue
        if column in seen:
            result.problems.append(
                InputProblem(
                    path,
                    sheet.header_line,
                    header,
                    _("column %(column)s also given by header %(other)s")
                    % {"column": column, "other": seen[column]},
                )
            )
            continue
        seen[column] = header
        positions[position] = column
    present = set(positions.values()) | set(mapping.constants)
    result.present = frozenset(present)
    result.headers = dict(seen)
    value_tables = _value_tables(spec, mapping)
    columns = {c.name: c for c in spec.columns}

    def one(column_name: str, raw: Cell, line: int | None, header: str) -> Any:
        column = columns[column_name]
        own = mapping.values.get(column_name)
        if own is not None and isinstance(raw, str):
            raw = own.get(header_key(raw), raw)
        try:
            return convert_cell(
                column, raw, value_tables.get(column_name), mapping.date_formats.get(column_name, [])
            )
        except (CellError, DateParseError) as exc:
            result.problems.append(InputProblem(path, line, header, str(exc)))
            return None

    constants: dict[str, Any] = {}
    for name, raw in mapping.constants.items():
        if raw is not None and raw != "":
            constants[name] = one(name, raw, None, f"constants.{name}")
    for row in sheet.rows:
        values: dict[str, Any] = dict.fromkeys(present)
        values.update(constants)
        for position, raw in row.cells.items():
            column_name = positions.get(position)
            if column_name is None:
                continue
            values[column_name] = one(column_name, raw, row.line, sheet.headers[position] or column_name)
        result.records.append(Record(line=row.line, values=values, present=frozenset(present)))
    return result

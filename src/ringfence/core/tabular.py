"""Reading CSV, TSV and Excel files into rows that remember where they came from.

Encodings are detected the way Japanese offices need: a BOM means UTF-8 with BOM; text that decodes as
strict UTF-8 is UTF-8; anything else is CP932 (Windows Shift_JIS, with NEC/IBM extensions such as ① and
㈱). An explicit encoding wins. Every header and text value is normalised (``textnorm.clean``) and empty
cells are left out of a row, so "missing" has one meaning. Each row carries its source line: the
physical line where a CSV record starts (quoted values may span lines) or the Excel row number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .errors import BadInput, InputProblem
from .textnorm import clean

Cell = str | int | float | bool | dt.datetime | dt.date | dt.time

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
TEXT_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
# People say Shift_JIS and mean Windows' CP932; the strict codec refuses ①, ㈱ and 髙.
_ENCODING_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "s-jis": "cp932",
    "ms932": "cp932",
}


@dataclass
class SourceRow:
    """One data row: its line in the source and its non-empty cells keyed by column position."""

    line: int
    cells: dict[int, Cell]


@dataclass
class Sheet:
    """A table read from a file: normalised headers, data rows and where the header was."""

    path: Path
    headers: list[str | None]
    header_line: int
    rows: list[SourceRow]
    encoding: str | None = None
    problems: list[InputProblem] = field(default_factory=list)


def normalise_encoding(name: str) -> str:
    """The codec to use for an encoding name given by a person or a mapping file."""
    key = name.strip().lower()
    return _ENCODING_ALIASES.get(key, key)


def detect_encoding(data: bytes) -> str:
    """utf-8-sig with a BOM, utf-8 if the bytes decode strictly, otherwise cp932."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp932"
    return "utf-8"


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(
            _("%(file)s cannot be read as %(encoding)s") % {"file": path.name, "encoding": encoding},
            [
                InputProblem(
                    path, line, None, _("byte sequence not valid in %(encoding)s") % {"encoding": encoding}
                )
            ],
        ) from exc
    except LookupError as exc:
        raise BadInput(_("unknown encoding %(encoding)s") % {"encoding": encoding}) from exc


# Exporters protect cells that a spreadsheet would run as formulas with a leading apostrophe.
_PROTECTED = ("'=", "'+", "'@", "'\t", "'\r")


def _clean_cell(value: Cell | None) -> Cell | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value.startswith(_PROTECTED):
            value = value[1:]
        return clean(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sheet_from_records(
    path: Path, records: list[tuple[int, list[Cell | None]]], header_row: int, encoding: str | None
) -> Sheet:
    """Split (line, cells) records into header and rows; ``header_row`` counts records from 1."""
    if header_row < 1:
        raise BadInput(_("header row must be 1 or more"))
    if len(records) < header_row:
        raise BadInput(
            _("%(file)s has no header row") % {"file": path.name},
            [InputProblem(path, None, None, _("empty file"))],
        )
    header_line, raw_headers = records[header_row - 1]
    headers: list[str | None] = []
    for value in raw_headers:
        cleaned = _clean_cell(value)
        headers.append(None if cleaned is None else str(cleaned))
    sheet = Sheet(path=path, headers=headers, header_line=header_line, rows=[], encoding=encoding)
    for line, values in records[header_row:]:
        cells: dict[int, Cell] = {}
        for position, value in enumerate(values):
            cleaned = _clean_cell(value)
            if cleaned is None:
                continue
            if position >= len(headers) or headers[position] is None:
                sheet.problems.append(
                    InputProblem(
                        path,
                        line,
                        None,
                        _("value %(value)r in a column without a header") % {"value": str(cleaned)[:40]},
                    )
                )
                continue
            cells[position] = cleaned
        if cells:
            sheet.rows.append(SourceRow(line=line, cells=cells))
    return sheet


def _sniff_delimiter(path: Path, first_line: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    if "\t" in first_line and "," not in first_line:
        return "\t"
    return ","


def read_csv(
    path: Path, *, encoding: str | None = None, header_row: int = 1, delimiter: str | None = None
) -> Sheet:
    """Read a CSV/TSV file (encoding detected unless given)."""
    data = path.read_bytes()
    codec = normalise_encoding(encoding) if encoding else detect_encoding(data)
    if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        codec = "utf-8-sig"
    text = _decode(path, data, codec)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter or _sniff_delimiter(path, first_line)
    )
    records: list[tuple[int, list[Cell | None]]] = []
    next_line = 1
    try:
        for values in reader:
            records.append((next_line, list(values)))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise BadInput(
            _("%(file)s is not valid CSV") % {"file": path.name},
            [InputProblem(path, reader.line_num, None, str(exc))],
        ) from exc
    return _sheet_from_records(path, records, header_row, codec)


def read_xlsx(path: Path, *, sheet: str | None = None, header_row: int = 1) -> Sheet:
    """Read one worksheet of an Excel workbook (by name, else the first) in read-only mode."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise BadInput(
            _("%(file)s is not a readable Excel workbook: %(reason)s") % {"file": path.name, "reason": exc}
        ) from exc
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise BadInput(
                    _("%(file)s has no sheet %(sheet)s (sheets: %(names)s)")
                    % {"file": path.name, "sheet": sheet, "names": ", ".join(workbook.sheetnames)}
                )
            worksheet: Any = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        records: list[tuple[int, list[Cell | None]]] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            # Formulas are read as their cached values; rich text and durations are read as text.
            row_values: list[Cell | None] = [
                v
                if v is None or isinstance(v, str | int | float | dt.datetime | dt.date | dt.time)
                else str(v)
                for v in values
            ]
            if len(records) < header_row or any(v is not None and v != "" for v in row_values):
                records.append((number, row_values))
    finally:
        workbook.close()
    return _sheet_from_records(path, records, header_row, None)


def read_table(
    path: Path, *, encoding: str | None = None, sheet: str | None = None, header_row: int = 1
) -> Sheet:
    """Read a CSV, TSV or Excel file, chosen by its suffix."""
    if not path.is_file():
        raise BadInput(_("%(file)s does not exist or is not a file") % {"file": path})
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return read_xlsx(path, sheet=sheet, header_row=header_row)
    if suffix == ".xls":
        raise BadInput(
            _("%(file)s is an old Excel 97-2003 file; save it as .xlsx or CSV") % {"file": path.name}
        )
    return read_csv(path, encoding=encoding, header_row=header_row)

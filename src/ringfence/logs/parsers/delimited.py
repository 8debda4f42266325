"""CSV and TSV logs with any columns: a header row or declared columns, quoted fields, any encoding.

Options: ``delimiter`` (default ``,``; ``"\\t"`` for TSV), ``header`` (default true unless ``columns`` is
given), ``columns`` (names when the file has no header, or to override it), ``quote`` (default ``"``).
A quoted value may contain line breaks; such a record spans several lines and is parsed as one.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.utils.translation import gettext as _

from ..sources import SourceDefinition
from .base import LineError, LineParser, ParseContext, RawLine


class CsvParser(LineParser):
    """Delimited text; each column is a source field named by its header (or declared name)."""

    format_name = "csv"

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        super().__init__(definition, context)
        self.delimiter: str = definition.option("delimiter", ",")
        self.quote: str = definition.option("quote", '"')
        declared = definition.option("columns")
        self.columns: list[str] | None = list(declared) if declared else None
        self.header: bool = bool(definition.option("header", declared is None))
        self._header_seen = False

    def records(self, lines: Iterable[RawLine]) -> Iterator[RawLine]:
        """Lines joined while a quoted value is open (an odd number of quote characters so far)."""
        quote = self.quote.encode()
        pending: RawLine | None = None
        for raw in lines:
            if pending is not None:
                pending = RawLine(pending.offset, pending.line, pending.data + b"\n" + raw.data)
                if pending.data.count(quote) % 2 == 0:
                    yield pending
                    pending = None
                continue
            if quote in raw.data and raw.data.count(quote) % 2:
                pending = raw
                continue
            yield raw
        if pending is not None:
            yield pending  # an unclosed quote at the end: the parser quarantines it

    def split(self, text: str) -> list[str]:
        """The values of one record."""
        if self.quote not in text:
            return text.split(self.delimiter)
        try:
            rows = list(csv.reader([text], delimiter=self.delimiter, quotechar=self.quote, strict=True))
        except csv.Error as exc:
            raise LineError(_("not valid CSV: %(error)s") % {"error": exc}) from None
        if len(rows) != 1:
            raise LineError(_("not valid CSV: unclosed quote"))
        return rows[0]

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        """Source fields by column name."""
        if text.startswith("\ufeff"):
            text = text[1:]
        values = self.split(text)
        if self.header and not self._header_seen:
            self._header_seen = True
            if self.columns is None:
                self.columns = [name.strip() for name in values]
            return None
        columns = self.columns
        if columns is None:  # no header and no declared columns: positions are the names
            columns = [str(i + 1) for i in range(len(values))]
        if len(values) != len(columns):
            raise LineError(
                _("%(found)d values for %(expected)d columns")
                % {"found": len(values), "expected": len(columns)}
            )
        fields = {name: value.strip() for name, value in zip(columns, values, strict=True)}
        return fields, self.native(fields)

    def native(self, fields: Mapping[str, str]) -> Mapping[str, Any]:
        """Schema fields the format itself knows (none for plain CSV)."""
        return {}

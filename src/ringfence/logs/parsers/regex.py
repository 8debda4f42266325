"""Any other line format: a regular expression with named groups (option ``pattern``).

Groups named like a schema field (``time``, ``account``, ``activity``...) fill that field unless the
definition maps them elsewhere; other groups are source fields, mapped by ``fields`` or kept in ``extra``.
A line the pattern does not match is quarantined.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from ..sources import MAPPABLE_FIELDS, SourceDefinition
from .base import LineError, LineParser, ParseContext, RawLine


class RegexParser(LineParser):
    """Lines matched by the definition's pattern (anchored at the start of the line)."""

    format_name = "regex"

    def __init__(self, definition: SourceDefinition, context: ParseContext) -> None:
        super().__init__(definition, context)
        self.pattern = re.compile(str(definition.option("pattern")))
        mapped = set(definition.fields)
        # Schema-named groups map to themselves, through the value mapping like any source field.
        for name in self.pattern.groupindex:
            if name in MAPPABLE_FIELDS and name not in mapped:
                self.mapper.fields[name] = name

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Named groups as source fields."""
        match = self.pattern.match(text)
        if match is None:
            raise LineError(_("does not match the source's pattern"))
        return {name: value for name, value in match.groupdict().items() if value is not None}, {}

"""JSON lines: one JSON object per line; nested objects are addressed by dotted paths (``user.name``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from .base import LineError, LineParser, RawLine


def flatten(value: Mapping[str, Any], prefix: str = "", into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Nested objects as one level of dotted keys; lists and scalars are kept as values."""
    result: dict[str, Any] = {} if into is None else into
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flatten(item, name + ".", result)
        else:
            result[name] = item
    return result


def load_object(text: str) -> dict[str, Any]:
    """The JSON object of a line; ``LineError`` for anything else."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise LineError(_("not valid JSON: %(error)s") % {"error": exc}) from None
    if not isinstance(value, dict):
        raise LineError(_("not a JSON object"))
    return value


class JsonLinesParser(LineParser):
    """Each (flattened) key is a source field; numbers and booleans keep their JSON type in ``extra``."""

    format_name = "jsonl"

    def extract(self, text: str, raw: RawLine) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """Source fields of one object."""
        value = load_object(text)
        fields = flatten(value)
        for name, item in fields.items():
            if isinstance(item, bool):
                continue
            if isinstance(item, float) and item.is_integer():
                fields[name] = int(item)
        return fields, {}

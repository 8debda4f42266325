"""Mapping files: how one company's file maps onto a canonical table (TOML, read with ``tomllib``).

Example (``people.mapping.toml`` beside ``people.csv``)::

    table = "people"
    encoding = "cp932"
    sheet = "社員一覧"          # Excel only; default: the first sheet
    header_row = 2              # the header is on the second line/row
    full_list = false           # accounts only: the file lists every account of its systems
    ignore = ["備考"]           # columns read and deliberately not imported

    [columns]                   # their header → canonical column
    "社員コード" = "employee_number"
    "部署" = "unit_code"

    [values.employment_type]    # their words → our codes, per canonical column
    "グループ会社社員" = "affiliate"

    [constants]                 # values for columns the file does not have
    employer = "東北送配電株式会社"

    [date_formats]              # strptime patterns tried before the built-in date forms
    valid_from = ["%Y年%m月%d日"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.textnorm import clean, header_key

from .spec import TABLES

_KNOWN_KEYS = {
    "table",
    "encoding",
    "sheet",
    "header_row",
    "full_list",
    "ignore",
    "columns",
    "values",
    "constants",
    "date_formats",
}


@dataclass
class ImportMapping:
    """A parsed mapping file (or the empty default)."""

    table: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    full_list: bool = False
    ignore: set[str] = field(default_factory=set)  # header keys
    columns: dict[str, str] = field(default_factory=dict)  # header key → canonical column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column → value key → code
    constants: dict[str, Any] = field(default_factory=dict)
    date_formats: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None


def load_mapping(path: Path, table: str | None = None) -> ImportMapping:
    """Read and check a mapping file; every mistake is reported with the file name."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise BadInput(_("mapping file %(file)s does not exist") % {"file": path}) from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(
            _("mapping file is not valid TOML"), [InputProblem(path, None, None, str(exc))]
        ) from exc
    problems: list[InputProblem] = []

    def bad(key: str, reason: str) -> None:
        problems.append(InputProblem(path, None, key, reason))

    for key in sorted(set(data) - _KNOWN_KEYS):
        bad(key, _("unknown setting"))
    mapping = ImportMapping(path=path)
    mapping.table = data.get("table")
    target = table or mapping.table
    if table and mapping.table and table != mapping.table:
        bad(
            "table",
            _("mapping is for table %(mapped)s, not %(table)s") % {"mapped": mapping.table, "table": table},
        )
    spec = TABLES.get(target or "")
    if spec is None:
        bad("table", _("unknown table %(table)s") % {"table": target})
        raise BadInput(_("mapping file refused"), problems)
    known = set(spec.column_names)
    mapping.encoding = data.get("encoding")
    mapping.sheet = data.get("sheet")
    header_row = data.get("header_row", 1)
    if not isinstance(header_row, int) or header_row < 1:
        bad("header_row", _("must be a whole number from 1"))
    else:
        mapping.header_row = header_row
    full_list = data.get("full_list", False)
    if not isinstance(full_list, bool):
        bad("full_list", _("must be true or false"))
    else:
        mapping.full_list = full_list
    mapping.ignore = {header_key(str(h)) for h in data.get("ignore", [])}
    for header, column in dict(data.get("columns", {})).items():
        if column not in known:
            bad(
                f"columns.{header}",
                _("%(column)s is not a column of %(table)s") % {"column": column, "table": spec.name},
            )
        mapping.columns[header_key(header)] = column
    for column, table_of_values in dict(data.get("values", {})).items():
        if column not in known:
            bad(
                f"values.{column}",
                _("%(column)s is not a column of %(table)s") % {"column": column, "table": spec.name},
            )
            continue
        mapping.values[column] = {header_key(str(k)): str(v) for k, v in dict(table_of_values).items()}
    for column, value in dict(data.get("constants", {})).items():
        if column not in known:
            bad(
                f"constants.{column}",
                _("%(column)s is not a column of %(table)s") % {"column": column, "table": spec.name},
            )
        mapping.constants[column] = clean(value) if isinstance(value, str) else value
    for column, formats in dict(data.get("date_formats", {})).items():
        if column not in known:
            bad(
                f"date_formats.{column}",
                _("%(column)s is not a column of %(table)s") % {"column": column, "table": spec.name},
            )
        mapping.date_formats[column] = [formats] if isinstance(formats, str) else [str(f) for f in formats]
    if problems:
        raise BadInput(_("mapping file refused"), problems)
    return mapping

"""Exporting registry tables in the canonical format (docs/registry-formats.md): CSV or Excel.

What is exported imports back unchanged (a round trip is a no-op): values are written as the importer
reads them — codes, ISO dates, datetimes in JST, lists joined with ``;`` — and every cell is text, so
employee numbers keep their leading zeros in Excel. CSV is UTF-8 with BOM by default (Excel opens it
correctly) or CP932 on request. Exports contain personal data, so each one is recorded in the audit trail.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError
from ringfence.core.temporal import TemporalRecord
from ringfence.core.timeutil import start_of_day_jst, to_jst
from ringfence.registry.imports.refs import load_keys
from ringfence.registry.imports.spec import BUNDLE_ORDER, TABLES, TableSpec
from ringfence.registry.imports.writers import ENTITY_TABLES, LINK_TABLES
from ringfence.registry.models import PersonVersion, Role, TerminalVersion

FORMATS = ("csv", "xlsx")


@dataclass
class ExportResult:
    """One exported file."""

    table: str
    path: Path
    rows: int


def format_value(value: Any) -> str:
    """A stored value as the importer reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return to_jst(value).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _moment(at: dt.datetime | dt.date | None) -> dt.datetime:
    if at is None:
        return timezone.now()
    if isinstance(at, dt.datetime):
        return at
    return start_of_day_jst(at)


class _Keys:
    """Id → stable key for the referenced tables, loaded on demand in bulk."""

    def __init__(self) -> None:
        self.cache: dict[str, dict[int, str]] = {}

    def prime(self, table: str, ids: Iterable[int | None]) -> None:
        wanted = {i for i in ids if i is not None} - self.cache.setdefault(table, {}).keys()
        self.cache[table].update(load_keys(table, wanted))

    def __call__(self, table: str, pk: int | None) -> str | None:
        return None if pk is None else self.cache[table][pk]


def _attribute_row(spec: TableSpec, row: TemporalRecord, keys: _Keys) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in spec.columns:
        if column.attr is None or not hasattr(row, column.attr):
            continue
        value = getattr(row, column.attr)
        if column.kind == "ref":
            assert column.ref is not None
            value = keys(column.ref, value)
        out[column.name] = value
    return out


def _prime_refs(spec: TableSpec, rows: Sequence[Any], keys: _Keys) -> None:
    for column in spec.columns:
        if column.kind == "ref" and column.attr is not None and column.ref is not None:
            keys.prime(column.ref, (getattr(r, column.attr, None) for r in rows))


def _entity_rows(spec: TableSpec, at: dt.datetime) -> list[dict[str, Any]]:
    entity_model, version_model, fields, key_columns = ENTITY_TABLES[spec.name]
    versions = list(version_model.objects.as_of(at).order_by("entity_id"))
    keys = _Keys()
    _prime_refs(spec, versions, keys)
    entity_keys: dict[int, tuple[Any, ...]] = {}
    for entity in entity_model._default_manager.filter(pk__in=[v.entity_id for v in versions]).values(
        "pk", *fields
    ):
        entity_keys[entity["pk"]] = tuple(entity[f] for f in fields)
    if spec.name == "accounts":
        keys.prime("systems", (k[0] for k in entity_keys.values()))
    out = []
    for version in versions:
        key = entity_keys[version.entity_id]
        row = _attribute_row(spec, version, keys)
        if spec.name == "accounts":
            row["system_code"], row["account_id"] = keys("systems", key[0]), key[1]
        else:
            row[key_columns[0]] = key[0]
        row["valid_from"] = version.valid_from
        out.append(row)
    return out


def _link_rows(spec: TableSpec, at: dt.datetime) -> list[dict[str, Any]]:
    model, _field = LINK_TABLES[spec.name]
    rows = list(model.objects.as_of(at).order_by("pk"))
    keys = _Keys()
    _prime_refs(spec, rows, keys)
    out = []
    for row in rows:
        values = _attribute_row(spec, row, keys)
        for name in ("role", "function"):
            if name in spec.column_names and hasattr(row, name) and not isinstance(getattr(row, name), Role):
                values[name] = getattr(row, name)
        values["valid_from"], values["valid_to"] = row.valid_from, row.valid_to
        out.append(values)
    return out


_STATUS_CHANGE = {"retired": "retire", "transferred": "transfer_out", "on_leave": "leave"}


def _personnel_rows(spec: TableSpec, at: dt.datetime) -> list[dict[str, Any]]:
    """Personnel orders that rebuild each person's history up to ``at`` (as known now)."""
    versions = list(
        PersonVersion.objects.known_at().filter(valid_from__lte=at).order_by("entity_id", "valid_from")
    )
    keys = _Keys()
    _prime_refs(spec, versions, keys)
    keys.prime("people", (v.entity_id for v in versions))
    out: list[dict[str, Any]] = []
    previous: PersonVersion | None = None
    for version in versions:
        attrs = _attribute_row(spec, version, keys)
        base = {
            "employee_number": keys("people", version.entity_id),
            "effective_date": version.valid_from,
            **attrs,
        }
        first = (
            previous is None
            or previous.entity_id != version.entity_id
            or previous.valid_to != version.valid_from
        )
        kinds: list[str] = []
        if first or (
            previous is not None
            and previous.status in ("retired", "transferred")
            and version.status == "active"
        ):
            kinds.append("hire")
        elif previous is not None and previous.status == "on_leave" and version.status == "active":
            kinds.append("return")
        if version.status in _STATUS_CHANGE and (
            first or previous is None or previous.status != version.status
        ):
            kinds.append(_STATUS_CHANGE[version.status])
        if not kinds:
            kinds.append("transfer")
        out.extend({**base, "change": kind} for kind in kinds)
        previous = version
    return out


def _loan_rows(spec: TableSpec, at: dt.datetime) -> list[dict[str, Any]]:
    """Loans (runs of ``lent`` with one borrower) of every terminal, started up to ``at``."""
    versions = list(
        TerminalVersion.objects.known_at().filter(valid_from__lte=at).order_by("entity_id", "valid_from")
    )
    keys = _Keys()
    _prime_refs(spec, versions, keys)
    keys.prime("terminals", (v.entity_id for v in versions))
    out: list[dict[str, Any]] = []
    previous: TerminalVersion | None = None
    for version in versions:
        same_loan = (
            previous is not None
            and previous.entity_id == version.entity_id
            and previous.status == "lent"
            and previous.valid_to == version.valid_from
            and (previous.lent_to, previous.lent_to_person_id, previous.lent_until)
            == (version.lent_to, version.lent_to_person_id, version.lent_until)
        )
        if version.status == "lent":
            if same_loan:
                out[-1]["returned_at"] = version.valid_to
            else:
                out.append(
                    {
                        "asset_tag": keys("terminals", version.entity_id),
                        "lent_from": version.valid_from,
                        "returned_at": version.valid_to,
                        **_attribute_row(spec, version, keys),
                    }
                )
        previous = version
    return out


def export_rows(table: str, at: dt.datetime | dt.date | None = None) -> tuple[list[str], list[list[str]]]:
    """(canonical header, rows as text) of ``table`` as valid at ``at`` (default now), as known now."""
    spec = TABLES.get(table)
    if spec is None:
        raise RingfenceError(_("unknown table %(table)s") % {"table": table})
    moment = _moment(at)
    if table in ENTITY_TABLES:
        rows = _entity_rows(spec, moment)
    elif table in LINK_TABLES:
        rows = _link_rows(spec, moment)
    elif table == "roles":
        rows = [{"code": r.code, "name": r.name} for r in Role.objects.order_by("code")]
    elif table == "personnel_changes":
        rows = _personnel_rows(spec, moment)
    else:
        rows = _loan_rows(spec, moment)
    header = spec.column_names
    return header, [[format_value(row.get(name)) for name in header] for row in rows]


def japanese_header(table: str) -> list[str]:
    """The Japanese header the importer recognises for each column (its first Japanese name)."""
    return [c.japanese[0] if c.japanese else c.name for c in TABLES[table].columns]


# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection); such
# values are written with a leading apostrophe, which the reader (core.tabular) removes again.
FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """``value`` with an apostrophe in front if a spreadsheet would take it for a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> None:
    try:
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)
    except UnicodeEncodeError as exc:
        path.unlink(missing_ok=True)
        raise RingfenceError(
            _("%(file)s: a value cannot be written in %(encoding)s (%(char)r); export as UTF-8 instead")
            % {"file": path.name, "encoding": encoding, "char": exc.object[exc.start : exc.end]}
        ) from exc


def _write_xlsx(path: Path, sheet_name: str, header: list[str], rows: list[list[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value or None)
            if value.startswith("="):
                cell.data_type = "s"  # text, not a formula: openpyxl would otherwise write a formula
            cells.append(cell)
        sheet.append(cells)
    book.save(path)


def export_table(
    table: str,
    out: Path,
    *,
    fmt: str = "csv",
    at: dt.datetime | dt.date | None = None,
    japanese_headers: bool = False,
    encoding: str = "utf-8-sig",
    actor: str = "system:export",
    audit: bool = True,
) -> ExportResult:
    """Write ``table`` to ``out`` (a file path) as CSV or Excel; recorded in the audit trail."""
    if fmt not in FORMATS:
        raise RingfenceError(_("unknown format %(fmt)s") % {"fmt": fmt})
    header, rows = export_rows(table, at)
    if japanese_headers:
        header = japanese_header(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        _write_csv(out, header, rows, encoding)
    else:
        _write_xlsx(out, table, header, rows)
    result = ExportResult(table, out, len(rows))
    if audit:
        record(
            AuditAction.EXPORT,
            actor=actor,
            target_type=f"registry.{table}",
            target_ref=out.name,
            detail={
                "table": table,
                "file": str(out),
                "rows": len(rows),
                "format": fmt,
                "as_of": format_value(_moment(at)),
            },
        )
    return result


def export_all(
    directory: Path,
    *,
    fmt: str = "csv",
    at: dt.datetime | dt.date | None = None,
    japanese_headers: bool = False,
    encoding: str = "utf-8-sig",
    actor: str = "system:export",
) -> list[ExportResult]:
    """Every table to ``directory/<table>.<fmt>``: a bundle that ``import_bundle`` reads back."""
    return [
        export_table(
            table,
            directory / f"{table}.{fmt}",
            fmt=fmt,
            at=at,
            japanese_headers=japanese_headers,
            encoding=encoding,
            actor=actor,
        )
        for table in BUNDLE_ORDER
    ]


__all__ = ["FORMATS", "ExportResult", "export_all", "export_rows", "export_table", "japanese_header"]

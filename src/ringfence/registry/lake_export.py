"""Export of the registry histories to Parquet, for DuckDB joins against the access-log lake.

One file per table, denormalised to natural keys (employee_number, unit_code, system_code, account_id,
asset_tag, zone_code, …), every row carrying its validity interval ``valid_from``/``valid_to`` (UTC
timestamps, open end as NULL) and ``recorded_at``. Log enrichment then needs no database: an ASOF JOIN on
(natural key, time) finds the version in force at each event.

Consistency: the whole export is cut at one transaction time, ``known_at`` (default: the moment the export
starts), so the tables agree with each other even while the registry is being written to.

Files are written beside their final name and renamed into place, and ``manifest.json`` (row counts,
SHA-256 per file, ``known_at``) is written last the same way, so a reader never sees a half-written file
and can tell which export a set of files belongs to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import QuerySet
from django.utils import timezone

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.temporal import TemporalQuerySet

from .models import (
    AccountVersion,
    Entitlement,
    NetworkSegmentVersion,
    OrgUnitVersion,
    PersonVersion,
    RoleMembership,
    RoomVersion,
    SystemVersion,
    TerminalVersion,
    UnitResponsibility,
    ZoneVersion,
)

FORMAT_VERSION = 1
BATCH_ROWS = 50_000
FILE_MODE = 0o640  # personal data: readable by the service account's group (DuckDB jobs), nobody else

TS = pa.timestamp("us", tz="UTC")
STR = pa.string()
DATE = pa.date32()
BOOL = pa.bool_()
INT = pa.int64()
STR_LIST = pa.list_(pa.string())

INTERVAL_COLUMNS: tuple[tuple[str, str, pa.DataType], ...] = (
    ("valid_from", "valid_from", TS),
    ("valid_to", "valid_to", TS),
    ("recorded_at", "recorded_at", TS),
)


@dataclass(frozen=True)
class TableSpec:
    """One exported table: the rows it reads and its columns as (column, ORM lookup, Arrow type)."""

    name: str
    queryset: Callable[[], QuerySet[Any]]
    columns: tuple[tuple[str, str, pa.DataType], ...]
    order_by: tuple[str, ...]
    # Extra columns computed from a finished row (e.g. numeric address ranges of a CIDR).
    derived: tuple[tuple[str, pa.DataType], ...] = ()
    derive: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def schema(self) -> pa.Schema:
        """The Arrow schema of the file."""
        fields = [pa.field(name, typ) for name, _lookup, typ in self.columns]
        fields += [pa.field(name, typ) for name, typ in self.derived]
        fields += [pa.field(name, typ) for name, _lookup, typ in INTERVAL_COLUMNS]
        return pa.schema(fields)


def _cidr_ranges(row: dict[str, Any]) -> dict[str, Any]:
    """IPv4 ranges as integers, so DuckDB can match an address with BETWEEN without the inet extension."""
    out: dict[str, Any] = {
        "ip_version": None,
        "prefix_length": None,
        "range_start_v4": None,
        "range_end_v4": None,
    }
    try:
        network = ipaddress.ip_network(row["cidr"], strict=False)
    except ValueError:
        return out
    out["ip_version"] = network.version
    out["prefix_length"] = network.prefixlen
    if network.version == 4:
        out["range_start_v4"] = int(network.network_address)
        out["range_end_v4"] = int(network.broadcast_address)
    return out


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "people",
        lambda: PersonVersion.objects.all(),
        (
            ("employee_number", "entity__employee_number", STR),
            ("name_kanji", "name_kanji", STR),
            ("name_kana", "name_kana", STR),
            ("unit_code", "unit__code", STR),
            ("employment_type", "employment_type", STR),
            ("employer", "employer", STR),
            ("status", "status", STR),
            ("job_title", "job_title", STR),
        ),
        ("entity__employee_number", "valid_from"),
    ),
    TableSpec(
        "units",
        lambda: OrgUnitVersion.objects.all(),
        (
            ("unit_code", "entity__code", STR),
            ("name", "name", STR),
            ("kind", "kind", STR),
            ("parent_code", "parent__code", STR),
        ),
        ("entity__code", "valid_from"),
    ),
    TableSpec(
        "unit_responsibilities",
        lambda: UnitResponsibility.objects.all(),
        (
            ("unit_code", "unit__code", STR),
            ("employee_number", "person__employee_number", STR),
            ("role", "role", STR),
        ),
        ("unit__code", "role", "person__employee_number", "valid_from"),
    ),
    TableSpec(
        "role_memberships",
        lambda: RoleMembership.objects.all(),
        (
            ("role_code", "role__code", STR),
            ("role_name", "role__name", STR),
            ("employee_number", "person__employee_number", STR),
        ),
        ("role__code", "person__employee_number", "valid_from"),
    ),
    TableSpec(
        "entitlements",
        lambda: Entitlement.objects.all(),
        (
            ("system_code", "system__code", STR),
            ("employee_number", "person__employee_number", STR),
            ("role_code", "role__code", STR),
            ("function", "function", STR),
            ("level", "level", STR),
        ),
        ("system__code", "person__employee_number", "role__code", "function", "valid_from"),
    ),
    TableSpec(
        "accounts",
        lambda: AccountVersion.objects.all(),
        (
            ("system_code", "entity__system__code", STR),
            ("account_id", "entity__account_id", STR),
            ("owner_employee_number", "owner__employee_number", STR),
            ("kind", "kind", STR),
            ("status", "status", STR),
            ("display_name", "display_name", STR),
            ("privilege", "privilege", STR),
            ("created_on", "created_on", DATE),
            ("disabled_at", "disabled_at", TS),
            ("password_changed_at", "password_changed_at", TS),
            ("last_login_at", "last_login_at", TS),
        ),
        ("entity__system__code", "entity__account_id", "valid_from"),
    ),
    TableSpec(
        "systems",
        lambda: SystemVersion.objects.all(),
        (
            ("system_code", "entity__code", STR),
            ("name_ja", "name_ja", STR),
            ("name_en", "name_en", STR),
            ("owner_unit_code", "owner_unit__code", STR),
            ("holds_non_public", "holds_non_public", BOOL),
            ("data_classes", "data_classes", STR_LIST),
            ("go_live", "go_live", DATE),
            ("retired_on", "retired_on", DATE),
            ("auth_features", "auth_features", STR_LIST),
        ),
        ("entity__code", "valid_from"),
    ),
    TableSpec(
        "terminals",
        lambda: TerminalVersion.objects.all(),
        (
            ("asset_tag", "entity__asset_tag", STR),
            ("hostname", "hostname", STR),
            ("ip_address", "ip_address", STR),
            ("mac_address", "mac_address", STR),
            ("terminal_type", "terminal_type", STR),
            ("room_code", "room__code", STR),
            ("assigned_unit_code", "assigned_unit__code", STR),
            ("assigned_employee_number", "assigned_person__employee_number", STR),
            ("status", "status", STR),
            ("lent_to", "lent_to", STR),
            ("lent_to_employee_number", "lent_to_person__employee_number", STR),
            ("lent_until", "lent_until", TS),
            ("last_checked_on", "last_checked_on", DATE),
        ),
        ("entity__asset_tag", "valid_from"),
    ),
    TableSpec(
        "rooms",
        lambda: RoomVersion.objects.all(),
        (
            ("room_code", "entity__code", STR),
            ("name", "name", STR),
            ("zone_code", "zone__code", STR),
            ("building", "building", STR),
            ("floor", "floor", STR),
        ),
        ("entity__code", "valid_from"),
    ),
    TableSpec(
        "zones",
        lambda: ZoneVersion.objects.all(),
        (
            ("zone_code", "entity__code", STR),
            ("name", "name", STR),
            ("kind", "kind", STR),
            ("site", "site", STR),
        ),
        ("entity__code", "valid_from"),
    ),
    TableSpec(
        "network_segments",
        lambda: NetworkSegmentVersion.objects.all(),
        (
            ("cidr", "entity__cidr", STR),
            ("name", "name", STR),
            ("site", "site", STR),
            ("zone_code", "zone__code", STR),
        ),
        ("entity__cidr", "valid_from"),
        derived=(("ip_version", INT), ("prefix_length", INT), ("range_start_v4", INT), ("range_end_v4", INT)),
        derive=_cidr_ranges,
    ),
)

TABLE_NAMES = tuple(spec.name for spec in TABLES)


def _batches(spec: TableSpec, known_at: dt.datetime) -> Iterator[pa.RecordBatch]:
    """The table's rows known at ``known_at``, as Arrow record batches of at most BATCH_ROWS rows."""
    schema = spec.schema()
    lookups = [lookup for _n, lookup, _t in spec.columns] + [lookup for _n, lookup, _t in INTERVAL_COLUMNS]
    names = [name for name, _l, _t in spec.columns] + [name for name, _l, _t in INTERVAL_COLUMNS]
    qs = spec.queryset()
    assert isinstance(qs, TemporalQuerySet)
    rows = qs.known_at(known_at).order_by(*spec.order_by, "pk").values_list(*lookups)
    columns: dict[str, list[Any]] = {f.name: [] for f in schema}
    count = 0
    for values in rows.iterator(chunk_size=5000):
        row = dict(zip(names, values, strict=True))
        if spec.derive is not None:
            row.update(spec.derive(row))
        for name, column in columns.items():
            column.append(row[name])
        count += 1
        if count == BATCH_ROWS:
            yield pa.RecordBatch.from_pydict(columns, schema=schema)
            columns = {f.name: [] for f in schema}
            count = 0
    if count:
        yield pa.RecordBatch.from_pydict(columns, schema=schema)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_atomically(tmp: Path, final: Path) -> None:
    """fsync the finished file, then rename it over the final name (atomic on one file system)."""
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    tmp.chmod(FILE_MODE)
    tmp.replace(final)


def _write_table(spec: TableSpec, target_dir: Path, known_at: dt.datetime) -> tuple[Path, int]:
    final = target_dir / f"{spec.name}.parquet"
    tmp = target_dir / f".{spec.name}.parquet.{uuid.uuid4().hex}.tmp"
    rows = 0
    try:
        with pq.ParquetWriter(tmp, spec.schema(), compression="zstd") as writer:
            for batch in _batches(spec, known_at):
                writer.write_batch(batch)
                rows += batch.num_rows
        _replace_atomically(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final, rows


def export_registry_tables(
    target_dir: Path,
    known_at: dt.datetime | None = None,
    *,
    tables: Sequence[str] | None = None,
    actor: str = "system:registry-export",
) -> dict[str, Path]:
    """Write one zstd Parquet file per registry table into ``target_dir``; return table name -> path.

    ``known_at`` cuts every table at one transaction time (default: now). ``tables`` limits the export to
    some of ``TABLE_NAMES``. The export is recorded in the audit trail (it copies personal data).
    """
    cut = known_at or timezone.now()
    wanted = TABLE_NAMES if tables is None else tuple(tables)
    unknown = sorted(set(wanted) - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"unknown registry tables: {', '.join(unknown)}")
    target_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    manifest_tables: dict[str, Any] = {}
    for spec in TABLES:
        if spec.name not in wanted:
            continue
        path, rows = _write_table(spec, target_dir, cut)
        paths[spec.name] = path
        manifest_tables[spec.name] = {
            "file": path.name,
            "rows": rows,
            "bytes": path.stat().st_size,
            "sha256": _sha256(path),
        }
    manifest = {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "known_at": cut.isoformat(),
        "tables": manifest_tables,
    }
    tmp = target_dir / f".manifest.json.{uuid.uuid4().hex}.tmp"
    try:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _replace_atomically(tmp, target_dir / "manifest.json")
    finally:
        tmp.unlink(missing_ok=True)
    record(
        AuditAction.EXPORT,
        actor=actor,
        target_type="registry.lake",
        target_ref=str(target_dir),
        detail={"known_at": cut.isoformat(), "rows": {k: v["rows"] for k, v in manifest_tables.items()}},
    )
    return paths


def read_manifest(target_dir: Path) -> dict[str, Any]:
    """The manifest of the export in ``target_dir``."""
    data: dict[str, Any] = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


def verify_export(target_dir: Path) -> list[str]:
    """Problems with an export (empty when every file matches its manifest entry)."""
    problems: list[str] = []
    manifest = read_manifest(target_dir)
    for name, entry in manifest["tables"].items():
        path = target_dir / entry["file"]
        if not path.exists():
            problems.append(f"{name}: {path.name} is missing")
        elif _sha256(path) != entry["sha256"]:
            problems.append(f"{name}: {path.name} does not match its SHA-256")
    return problems

"""The Parquet export read back with DuckDB: an ASOF JOIN of log events finds the right owner."""

from __future__ import annotations

import datetime as dt
import json
import stat

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from ringfence.audit.models import AuditEvent
from ringfence.core.timeutil import JST
from ringfence.registry import services as s
from ringfence.registry.lake_export import TABLE_NAMES, export_registry_tables, read_manifest, verify_export
from ringfence.registry.tasks import nightly_registry_export, registry_lake_dir, run_registry_export

from .conftest import ACTOR, day

pytestmark = pytest.mark.django_db

ENRICH = """
WITH owned AS (
    SELECT e.id, e."time" AS ts,
           CASE WHEN a.valid_to IS NULL OR e."time" < a.valid_to THEN a.owner_employee_number END AS owner
    FROM events e
    ASOF LEFT JOIN read_parquet('{dir}/accounts.parquet') a
      ON a.system_code = e.system AND a.account_id = e.account AND e."time" >= a.valid_from
)
SELECT o.id, o.owner,
       CASE WHEN p.valid_to IS NULL OR o.ts < p.valid_to THEN p.employment_type END AS employment_type,
       CASE WHEN p.valid_to IS NULL OR o.ts < p.valid_to THEN p.status END AS status,
       CASE WHEN p.valid_to IS NULL OR o.ts < p.valid_to THEN p.unit_code END AS unit_code
FROM owned o
ASOF LEFT JOIN read_parquet('{dir}/people.parquet') p
  ON p.employee_number = o.owner AND o.ts >= p.valid_from
ORDER BY o.id
"""


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=JST)


EVENTS = [
    # id, system, account, when, expected (owner, employment type, status, unit)
    (1, "CIS", "u001", jst(2022, 6, 1), (None, None, None, None)),  # account not yet registered
    (2, "CIS", "u001", jst(2024, 3, 31, 23, 59), ("E001", "own_employee", "active", "DPLAN")),
    (3, "CIS", "u001", jst(2024, 4, 1, 0, 0), ("E001", "own_employee", "active", "NSALES")),  # transfer
    (4, "CIS", "u001", jst(2024, 8, 31, 18), ("E001", "own_employee", "active", "NSALES")),
    (5, "CIS", "u001", jst(2024, 9, 1, 9), ("E003", "affiliate", "active", "NSALES")),  # change of owner
    (6, "CIS", "e002", jst(2024, 6, 30, 12), ("E002", "contractor", "active", "DPLAN")),
    (7, "CIS", "e002", jst(2024, 7, 1, 8), ("E002", "contractor", "retired", "DPLAN")),  # retirement
    (8, "CIS", "svc01", jst(2024, 1, 1), (None, None, None, None)),  # service account, no owner
    (9, "CIS", "ghost", jst(2024, 1, 1), (None, None, None, None)),  # unknown account
]


def enrich(target, events=EVENTS):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    table = pa.table(
        {
            "id": [e[0] for e in events],
            # the column names of the log lake's events (ringfence.logs.schema)
            "system": [e[1] for e in events],
            "account": [e[2] for e in events],
            "time": pa.array([e[3] for e in events], type=pa.timestamp("us", tz="UTC")),
        }
    )
    con.register("events", table)
    return {row[0]: tuple(row[1:]) for row in con.execute(ENRICH.format(dir=target)).fetchall()}


def test_asof_join_finds_owner_and_employment_type(world, tmp_path):
    paths = export_registry_tables(tmp_path)
    assert set(paths) == set(TABLE_NAMES)
    got = enrich(tmp_path)
    for event_id, _system, _account, _ts, expected in EVENTS:
        assert got[event_id] == expected, event_id


def test_known_at_cut_hides_later_records(world, tmp_path):
    cut = timezone.now()
    s.transfer_person("E001", "DIST", effective=day("2024-08-01"), actor=ACTOR)  # recorded after the cut
    old = tmp_path / "old"
    new = tmp_path / "new"
    export_registry_tables(old, known_at=cut)
    export_registry_tables(new)
    assert enrich(old)[4] == ("E001", "own_employee", "active", "NSALES")
    assert enrich(new)[4] == ("E001", "own_employee", "active", "DIST")
    assert read_manifest(old)["known_at"] == cut.isoformat()


def test_columns_are_natural_keys_and_utc_timestamps(world, tmp_path):
    export_registry_tables(tmp_path)
    people = pq.read_table(tmp_path / "people.parquet")
    assert people.schema.field("valid_from").type == pa.timestamp("us", tz="UTC")
    assert people.schema.field("valid_to").type == pa.timestamp("us", tz="UTC")
    assert "employee_number" in people.column_names and "entity_id" not in people.column_names
    e001 = [r for r in people.to_pylist() if r["employee_number"] == "E001"]
    assert [r["unit_code"] for r in e001] == ["DPLAN", "NSALES"]
    assert e001[0]["valid_to"] == dt.datetime(2024, 3, 31, 15, 0, tzinfo=dt.UTC)
    assert e001[1]["valid_to"] is None
    systems = pq.read_table(tmp_path / "systems.parquet").to_pylist()
    assert systems[0]["data_classes"] == ["customer_contact", "usage_30min"]
    segments = {r["cidr"]: r for r in pq.read_table(tmp_path / "network_segments.parquet").to_pylist()}
    assert segments["10.20.0.0/16"]["range_start_v4"] == int.from_bytes(bytes([10, 20, 0, 0]), "big")
    assert segments["10.20.0.0/16"]["prefix_length"] == 16
    grants = pq.read_table(tmp_path / "entitlements.parquet").to_pylist()
    assert {(g["employee_number"], g["role_code"]) for g in grants} == {("E001", None), (None, "BILLING")}
    members = pq.read_table(tmp_path / "role_memberships.parquet").to_pylist()
    assert [(m["role_code"], m["employee_number"]) for m in members] == [("BILLING", "E002")]


def test_zone_of_an_address_in_duckdb(world, tmp_path):
    export_registry_tables(tmp_path)
    ip = int.from_bytes(bytes([10, 20, 1, 5]), "big")
    rows = (
        duckdb.connect()
        .execute(
            f"""
        SELECT s.cidr, z.kind
        FROM read_parquet('{tmp_path}/network_segments.parquet') s
        JOIN read_parquet('{tmp_path}/zones.parquet') z USING (zone_code)
        WHERE {ip} BETWEEN s.range_start_v4 AND s.range_end_v4 AND s.valid_to IS NULL AND z.valid_to IS NULL
        ORDER BY s.prefix_length DESC LIMIT 1
        """
        )
        .fetchall()
    )
    assert rows == [("10.20.0.0/16", "td_only")]


def test_manifest_checksums_and_atomic_files(world, tmp_path):
    paths = export_registry_tables(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["tables"]) == set(TABLE_NAMES)
    for name, entry in manifest["tables"].items():
        count = (
            duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{paths[name]}')").fetchall()[0][0]
        )
        assert count == entry["rows"], name
        assert stat.S_IMODE(paths[name].stat().st_mode) == 0o640
    assert manifest["tables"]["people"]["rows"] == 5  # E001 x2, E002 x2, E003
    assert verify_export(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with (tmp_path / "people.parquet").open("ab") as fh:
        fh.write(b"tampered")
    assert verify_export(tmp_path) == ["people: people.parquet does not match its SHA-256"]


def test_export_is_audited(world, tmp_path):
    export_registry_tables(tmp_path, actor="system:test")
    event = AuditEvent.objects.filter(action="export", target_type="registry.lake").get()
    assert event.actor == "system:test"
    assert event.detail["rows"]["accounts"] == 4


def test_a_failed_export_keeps_the_previous_files(world, tmp_path, monkeypatch):
    export_registry_tables(tmp_path)
    before = (tmp_path / "people.parquet").read_bytes()
    from ringfence.registry import lake_export

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(lake_export, "_replace_atomically", broken)
    s.transfer_person("E003", "DPLAN", effective=day("2024-10-01"), actor=ACTOR)
    with pytest.raises(OSError, match="disk full"):
        export_registry_tables(tmp_path)
    assert (tmp_path / "people.parquet").read_bytes() == before
    assert verify_export(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unknown_table_is_refused(db, tmp_path):
    with pytest.raises(ValueError, match="unknown registry tables"):
        export_registry_tables(tmp_path, tables=["people", "salaries"])


def test_empty_registry_exports_empty_tables(db, tmp_path):
    paths = export_registry_tables(tmp_path, tables=["people", "accounts"])
    assert set(paths) == {"people", "accounts"}
    assert pq.read_table(paths["people"]).num_rows == 0


def test_nightly_job_writes_into_the_lake(world, tmp_path, settings):
    settings.LAKE_DIR = tmp_path / "lake"
    nightly_registry_export.call_local()
    assert registry_lake_dir() == tmp_path / "lake" / "registry"
    assert verify_export(registry_lake_dir()) == []
    paths = run_registry_export()
    assert paths["accounts"] == tmp_path / "lake" / "registry" / "accounts.parquet"
    assert AuditEvent.objects.filter(action="export", actor="system:registry-export").count() == 2

"""Benchmark: as-of look-ups and the Parquet export on a synthetic registry of realistic size.

    .venv/bin/python bench/registry_asof.py [--people 20000] [--lookups 2000] [--events 1000000]

Builds a fresh SQLite registry in a temporary data directory (or uses --database-url, which it writes to),
with ``--people`` people who each were transferred once and own one account that changed owner once, then
times ``account_owner_at``, ``terminal_at``/``zone_of_ip``, the export, and a DuckDB ASOF join of
``--events`` synthetic log events onto the export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="benchmark against this database (it is written to)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rf-bench-registry-"))
    os.environ["RINGFENCE_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, data dir {data_dir}")

    t0 = time.perf_counter()
    build(args.people)
    print(
        f"built {args.people} people, {args.people} accounts, terminals in {time.perf_counter() - t0:.1f} s"
    )

    from ringfence.core.timeutil import JST
    from ringfence.registry.selectors import asof

    rng = random.Random(7)
    samples = []
    for _ in range(args.lookups):
        n = rng.randrange(args.people)
        when = dt.datetime(2024, rng.randint(1, 12), rng.randint(1, 28), 10, tzinfo=JST)
        start = time.perf_counter()
        answer = asof.account_owner_at("CIS", f"u{n:06d}", when)
        samples.append(time.perf_counter() - start)
        assert answer.state == "owned", answer
    report("account_owner_at", samples)

    samples = []
    for _ in range(args.lookups):
        n = rng.randrange(args.people)
        start = time.perf_counter()
        terminal = asof.terminal_at(dt.datetime(2024, 6, 1, tzinfo=JST), ip=ip_of(n))
        samples.append(time.perf_counter() - start)
        assert terminal is not None and terminal.network is not None
    report("terminal_at(ip=…) incl. zone_of_ip", samples)

    from ringfence.registry.lake_export import export_registry_tables

    target = data_dir / "lake" / "registry"
    start = time.perf_counter()
    paths = export_registry_tables(target)
    took = time.perf_counter() - start
    rows = sum(__import__("pyarrow.parquet").parquet.read_metadata(p).num_rows for p in paths.values())
    size = sum(p.stat().st_size for p in paths.values())
    print(f"export: {rows} rows in {took:.2f} s ({rows / took:,.0f} rows/s), {size / 1e6:.1f} MB Parquet")

    asof_join(target, args.people, args.events)


def ip_of(n: int) -> str:
    return f"10.{20 + n // 65536 % 200}.{n // 256 % 256}.{n % 256}"


def build(people: int) -> None:
    """Bulk-insert a registry (no services: the benchmark measures reads, not the audit trail)."""
    from django.db import transaction

    from ringfence.core.timeutil import JST
    from ringfence.registry.models import (
        Account,
        AccountVersion,
        InformationSystem,
        NetworkSegment,
        NetworkSegmentVersion,
        OrgUnit,
        OrgUnitVersion,
        Person,
        PersonVersion,
        SystemVersion,
        Terminal,
        TerminalVersion,
        Zone,
        ZoneVersion,
    )

    t0 = dt.datetime(2000, 4, 1, tzinfo=JST)
    transfer = dt.datetime(2024, 4, 1, tzinfo=JST)
    handover = dt.datetime(2024, 9, 1, tzinfo=JST)
    with transaction.atomic():
        hq = OrgUnit.objects.create(code="HQ")
        OrgUnitVersion.objects.create(entity=hq, name="本店", kind="head_office", valid_from=t0)
        units = []
        for d in range(10):
            div = OrgUnit.objects.create(code=f"D{d}")
            OrgUnitVersion.objects.create(
                entity=div, name=f"部{d}", kind="division", parent=hq, valid_from=t0
            )
            for s in range(10):
                sec = OrgUnit.objects.create(code=f"D{d}S{s}")
                OrgUnitVersion.objects.create(
                    entity=sec, name=f"課{d}-{s}", kind="section", parent=div, valid_from=t0
                )
                units.append(sec)
        zone = Zone.objects.create(code="TD")
        ZoneVersion.objects.create(entity=zone, name="送配電", kind="td_only", valid_from=t0)
        for cidr in ["10.0.0.0/8", *[f"10.{20 + i}.0.0/16" for i in range(200)]]:
            seg = NetworkSegment.objects.create(cidr=cidr)
            NetworkSegmentVersion.objects.create(entity=seg, zone=zone, valid_from=t0)
        system = InformationSystem.objects.create(code="CIS")
        SystemVersion.objects.create(entity=system, name_ja="託送料金システム", valid_from=t0)

        persons = Person.objects.bulk_create(
            [Person(employee_number=f"E{n:06d}") for n in range(people)], batch_size=2000
        )
        persons = list(Person.objects.order_by("employee_number"))
        versions = []
        for n, p in enumerate(persons):
            a, b = units[n % len(units)], units[(n * 7 + 3) % len(units)]
            common = {"entity": p, "name_kanji": f"社員{n}", "employment_type": "own_employee"}
            versions.append(PersonVersion(**common, unit=a, valid_from=t0, valid_to=transfer))
            versions.append(PersonVersion(**common, unit=b, valid_from=transfer))
        PersonVersion.objects.bulk_create(versions, batch_size=2000)

        Account.objects.bulk_create(
            [Account(system=system, account_id=f"u{n:06d}") for n in range(people)], batch_size=2000
        )
        accounts = list(Account.objects.order_by("account_id"))
        rows = []
        for n, acc in enumerate(accounts):
            rows.append(AccountVersion(entity=acc, owner=persons[n], valid_from=t0, valid_to=handover))
            rows.append(AccountVersion(entity=acc, owner=persons[(n + 1) % people], valid_from=handover))
        AccountVersion.objects.bulk_create(rows, batch_size=2000)

        Terminal.objects.bulk_create(
            [Terminal(asset_tag=f"PC{n:06d}") for n in range(people)], batch_size=2000
        )
        terminals = list(Terminal.objects.order_by("asset_tag"))
        TerminalVersion.objects.bulk_create(
            [
                TerminalVersion(entity=t, ip_address=ip_of(n), hostname=f"pc{n:06d}", valid_from=t0)
                for n, t in enumerate(terminals)
            ],
            batch_size=2000,
        )


def report(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{name}: {len(ms)} look-ups, median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms")


def asof_join(target: Path, people: int, events: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""
        CREATE TABLE events AS
        SELECT 'CIS' AS system_code,
               'u' || lpad(CAST((i * 7919) % {people} AS VARCHAR), 6, '0') AS account_id,
               TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i * 31) % (365 * 86400)) AS ts
        FROM range({events}) t(i)
        """
    )
    sql = f"""
        WITH owned AS (
          SELECT e.*, CASE WHEN a.valid_to IS NULL OR e.ts < a.valid_to THEN a.owner_employee_number END AS owner
          FROM events e
          ASOF LEFT JOIN read_parquet('{target}/accounts.parquet') a
            ON a.system_code = e.system_code AND a.account_id = e.account_id AND e.ts >= a.valid_from
        )
        SELECT count(*), count(p.employment_type)
        FROM owned o
        ASOF LEFT JOIN read_parquet('{target}/people.parquet') p
          ON p.employee_number = o.owner AND o.ts >= p.valid_from
        WHERE p.valid_to IS NULL OR o.ts < p.valid_to
    """
    start = time.perf_counter()
    total, enriched = con.execute(sql).fetchall()[0]
    took = time.perf_counter() - start
    print(
        f"DuckDB ASOF join: {total} events ({enriched} with owner) in {took:.2f} s ({total / took:,.0f} events/s)"
    )


if __name__ == "__main__":
    main()

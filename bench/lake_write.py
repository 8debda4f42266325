"""Log lake write throughput: N synthetic events (default 5 million) appended in batches, then verified.

Usage: ``.venv/bin/python bench/lake_write.py [--events N] [--batch B] [--no-dedup] [--keep DIR]``.

Runs against a fresh data directory (SQLite, lake under it) in a temporary folder. The events come from
``ringfence.logs.lake.synthetic`` (application-log raw lines of about 200 bytes, four systems); a pool is
generated once and each batch gets its own event IDs (``schema.event_id``) and times, prepared outside the
timed section. Timed: ``lake.append`` only — validation, split by system and JST day, the duplicate check
against the partitions already stored (unless ``--no-dedup``), zstd Parquet encoding, fsyncs, manifest.
Prints events/s written, bytes per event on disk, then the time of ``verify_lake`` and of a DuckDB count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--batch", type=int, default=250_000)
    parser.add_argument("--no-dedup", action="store_true", help="append with skip_known=False")
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="interleave four systems in every batch (default: one system per batch)",
    )
    parser.add_argument("--keep", help="use this data directory and keep it (default: a temporary one)")
    args = parser.parse_args()

    data_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lake-bench-"))
    os.environ["RINGFENCE_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    import django

    django.setup()
    import pyarrow as pa
    from django.core.management import call_command

    from ringfence.logs import lake
    from ringfence.logs.lake.synthetic import synthetic_events
    from ringfence.logs.schema import event_id

    call_command("migrate", verbosity=0)
    pool_size = min(args.batch, args.events)
    started = time.perf_counter()
    systems = ("CIS", "MDMS", "BILLING", "BADGE")
    pool = synthetic_events(
        pool_size, systems=systems if args.mixed else ("CIS",), span=dt.timedelta(hours=12)
    )
    raw_bytes = sum(len(s.encode()) for s in pool.column("raw").to_pylist()) / pool_size
    print(f"generated a pool of {pool_size:,} events in {time.perf_counter() - started:.1f}s "
          f"(raw line {raw_bytes:.0f} bytes on average, Arrow {pool.nbytes / pool_size:.0f} bytes/event)")  # fmt: skip

    written = 0
    timed = 0.0
    cpu = 0.0
    files = 0
    batch_no = 0
    time_index = pool.schema.get_field_index("time")
    id_index = pool.schema.get_field_index("event_id")
    while written < args.events:
        size = min(args.batch, args.events - written)
        batch = pool.slice(0, size)
        shift = pa.scalar(dt.timedelta(hours=12 * batch_no), pa.duration("us"))
        times = pa.compute.add(batch.column("time"), shift)
        ids = pa.array([event_id("app", f"bench-{batch_no}.log", line) for line in range(size)], pa.string())
        batch = batch.set_column(time_index, "time", times).set_column(id_index, "event_id", ids)
        if not args.mixed:  # one system's file per batch, the systems taking turns
            system = pa.array([systems[batch_no % len(systems)]] * size, pa.string())
            batch = batch.set_column(pool.schema.get_field_index("system"), "system", system)
        t0, c0 = time.perf_counter(), time.process_time()
        result = lake.append(batch, origin=f"batch-{batch_no}", skip_known=not args.no_dedup)
        timed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        assert sum(f.rows for f in result) == size
        files += len(result)
        written += size
        batch_no += 1
        print(f"  {written:>10,} events, {written / timed:>10,.0f} events/s", end="\r", flush=True)
    print()
    lake_bytes = sum(f.bytes for f in lake.live_files())
    print(f"appended {written:,} events in {batch_no} batches ({files} files) in {timed:.1f}s: "
          f"{written / timed:,.0f} events/s; {lake_bytes / written:.1f} bytes/event on disk "
          f"({lake_bytes / 1e6:.0f} MB)")  # fmt: skip
    print(f"CPU time of the appends {cpu:.1f}s (all threads): {written / cpu:,.0f} events per CPU-second; "
          f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip

    t0 = time.perf_counter()
    report = lake.verify_lake()
    elapsed = time.perf_counter() - t0
    assert report.ok, report.problems
    print(f"verify_lake: {report.files} files, {lake_bytes / 1e6:.0f} MB in {elapsed:.2f}s "
          f"({lake_bytes / 1e6 / elapsed:,.0f} MB/s)")  # fmt: skip
    t0 = time.perf_counter()
    con = lake.connect()
    total = con.execute("SELECT count(*) FROM events WHERE system = 'CIS'").fetchall()[0][0]
    print(f"DuckDB count of one system ({total:,} events) in {time.perf_counter() - t0:.2f}s")
    if not args.keep:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark: enrichment of the demo lake's events (detection.enrich), rows per second and peak memory.

    RINGFENCE_DATA_DIR=/tmp/demo-shared/var .venv/bin/python bench/enrich.py [--scale 10] [--threads 2]
        [--memory-limit 3GB] [--snapshot DIR] [--materialize] [--history]

Reads every event of the lake once through the enriched view and aggregates every enriched field (so
nothing is skipped), or with ``--materialize`` keeps the enriched rows (without ``raw``) as a DuckDB table.
Bounds are the lake's first and last day (as ``ringfence analyze`` passes them). ``--scale N`` repeats
the lake's week N times, shifted by whole weeks (N=10 on the 2 M-event demo gives the
20 M events of the performance target). ``--snapshot DIR`` reuses a registry snapshot folder (exported there
first when it holds none). ``--history`` also reads the whole lake as history (first-seen, baselines).
Prints rows, wall time, rows/s and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="3GB")  # DuckDB's own; the process stays under 4 GB
    parser.add_argument("--snapshot", type=Path)
    parser.add_argument("--materialize", action="store_true")
    parser.add_argument("--history", action="store_true")
    args = parser.parse_args()
    if "RINGFENCE_DATA_DIR" not in os.environ:
        sys.exit("set RINGFENCE_DATA_DIR to the demo's data directory (e.g. /tmp/demo-shared/var)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    import django

    django.setup()
    from ringfence.core.timeutil import JST
    from ringfence.detection.enrich import ENRICHED_FIELDS, attach_registry, create_enriched_view
    from ringfence.detection.enrich.snapshot import snapshot_registry
    from ringfence.logs.lake import connect

    with tempfile.TemporaryDirectory(prefix="ringfence-enrich-bench-") as tmp:
        started = time.perf_counter()
        target = args.snapshot or Path(tmp) / "snapshot"
        snapshot = target if (target / "manifest.json").exists() else snapshot_registry(target)
        snapshot_s = time.perf_counter() - started

        con = connect()
        con.execute(f"SET threads = {args.threads}")
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp}/duckdb'")
        started = time.perf_counter()
        attach_registry(con, snapshot)
        attach_s = time.perf_counter() - started

        source = "events"
        if args.scale > 1:
            # UNION ALL of shifted copies streams; a cross join with range(N) would materialise the lake.
            copies = " UNION ALL ".join(
                f'SELECT * REPLACE ("time" + INTERVAL {7 * k} DAY AS "time", day + {7 * k} AS day) FROM events'
                for k in range(args.scale)
            )
            con.execute(f"CREATE TEMP VIEW bench_events AS {copies}")
            source = "bench_events"
        first, last = con.execute("SELECT min(day), max(day) FROM events").fetchone() or (None, None)
        if first is None:
            sys.exit("the lake holds no events")
        start = dt.datetime.combine(first, dt.time.min, tzinfo=JST)
        end = dt.datetime.combine(last, dt.time.min, tzinfo=JST) + dt.timedelta(days=1 + 7 * (args.scale - 1))
        started, create_cpu = time.perf_counter(), _cpu_seconds()
        create_enriched_view(con, source, start=start, end=end, history="events" if args.history else None)
        create_s, create_cpu = time.perf_counter() - started, _cpu_seconds() - create_cpu

        started = time.perf_counter()
        cpu_started = _cpu_seconds()
        if args.materialize:
            con.execute("CREATE TEMP TABLE bench_enriched AS SELECT * EXCLUDE (raw) FROM enriched")
            rows = con.execute("SELECT count(*) FROM bench_enriched").fetchone()
        else:
            aggregates = ", ".join(f"count({name})" for name in ENRICHED_FIELDS)
            rows = con.execute(f"SELECT count(*), {aggregates} FROM enriched").fetchone()
        scan_s = time.perf_counter() - started
        scan_cpu = _cpu_seconds() - cpu_started
        total = int(rows[0]) if rows else 0
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"events enriched        {total:>14,}")
        print(f"registry snapshot      {snapshot_s:>14.2f} s")
        print(f"attach (timelines)     {attach_s:>14.2f} s")
        print(
            f"create view            {create_s:>14.2f} s (CPU {create_cpu:.2f} s; history aggregates, calendar)"
        )
        print(f"{'materialize' if args.materialize else 'scan, every field':<22} {scan_s:>14.2f} s")
        print(f"  CPU time (all threads) {scan_cpu:>12.2f} s (wall time suffers when others share the cores)")
        print(f"rows/s                 {total / scan_s if scan_s else 0:>14,.0f}")
        print(f"rows per CPU second    {total / scan_cpu if scan_cpu else 0:>14,.0f}")
        print(f"peak RSS               {peak_mib:>14,.0f} MiB")
        print(f"threads                {args.threads:>14}")


if __name__ == "__main__":
    main()

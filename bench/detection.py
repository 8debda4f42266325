"""Benchmark: enrichment + the full rule pack over a week of 2, 5 and 20 million events.

    .venv/bin/python bench/detection.py --demo /tmp/demo-shared/var [--sizes 2,5,20] [--work DIR]
    .venv/bin/python bench/detection.py --work DIR --measure-only          # re-measure an existing lake

The lake is grown from a loaded demo (``ringfence demo``: registry database + the 2,008,843-event week):
the demo's events are copied into a fresh lake, then *replicas* of them are appended until the next size
is reached — replica r is every demo event with ``event_id`` suffixed ``-r<r>`` and its time moved by
r × 37 seconds, so the week, the systems, accounts, terminals and addresses keep the demo's cardinalities
and the scenarios are repeated with it (a bigger utility's week, not a longer period). A half replica
(every event whose ID hashes even) makes the 5-million step. Events go in through ``lake.append``, as
ingest writes them.

Each size is then analysed in a fresh subprocess — ``detection.engine.analyze`` over the week, all
systems, the built-in pack, no alerts and no run record — which prints its wall time per stage and its
peak RSS (``resource.getrusage``). DuckDB runs with the detection settings (threads = the CPUs,
memory_limit RINGFENCE_DUCKDB_MEMORY default 3GB, preserve_insertion_order off, spilling under the data
directory).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEEK = ("2026-10-12", "2026-10-19")  # JST, end excluded
SHIFT_SECONDS = 37


def _django(data_dir: Path) -> None:
    os.environ["RINGFENCE_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def prepare_data_dir(demo: Path, data: Path) -> None:
    """A data directory holding a copy of the demo's registry database (no lake yet)."""
    data.mkdir(parents=True, exist_ok=True)
    for name in ("secret_key", "sources"):
        source = demo / name
        if source.is_dir():
            shutil.copytree(source, data / name, dirs_exist_ok=True)
        elif source.exists():
            shutil.copy2(source, data / name)
    with (
        sqlite3.connect(demo / "ringfence.sqlite3") as src,
        sqlite3.connect(data / "ringfence.sqlite3") as dst,
    ):
        src.backup(dst)


def grow(demo_lake: Path, sizes_m: list[float]) -> list[tuple[float, int, float]]:
    """Append replicas of the demo's events to the (configured) lake; analyse nothing. Returns, per size,
    (millions wanted, events in the lake, seconds spent appending)."""
    import pyarrow as pa

    from ringfence.logs import lake
    from ringfence.logs.schema import EVENT_FIELDS

    source = lake.connect(root=demo_lake)
    demo_events = int(source.execute("SELECT count(*) FROM events").fetchall()[0][0])
    stored = int(lake.connect().execute("SELECT count(*) FROM events").fetchall()[0][0])
    columns = ", ".join(f'"{c}"' for c in EVENT_FIELDS if c not in ("event_id", "time"))
    reached: list[tuple[float, int, float]] = []
    replica = math.ceil(stored / demo_events) if stored else 0
    for size in sizes_m:
        target = int(size * 1_000_000)
        began = time.perf_counter()
        while stored < target * 0.97:
            half = target - stored < demo_events * 0.75
            where = "WHERE hash(event_id) % 2 = 0" if half else ""
            suffix = f"-r{replica}" if replica else ""
            query = (
                f"SELECT event_id || '{suffix}' AS event_id, time + INTERVAL ({replica * SHIFT_SECONDS}) SECOND "
                f"AS time, {columns} FROM events {where}"
            )
            reader = source.sql(query).to_arrow_reader(500_000)
            for batch in reader:
                table = pa.Table.from_batches([batch]).select(list(EVENT_FIELDS))
                lake.append(table, skip_known=False, origin=f"bench replica {replica}")
                stored += table.num_rows
            print(f"  replica {replica}{' (half)' if half else ''}: lake holds {stored:,} events", flush=True)
            replica += 1
        reached.append((size, stored, time.perf_counter() - began))
    return reached


def measure(label: str) -> dict[str, object]:
    """Analyse the week in this process (called in a fresh subprocess); figures as a dict."""
    import datetime as dt
    import resource

    from ringfence.core.timeutil import JST
    from ringfence.detection.engine import analyze

    start = dt.datetime.fromisoformat(WEEK[0]).replace(tzinfo=JST)
    end = dt.datetime.fromisoformat(WEEK[1]).replace(tzinfo=JST)
    stages: list[tuple[str, float]] = []
    began = time.perf_counter()
    result = analyze(
        start, end, raise_alerts=False, record_run=False,
        progress=lambda stage: stages.append((stage, time.perf_counter() - began)),
    )  # fmt: skip
    wall = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spans = {stages[i][0]: round(stages[i + 1][1] - stages[i][1], 2) for i in range(len(stages) - 1)}
    return {
        "label": label,
        "events": result.events,
        "matched_events": result.matched_events,
        "findings": len(result.findings),
        "rules": len(result.ruleset.rules),
        "wall_s": round(wall, 2),
        "events_per_s": round(result.events / wall),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "stages_s": spans,
        "evaluate_s": {
            k.removeprefix("evaluate: "): v for k, v in result.timings.items() if k.startswith("evaluate: ")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", type=Path, help="data directory of a loaded demo (default size)")
    parser.add_argument("--sizes", default="2,5,20", help="millions of events, comma-separated")
    parser.add_argument("--work", type=Path, help="working folder (kept; default a new temporary folder)")
    parser.add_argument("--measure-only", action="store_true", help="analyse the lake already in --work")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one measurement in a subprocess
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ringfence-bench-detection-"))
    data = work / "data"
    if args.measure:
        _django(data)
        print(json.dumps(measure(args.measure)))
        return
    sizes = [float(s) for s in args.sizes.split(",")]
    if not args.measure_only:
        if args.demo is None:
            parser.error("--demo is needed to build the lake")
        if not (data / "ringfence.sqlite3").exists():
            prepare_data_dir(args.demo, data)
    _django(data)
    results = []
    for size in sizes:
        if not args.measure_only:
            [(_wanted, stored, seconds)] = grow(args.demo / "lake", [size])
            print(f"lake at {stored:,} events ({seconds:.0f} s of appending)", flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--work", str(work), "--measure", f"{size:g}M"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise SystemExit(done.returncode)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(figures)
        print(json.dumps(figures), flush=True)
    print()
    print("| events | wall s | events/s | CPU s | peak RSS MB | matched | findings | stages (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        stages = ", ".join(f"{k} {v}" for k, v in r["stages_s"].items())
        print(f"| {r['events']:,} | {r['wall_s']} | {r['events_per_s']:,} | {r['cpu_s']} | {r['peak_rss_mb']:,} "
              f"| {r['matched_events']:,} | {r['findings']} | {stages} |")  # fmt: skip
    print(f"\nworking folder: {work}")


if __name__ == "__main__":
    main()

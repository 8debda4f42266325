"""Batch ingest throughput: CSV and JSON-lines files through ``BatchIngest`` into a fresh lake.

Usage: ``.venv/bin/python bench/ingest_batch.py [--lines N] [--files F] [--profile]``

Writes F files of N/F lines each per format into a temporary data directory (the demo's Japanese access
log in CP932 with a header, and the demo's JSON audit lines), ingests each format's folder with a fresh
lake and database, and prints lines/s end to end: reading, parsing, checking for duplicates, writing
zstd Parquet with fsync, the manifest, checkpoints and tallies. A second run over the same files measures
the unchanged-file skip. Uses SQLite in the temporary data directory.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
SCRATCH = Path(tempfile.mkdtemp(prefix="ringfence-bench-ingest-"))
os.environ["RINGFENCE_DATA_DIR"] = str(SCRATCH / "data")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from ringfence.logs.ingest.batch import BatchIngest  # noqa: E402
from ringfence.logs.ingest.routing import SourceRouter, load_definitions  # noqa: E402

SAMPLES = ROOT / "src/ringfence/logs/tests/samples/sources"
OPS = ["照会", "検索", "CSV出力", "印刷", "更新", "ログイン"]
ACTIONS = ["view", "search", "export", "print", "update", "login"]


def write_csv(path: Path, lines: int, first: int, rng: random.Random) -> None:
    """The demo's access-log CSV (CP932, CRLF) with a header."""
    rows = ["日時,利用者ID,端末名,IPアドレス,操作区分,画面ID,対象ID,件数,結果"]
    for i in range(first, first + lines):
        second = i // 4
        rows.append(
            f"2026/10/{12 + second // 86400 % 7:02d} {second // 3600 % 24:02d}:{second // 60 % 60:02d}:"
            f"{second % 60:02d},{1000000 + i % 4000},TDB{i % 500:03d}-0001,10.1.{i % 250}.{i % 200 + 10},"
            f"{rng.choice(OPS)},DSP010,03{rng.randrange(10**19):020d},{rng.randrange(1, 50)},"
            f"{'成功' if rng.random() < 0.95 else '権限エラー'}"
        )
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))


def write_jsonl(path: Path, lines: int, first: int, rng: random.Random) -> None:
    """The demo's JSON audit lines."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(first, first + lines):
            second = i // 4
            out.write(json.dumps({
                "ts": f"2026-10-{12 + second // 86400 % 7:02d}T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:"
                      f"{second % 60:02d}.{i % 1000:03d}Z",
                "system": "MDMS", "user": f"u{i % 4000:05d}", "src_ip": f"10.4.{i % 250}.{i % 200 + 10}",
                "src_host": f"TDB{i % 500:03d}-0001", "action": rng.choice(ACTIONS),
                "target": f"03{rng.randrange(10**19):020d}", "count": rng.randrange(1, 50),
                "outcome": "success" if rng.random() < 0.95 else "denied",
            }, ensure_ascii=False) + "\n")  # fmt: skip


def fresh_lake(name: str) -> None:
    """Point the lake at a new folder so each format starts empty."""
    settings.LAKE_DIR = SCRATCH / f"lake-{name}"


def run(folder: Path, label: str, lines: int, profile: bool, workers: int) -> None:
    router = SourceRouter(load_definitions(SAMPLES))
    started = time.perf_counter()
    cpu = time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    summary = BatchIngest(router, workers=workers).run([folder])
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert summary.totals.stored == lines, summary.totals
    print(f"{label:<8} workers={workers} {lines:>10,} lines  {seconds:6.2f} s  {lines / seconds:>10,.0f} lines/s  "
          f"CPU {cpu:6.2f} s = {lines / cpu:>10,.0f} lines per CPU-second  "
          f"(stored {summary.totals.stored:,}, quarantined {summary.totals.quarantined:,})")  # fmt: skip
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    started = time.perf_counter()
    again = BatchIngest(SourceRouter(load_definitions(SAMPLES))).run([folder])
    seconds = time.perf_counter() - started
    assert again.totals.stored == 0 and again.totals.duplicates == lines, again.totals
    print(f"{label:<8} re-run: {seconds:.2f} s (all {lines:,} recognised as already ingested)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--workers", type=int, default=1, help="parser processes (ringfence ingest --workers)"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    per_file = args.lines // args.files
    for label, writer, folder, ext in (
        ("csv", write_csv, "TAKUSO", "csv"),
        ("jsonl", write_jsonl, "MDMS", "jsonl"),
    ):
        target = SCRATCH / "in" / label / folder
        target.mkdir(parents=True)
        for n in range(args.files):
            writer(target / f"part{n:03d}.{ext}", per_file, n * per_file, rng)
        fresh_lake(label)
        run(target.parent, label, per_file * args.files, args.profile, args.workers)
    print(f"data left in {SCRATCH}")


if __name__ == "__main__":
    main()

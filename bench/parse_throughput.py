"""Parser throughput: 1 million CSV lines and 1 million JSON lines into EVENT_SCHEMA Arrow tables.

Usage: ``.venv/bin/python bench/parse_throughput.py [--lines N] [--per-line] [--profile]``. The files are written to a
temporary folder with realistic content (the demo's Japanese CSV layout in CP932, the demo's JSON audit
lines); each is parsed by ``parse_file`` (the vectorised path, per line for lines it refuses) and, with
``--per-line``, by the per-line parsers alone. Prints events/s per format; ``--profile`` adds where the
time goes (cProfile, top functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")

import django  # noqa: E402

django.setup()

from ringfence.logs.parsers import parse_file  # noqa: E402
from ringfence.logs.sources import load_source  # noqa: E402

SAMPLES = ROOT / "src/ringfence/logs/tests/samples/sources"
OPS = [("照会", "DSP010", "view"), ("検索", "SRH020", "search"), ("CSV出力", "EXP030", "export"),
       ("印刷", "PRT040", "print"), ("更新", "UPD050", "update"), ("ログイン", "LOGIN", "login")]  # fmt: skip
RESULTS = [("成功", "success")] * 18 + [("失敗", "failure"), ("権限エラー", "denied")]


def write_csv(path: Path, lines: int) -> None:
    """The demo's Japanese access-log CSV in CP932."""
    rng = random.Random(1)
    rows = ["日時,利用者ID,端末名,IPアドレス,操作区分,画面ID,対象ID,件数,結果"]
    for i in range(lines):
        op, screen, _ = rng.choice(OPS)
        result = rng.choice(RESULTS)[0]
        second = i // 4
        rows.append(
            f"2026/10/{12 + second // 86400 % 7:02d} {second // 3600 % 24:02d}:{second // 60 % 60:02d}:"
            f"{second % 60:02d},{1000000 + i % 4000},TDB{i % 500:03d}-0001,10.1.{i % 250}.{i % 200 + 10},{op},"
            f"{screen},03{rng.randrange(10**19):020d},{rng.randrange(1, 50)},{result}"
        )
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))


def write_jsonl(path: Path, lines: int) -> None:
    """The demo's JSON audit lines."""
    rng = random.Random(2)
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            _, _, action = rng.choice(OPS)
            outcome = rng.choice(RESULTS)[1]
            second = i // 4
            out.write(
                f'{{"ts":"2026-10-{12 + second // 86400 % 7:02d}T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:'
                f'{second % 60:02d}.{i % 1000:03d}Z","system":"MDMS","user":"u{i % 4000:05d}",'
                f'"src_ip":"10.3.{i % 250}.{i % 200 + 10}","src_host":"TDB{i % 500:03d}-0007","action":"{action}",'
                f'"target":"03{rng.randrange(10**19):020d}","count":{rng.randrange(1, 50)},"outcome":"{outcome}"}}\n'
            )


def run(
    definition_file: str, path: Path, *, vectorised: bool, profile: bool = False
) -> tuple[int, int, float, float]:
    definition = load_source(SAMPLES / definition_file)
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    cpu_start = time.process_time()
    if profiler:
        profiler.enable()
    events = quarantined = 0
    for batch in parse_file(definition, path, vectorised=vectorised):
        table = batch.to_arrow()
        events += table.num_rows
        quarantined += len(batch.quarantined)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    if profiler:
        print(f"  where the time goes ({path.suffix}, {'vectorised' if vectorised else 'per line'}):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(8)
    return events, quarantined, elapsed, cpu


def _parse_count(definition_file: str, path: str) -> int:
    """Events of one file (run in a worker process)."""
    definition = load_source(SAMPLES / definition_file)
    return sum(batch.to_arrow().num_rows for batch in parse_file(definition, Path(path)))


def run_parallel(definition_file: str, paths: list[Path]) -> tuple[int, float]:
    """Parse ``paths`` in one process each, as batch ingest does with several files."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    with ProcessPoolExecutor(len(paths)) as pool:
        events = sum(pool.map(_parse_count, [definition_file] * len(paths), [str(p) for p in paths]))
    return events, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--per-line", action="store_true", help="also time the per-line parsers")
    parser.add_argument("--profile", action="store_true", help="where the time goes (cProfile)")
    parser.add_argument("--workers", type=int, default=0, help="also parse N files in N processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv_path, json_path = Path(folder) / "access.csv", Path(folder) / "audit.jsonl"
        write_csv(csv_path, args.lines)
        write_jsonl(json_path, args.lines)
        for label, definition, path in (("csv (cp932)", "csv_ja_cp932.toml", csv_path),
                                        ("jsonl", "jsonl.toml", json_path)):  # fmt: skip
            modes = [("vectorised", True)] + ([("per line", False)] if args.per_line or args.profile else [])
            for mode, vectorised in modes:
                events, quarantined, elapsed, cpu = run(
                    definition, path, vectorised=vectorised, profile=args.profile
                )
                print(f"{label:12} {mode:10} {events:>9,} events {quarantined:>4} quarantined "
                      f"{elapsed:6.2f} s {events / elapsed:>10,.0f} events/s, "
                      f"CPU {cpu:6.2f} s {events / cpu:>10,.0f} events/CPU-s")  # fmt: skip
            if args.workers > 1:
                parts = [path.with_name(f"part{i}{path.suffix}") for i in range(args.workers)]
                for part in parts:
                    part.write_bytes(path.read_bytes())
                events, elapsed = run_parallel(definition, parts)
                print(f"{label:12} {f'{args.workers} procs':10} {events:>9,} events {'':16}"
                      f"{elapsed:6.2f} s {events / elapsed:>10,.0f} events/s")  # fmt: skip


if __name__ == "__main__":
    main()

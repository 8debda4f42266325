"""Benchmark: ``ringfence demo --no-serve`` end to end (generate the files, then load the registry).

    .venv/bin/python bench/demo_generate.py [--size default|small|large] [--seed 1] [--database-url URL]

Runs the real command in a fresh temporary data directory (SQLite there unless --database-url is given,
which it writes to) and prints the command's summary, the wall time, the generation and load times and
the size of the files written. The brief's target: the default size within a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="default", choices=["small", "default", "large"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    ringfence = Path(sys.executable).with_name("ringfence")
    with tempfile.TemporaryDirectory(prefix="ringfence-demo-bench-") as tmp:
        env = dict(os.environ, RINGFENCE_DATA_DIR=tmp)
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        out = Path(tmp) / "demo"
        command = [str(ringfence), "demo", "--no-serve", "--force", "--out", str(out), "--size", args.size,
                   "--seed", str(args.seed)]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        print(done.stdout, end="")
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            sys.exit(done.returncode)
        manifest = json.loads((out / "demo.json").read_text(encoding="utf-8"))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"events written             {manifest['events']:>14,}")
        print(f"files written              {manifest['files']:>14,} ({size / 2**20:,.0f} MiB)")
        print(f"wall time, generate + load {wall:>14.1f} s")
        print(f"cpus                       {os.cpu_count():>14}")


if __name__ == "__main__":
    main()

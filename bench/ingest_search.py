"""Event-search latency on a large lake: the queries of the search page, timed.

Usage: ``.venv/bin/python bench/ingest_search.py [--events N] [--days D] [--systems S]``

Fills a fresh lake (temporary data directory) with N synthetic access events spread over D days and S
systems (``lake.synthetic``, about 220-byte raw lines), then times ``selectors.search_events`` for the
filters of the search page over one day and over the whole range: a record ID, an account, a terminal, a
system, and everything at once, each run three times (the best and the first are printed: the first
includes reading the manifest and cold file metadata).
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
REUSE = sys.argv[sys.argv.index("--reuse") + 1] if "--reuse" in sys.argv else None
SCRATCH = Path(REUSE) if REUSE else Path(tempfile.mkdtemp(prefix="ringfence-bench-search-"))
os.environ["RINGFENCE_DATA_DIR"] = str(SCRATCH / "data")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from ringfence.core.timeutil import JST  # noqa: E402
from ringfence.logs import lake  # noqa: E402
from ringfence.logs.lake.synthetic import synthetic_events  # noqa: E402
from ringfence.logs.selectors import EventQuery, search_events  # noqa: E402

CHUNK = 250_000


def fill(events: int, days: int, systems: tuple[str, ...]) -> dict[str, str]:
    """Write the events in chunks of consecutive time; returns one sample event's fields."""
    start = dt.datetime(2026, 9, 1, tzinfo=JST)
    span = dt.timedelta(days=days) * CHUNK / events
    sample: dict[str, str] = {}
    written = 0
    chunk_index = 0
    began = time.perf_counter()
    while written < events:
        count = min(CHUNK, events - written)
        table = synthetic_events(count, systems=systems, start=start + span * chunk_index, span=span,
                                 source_file=f"bench-{chunk_index}.log", seed=chunk_index)  # fmt: skip
        lake.append(table, skip_known=False)
        if not sample:
            row = table.slice(count // 2, 1).to_pylist()[0]
            sample = {"system": row["system"], "account": row["account"], "terminal": row["terminal"],
                      "record_id": row["record_ids"][0], "time": row["time"].isoformat()}  # fmt: skip
        written += count
        chunk_index += 1
        print(
            f"\r{written:,} events written ({written / (time.perf_counter() - began):,.0f}/s)",
            end="",
            flush=True,
        )
    print()
    return sample


def stored_sample(days: int) -> dict[str, str]:
    """A stored event from the middle of the range (with ``--reuse``)."""
    middle = dt.datetime(2026, 9, 1, tzinfo=JST) + dt.timedelta(days=days / 2)
    page = search_events(EventQuery(middle, middle + dt.timedelta(minutes=10), limit=1))
    row = page.rows[0]
    return {"system": row["system"], "account": row["account"], "terminal": row["terminal"],
            "record_id": row["record_ids"][0], "time": row["time"].isoformat()}  # fmt: skip


def timed(label: str, query: EventQuery) -> None:
    times = []
    found = 0
    files = 0
    for _ in range(3):
        started = time.perf_counter()
        page = search_events(query)
        times.append(time.perf_counter() - started)
        found, files = len(page.rows), page.files_read
    print(f"{label:<38} first {times[0] * 1000:7.0f} ms  best {min(times) * 1000:7.0f} ms  "
          f"{found:>4} rows  {files:>4} files read")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--systems", type=int, default=10)
    parser.add_argument("--reuse", help="data directory a previous run left: time the queries only")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    systems = tuple(f"SYS{n:02d}" for n in range(args.systems))
    sample = fill(args.events, args.days, systems) if not args.reuse else stored_sample(args.days)
    moment = dt.datetime.fromisoformat(sample["time"])
    day = moment.astimezone(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    whole = (
        dt.datetime(2026, 9, 1, tzinfo=JST),
        dt.datetime(2026, 9, 1, tzinfo=JST) + dt.timedelta(days=args.days),
    )
    for name, (start, end) in {
        "one day": (day, day + dt.timedelta(days=1)),
        f"{args.days} days": whole,
    }.items():
        timed(f"{name}: record ID", EventQuery(start, end, record_id=sample["record_id"]))
        timed(f"{name}: account", EventQuery(start, end, account=sample["account"]))
        timed(f"{name}: terminal", EventQuery(start, end, terminal=sample["terminal"]))
        timed(f"{name}: system", EventQuery(start, end, system=sample["system"]))
        timed(f"{name}: system + account + record ID",
              EventQuery(start, end, system=sample["system"], account=sample["account"],
                         record_id=sample["record_id"]))  # fmt: skip
    print(f"data left in {SCRATCH}")


if __name__ == "__main__":
    main()

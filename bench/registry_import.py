"""Benchmark: importing and exporting the registry from files of realistic size.

    .venv/bin/python bench/registry_import.py [--people 10000] [--accounts 50000] [--database-url URL]

Writes CP932 CSV files with Japanese headers (units, people, a personnel-order file with two orders per
person, one system's full account list) into a temporary folder, imports them into a fresh SQLite
database in a temporary data directory (or the given database, which it writes to), then times a
re-import (a no-op), a re-import with 10 % of the accounts changed, and a CSV export of the accounts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(label: str, action: Callable[[], Any]) -> Any:
    """Run ``action``; print wall-clock and CPU seconds (CPU is steadier on a shared machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:<48} {wall:8.2f} s wall {used:8.2f} s CPU")
    return result


def write_files(folder: Path, people: int, accounts: int) -> None:
    rng = random.Random(7)
    units = [f"U{n:03d}" for n in range(200)]
    lines = ["所属コード,所属名,組織区分,上位所属コード", "HQ,本店,本店,"]
    lines += [f"{code},第{n}課,課,HQ" for n, code in enumerate(units)]
    (folder / "units.csv").write_bytes("\r\n".join(lines).encode("cp932"))
    lines = ["社員番号,氏名,フリガナ,所属コード,雇用区分,在籍状況,役職"]
    lines += [f"{n:06d},山田　{n}郎,ﾔﾏﾀﾞ ﾀﾛｳ,{rng.choice(units)},正社員,在籍," for n in range(people)]
    (folder / "people.csv").write_bytes("\r\n".join(lines).encode("cp932"))
    lines = ["社員番号,発令日,発令区分,所属コード"]
    for n in range(people):
        lines.append(f"{n:06d},令和5年4月1日,異動,{rng.choice(units)}")
        lines.append(f"{n:06d},R5.10.1,異動,{rng.choice(units)}")
    (folder / "personnel_changes.csv").write_bytes("\r\n".join(lines).encode("cp932"))
    (folder / "systems.csv").write_text("code,name_ja\nCIS,顧客情報システム\n", encoding="utf-8")
    lines = ["システムコード,ログインID,社員番号,状態,最終ログイン日時"]
    lines += [f"CIS,u{n:06d},{n % people:06d},有効,2024-03-{1 + n % 28:02d} 09:00" for n in range(accounts)]
    (folder / "accounts.csv").write_bytes("\r\n".join(lines).encode("cp932"))
    changed = [
        *lines[:1],
        *(line.replace("有効", "無効") if i % 10 == 1 else line for i, line in enumerate(lines[1:])),
    ]
    (folder / "accounts_changed.csv").write_bytes("\r\n".join(changed).encode("cp932"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--database-url", help="benchmark against this database (it is written to)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="rf-bench-import-"))
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

    from ringfence.registry.exports import export_table
    from ringfence.registry.imports import import_table

    call_command("migrate", verbosity=0)
    files = data_dir / "files"
    files.mkdir()
    write_files(files, args.people, args.accounts)
    print(
        f"database: {connection.vendor}; {args.people} people, {args.accounts} accounts; data dir {data_dir}"
    )
    as_of = dt.date(2024, 4, 1)
    timed("units (201 rows)", lambda: import_table("units", files / "units.csv", as_of=as_of))
    timed(
        f"people ({args.people} rows, CP932, Japanese headers)",
        lambda: import_table("people", files / "people.csv", as_of=as_of),
    )
    timed("people again (no-op)", lambda: import_table("people", files / "people.csv", as_of=as_of))
    timed(
        f"personnel orders ({2 * args.people} rows)",
        lambda: import_table("personnel_changes", files / "personnel_changes.csv"),
    )
    import_table("systems", files / "systems.csv", as_of=as_of)
    timed(
        f"accounts ({args.accounts} rows, full list)",
        lambda: import_table("accounts", files / "accounts.csv", as_of=as_of, full_list=True),
    )
    timed(
        "accounts again (no-op)",
        lambda: import_table("accounts", files / "accounts.csv", as_of=as_of, full_list=True),
    )
    timed(
        "accounts dry run with 10 % changed",
        lambda: import_table(
            "accounts", files / "accounts_changed.csv", as_of=dt.date(2024, 5, 1), dry_run=True
        ),
    )
    timed(
        "accounts with 10 % changed",
        lambda: import_table(
            "accounts", files / "accounts_changed.csv", as_of=dt.date(2024, 5, 1), full_list=True
        ),
    )
    timed("export accounts to CSV", lambda: export_table("accounts", data_dir / "accounts_out.csv"))


if __name__ == "__main__":
    main()

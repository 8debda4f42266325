"""DuckDB settings for detection: bounded memory, spilling to disk, no ordering guarantees we do not need."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
from django.conf import settings


def tune(
    con: duckdb.DuckDBPyConnection, *, threads: int | None = None, memory_limit: str | None = None
) -> None:
    """Apply the detection settings (env RINGFENCE_DUCKDB_THREADS / RINGFENCE_DUCKDB_MEMORY, or settings)."""
    configured = os.environ.get("RINGFENCE_DUCKDB_THREADS") or str(
        getattr(settings, "RINGFENCE_DUCKDB_THREADS", "")
    )
    threads = threads or (int(configured) if configured.isdigit() else 0) or os.cpu_count() or 2
    memory_limit = (
        memory_limit
        or os.environ.get("RINGFENCE_DUCKDB_MEMORY")
        or str(getattr(settings, "RINGFENCE_DUCKDB_MEMORY", "3GB"))
    )
    spill = Path(settings.DATA_DIR) / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET temp_directory = ?", [str(spill)])

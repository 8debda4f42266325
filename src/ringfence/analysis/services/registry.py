"""The registry side of a campaign: a snapshot cut at the pin's ``known_at`` and the enriched events.

Each pin gets its own snapshot directory (named after ``known_at``), reused when it already exists: the
export of one transaction time never changes, so re-running a campaign reads the same registry.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from django.conf import settings

from .pinning import Pin

# Columns of the enriched relation the figures read; materialised once so the grouped scans that follow
# do not repeat the registry joins.
ENRICHED_COLUMNS = (
    "event_id", "time", "system", "source", "day", "account", "outcome", "activity", "owner", "person_unit", "person_unit_name",
    "person_employment_type", "account_known", "account_privilege", "entitled", "entitled_level",
    "required_level", "entitled_for_activity", "terminal_tag", "src_ip", "source_file", "source_line",
)  # fmt: skip


def snapshot_dir_for(pin: Pin) -> Path:
    """Where the registry snapshot of ``pin`` lives (under the data directory)."""
    stamp = pin.known_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return Path(settings.DATA_DIR) / "analysis" / "registry" / stamp


def registry_snapshot(pin: Pin, target: Path | None = None) -> Path:
    """The registry exported as known at the pin's ``known_at`` (written once, then reused)."""
    from ringfence.detection.enrich import snapshot_registry

    target = target or snapshot_dir_for(pin)
    if (target / "manifest.json").exists():
        return target
    return snapshot_registry(target, known_at=pin.known_at)


def enrich_period(
    con: duckdb.DuckDBPyConnection,
    source: str,
    name: str,
    start: dt.datetime,
    end: dt.datetime,
    systems: list[str],
    pin: Pin,
    snapshot: Path | None = None,
) -> Path:
    """Create table ``name``: the events of ``source`` in [start, end) with the registry columns; the snapshot."""
    from ringfence.detection.enrich import attach_registry, create_enriched_view

    directory = registry_snapshot(pin, snapshot)
    attach_registry(con, directory)
    create_enriched_view(con, source, f"{name}_view", start=start, end=end, systems=systems)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {', '.join(ENRICHED_COLUMNS)} FROM {name}_view"
    )
    return directory

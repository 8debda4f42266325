"""Background jobs of the registry: the nightly Parquet export for the log lake."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .lake_export import export_registry_tables

logger = logging.getLogger(__name__)

EXPORT_ACTOR = "system:registry-export"


def registry_lake_dir() -> Path:
    """Where the registry export lives in the lake (``LAKE_DIR/registry``)."""
    return Path(settings.LAKE_DIR) / "registry"


def run_registry_export(
    target_dir: Path | None = None, known_at: dt.datetime | None = None
) -> dict[str, Path]:
    """Export every registry table once, now (what the nightly job does; tests and the CLI call it too)."""
    target = target_dir or registry_lake_dir()
    paths = export_registry_tables(target, known_at, actor=EXPORT_ACTOR)
    logger.info("registry exported to %s (%d tables)", target, len(paths))
    return paths


# Huey evaluates crontabs in UTC: 16:45 UTC is 01:45 JST, after the evening's imports and before the
# nightly log analyses that join against the export.
@db_periodic_task(crontab(hour="16", minute="45"))
def nightly_registry_export() -> None:
    """Nightly: refresh the registry export in the lake."""
    run_registry_export()


@db_task()
def registry_export_now() -> None:
    """On demand (e.g. after a large import): refresh the registry export in the background."""
    run_registry_export()

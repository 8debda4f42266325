"""The demo's log-source definitions and the ingest of its week of logs into the lake.

The definitions shipped in ``sources/`` read the demo's formats, one per format (11 files). The demo's
``logs/sources.json`` names every system with its format and encoding, so the ingest router lends a
definition to each system that has none of its own (23 systems, 11 definitions; see
``ringfence.logs.ingest.routing``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ringfence.logs.ingest.batch import BatchIngest, IngestSummary
from ringfence.logs.ingest.routing import SourceRouter, load_definitions

SHIPPED_SOURCES = Path(__file__).parent / "sources"

# Progress callback: (bytes done, bytes in total)
IngestProgress = Callable[[int, int], None]


def shipped_definition_files() -> list[Path]:
    """The source definitions shipped with the demo, in name order."""
    return sorted(SHIPPED_SOURCES.glob("*.toml"))


def write_source_definitions(target: Path) -> list[Path]:
    """Copy the shipped definitions into ``target`` (created if missing); returns the files written.

    Files of the same name are replaced (they are the demo's own); other files in ``target`` are left alone,
    so a data directory's own definitions survive.
    """
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in shipped_definition_files():
        destination = target / source.name
        if not destination.is_file() or destination.read_bytes() != source.read_bytes():
            shutil.copyfile(source, destination)
        written.append(destination)
    return written


def _no_progress(done: int, total: int) -> None:
    return None


def ingest_demo_logs(
    logs: Path, sources_dir: Path = SHIPPED_SOURCES, progress: IngestProgress = _no_progress
) -> IngestSummary:
    """Ingest the demo's ``logs`` folder into the lake through the batch ingest; returns its summary.

    Re-running is cheap and stores nothing new: files already read are recognised by their checkpoints.
    """
    router = SourceRouter(load_definitions(sources_dir))
    job = BatchIngest(router)
    total = sum(item.size for item, _definition in job.plan([logs])) or 1
    done = 0

    def advance(_name: str, size: int) -> None:
        nonlocal done
        done += size
        progress(done, total)

    job.progress = advance
    return job.run([logs])

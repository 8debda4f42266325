"""Registry snapshots for enrichment: the registry exported to Parquet, reused while the registry is unchanged.

Every detection run joins events against one consistent cut of the registry (``lake_export`` cuts all tables
at one transaction time). Exporting takes seconds on a large registry, and runs happen every few minutes in
monitoring, so a snapshot is reused as long as the registry's *fingerprint* — per table the row count and the
latest ``recorded_at`` and ``superseded_at`` — is the same as when it was taken: every registry change adds
rows (``recorded_at``) or supersedes them (``superseded_at``), so an unchanged fingerprint means an unchanged
registry.

Snapshots live in ``<data dir>/detection/registry/<stamp>/`` (setting ``RINGFENCE_DETECTION_DIR`` moves the
``detection`` folder). A snapshot is exported into a hidden folder and renamed into place, so a reader never
sees a half-written one; old snapshots are pruned, keeping the newest few and any younger than a day (a
running analysis may still read them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

FINGERPRINT_FILE = "fingerprint.json"
KEEP_SNAPSHOTS = 3
KEEP_YOUNGER_THAN = dt.timedelta(days=1)
EXPORT_ACTOR = "system:detection-snapshot"


def detection_dir() -> Path:
    """Working folder of detection (snapshots, live state): ``RINGFENCE_DETECTION_DIR`` or data dir/detection."""
    configured = getattr(settings, "RINGFENCE_DETECTION_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "detection"


def snapshots_dir() -> Path:
    return detection_dir() / "registry"


def registry_fingerprint() -> str:
    """A digest that changes whenever any registry table gains or supersedes a row."""
    from ringfence.registry.lake_export import TABLES  # Django models: imported when used

    parts: list[Any] = []
    for spec in TABLES:
        stats = spec.queryset().aggregate(
            rows=Count("pk"), recorded=Max("recorded_at"), superseded=Max("superseded_at")
        )
        parts.append([spec.name, stats["rows"], _iso(stats["recorded"]), _iso(stats["superseded"])])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _read_fingerprint(snapshot: Path) -> str | None:
    try:
        data = json.loads((snapshot / FINGERPRINT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (snapshot / "manifest.json").exists():
        return None
    value = data.get("fingerprint")
    return value if isinstance(value, str) else None


def _write_fingerprint(snapshot: Path, fingerprint: str, known_at: dt.datetime | None) -> None:
    payload = {"fingerprint": fingerprint, "known_at": _iso(known_at), "taken_at": timezone.now().isoformat()}
    (snapshot / FINGERPRINT_FILE).write_text(json.dumps(payload), encoding="utf-8")


def _existing(root: Path) -> list[Path]:
    """Finished snapshots under ``root``, newest first (names are UTC stamps, so they sort by age)."""
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)


def _prune(root: Path, keep: Path) -> None:
    cutoff = timezone.now() - KEEP_YOUNGER_THAN
    for old in _existing(root)[KEEP_SNAPSHOTS:]:
        if old == keep:
            continue
        modified = dt.datetime.fromtimestamp(old.stat().st_mtime, dt.UTC)
        if modified < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def snapshot_registry(target: Path | None = None, known_at: dt.datetime | None = None) -> Path:
    """Export the registry for enrichment and return the snapshot's folder.

    Without ``known_at`` the snapshot shows the registry as it is now, and an existing snapshot (``target``
    itself, or the newest under the snapshots folder) is reused when the registry has not changed since it
    was taken. With ``known_at`` (re-running an analysis as the registry was known then) the export is cut
    at that moment and always written afresh.
    """
    from ringfence.registry.lake_export import export_registry_tables

    fingerprint = registry_fingerprint() if known_at is None else None
    if target is not None:
        if fingerprint is not None and _read_fingerprint(target) == fingerprint:
            return target
        export_registry_tables(target, known_at, actor=EXPORT_ACTOR)
        _write_fingerprint(target, fingerprint or "", known_at)
        return target

    root = snapshots_dir()
    if fingerprint is not None:
        for existing in _existing(root)[:1]:
            if _read_fingerprint(existing) == fingerprint:
                return existing
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
    staging = root / f".{stamp}"
    export_registry_tables(staging, known_at, actor=EXPORT_ACTOR)
    # Fingerprint of the moment the export started: a change during the export makes the next call export again.
    _write_fingerprint(staging, fingerprint or "", known_at)
    final = root / stamp
    staging.rename(final)
    _prune(root, final)
    return final

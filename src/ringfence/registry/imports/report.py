"""What an import did (or, in a dry run, would do)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ringfence.core.errors import InputProblem


@dataclass
class ImportReport:
    """Counts per outcome (created, changed, unchanged, deleted), problems, duration and provenance."""

    table: str
    path: Path
    rows: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[InputProblem] = field(default_factory=list)
    dry_run: bool = False
    duration_seconds: float = 0.0
    sha256: str = ""
    versions_inserted: int = 0
    versions_superseded: int = 0

    @property
    def created(self) -> int:
        return self.counts["created"]

    @property
    def changed(self) -> int:
        return self.counts["changed"]

    @property
    def unchanged(self) -> int:
        return self.counts["unchanged"]

    @property
    def deleted(self) -> int:
        return self.counts["deleted"]

    @property
    def wrote_anything(self) -> bool:
        return bool(self.versions_inserted or self.versions_superseded or self.created)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (also the detail of the audit event)."""
        return {
            "table": self.table,
            "file": self.path.name,
            "sha256": self.sha256,
            "rows": self.rows,
            "counts": dict(sorted(self.counts.items())),
            "versions_inserted": self.versions_inserted,
            "versions_superseded": self.versions_superseded,
            "dry_run": self.dry_run,
            "duration_seconds": round(self.duration_seconds, 3),
        }

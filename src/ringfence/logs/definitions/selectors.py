"""Reads of stored log-source definitions: the list, one definition's versions, diffs, and ingest's set."""

from __future__ import annotations

import difflib

from ..sources import SourceDefinition
from .models import StoredSource, StoredSourceVersion
from .services import parse_definition_text


def source_list() -> list[StoredSource]:
    """Every stored definition, by system and id."""
    return list(StoredSource.objects.order_by("system", "source_id"))


def get_source(source_id: str) -> StoredSource | None:
    """One stored definition by its id, or None."""
    return StoredSource.objects.filter(source_id=source_id).first()


def versions(source: StoredSource) -> list[StoredSourceVersion]:
    """Its versions, newest first."""
    return list(source.versions.order_by("-number"))


def version_diff(old: StoredSourceVersion | None, new: StoredSourceVersion) -> list[str]:
    """A unified diff of two versions' TOML text (from empty for the first version)."""
    before = old.toml.splitlines() if old is not None else []
    return list(
        difflib.unified_diff(
            before,
            new.toml.splitlines(),
            fromfile=f"{new.source.source_id} v{old.number if old else 0}",
            tofile=f"{new.source.source_id} v{new.number}",
            lineterm="",
        )
    )


def stored_definitions(*, enabled_only: bool = True) -> dict[str, SourceDefinition]:
    """The current version of each stored definition, parsed (the set ingest uses), by id."""
    sources = StoredSource.objects.order_by("source_id")
    if enabled_only:
        sources = sources.filter(enabled=True)
    return {
        source.source_id: parse_definition_text(source.current().toml, file=stored_label(source))
        for source in sources
    }


def stored_label(source: StoredSource) -> str:
    """How problems name a stored definition: ``stored definition <id> (version n)``."""
    current = source.current()
    return f"stored definition {source.source_id} (version {current.number if current else 0})"

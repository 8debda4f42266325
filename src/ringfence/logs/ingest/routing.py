"""Which source definition reads which file.

A file is read by the source named with ``--source``; otherwise by the definition whose ``system`` is the
name of one of the file's folders (``logs/TAKUSO/access_20261012.csv`` → the TAKUSO definition), the
nearest folder first. When the folder holds a ``sources.json`` describing its systems (as the demo writes
it, one entry per system with its ``format`` and ``encoding``), a system without a definition of its own
borrows the definition of a system whose log has the same format (or, failing that, the same ``kind``),
with its own system code and encoding: 23 systems in 12 formats need 12 definitions, not 23.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem, RingfenceError

from ..sources import SourceDefinition, load_source, load_sources

SOURCES_JSON = "sources.json"


def load_definitions(sources_dir: Path | None) -> dict[str, SourceDefinition]:
    """The definitions of ``sources_dir`` by id (none when no folder is given)."""
    if sources_dir is None:
        return {}
    if not sources_dir.is_dir():
        raise RingfenceError(_("%(dir)s is not a folder of source definitions") % {"dir": sources_dir})
    return load_sources(sources_dir)


def ingest_definitions(sources_dir: Path | None, *, explicit: bool) -> dict[str, SourceDefinition]:
    """The definitions ingest uses: the enabled stored ones plus the files of ``sources_dir``.

    One rule for an id that is both stored and a file: when the folder was named explicitly
    (``--sources-dir``) the file wins, for that run only; when it is the default folder the clash is an
    error naming both, so a forgotten file can never silently override what the UI shows.
    """
    from ..definitions.models import StoredSource
    from ..definitions.selectors import stored_definitions, stored_label

    files = load_definitions(sources_dir)
    stored = stored_definitions()
    clashes = list(StoredSource.objects.filter(source_id__in=list(files)).order_by("source_id"))
    if clashes and not explicit and sources_dir is not None:
        path_of = {load_source(path).id: path for path in sorted(sources_dir.glob("*.toml"))}
        problems = [
            InputProblem(path_of.get(s.source_id, sources_dir), None, "id",
                         _("%(id)s is also %(stored)s; import the file with `ringfence sources import` or "
                           "remove it") % {"id": s.source_id, "stored": stored_label(s)})
            for s in clashes
        ]  # fmt: skip
        raise BadInput(_("file and stored definitions share ids"), problems)
    return {**stored, **files}


def read_sources_json(path: Path) -> list[dict[str, Any]]:
    """The system entries of a ``sources.json``; ``BadInput`` naming the file when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        systems = data["systems"]
        if not isinstance(systems, list) or not all(isinstance(s, dict) and "system" in s for s in systems):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(
            _("%(file)s is not a usable sources.json") % {"file": path},
            [InputProblem(path, None, "systems", str(exc) or _("a list of systems is expected"))],
        ) from exc
    return systems


def borrow_definitions(
    definitions: Mapping[str, SourceDefinition], systems: list[dict[str, Any]]
) -> dict[str, SourceDefinition]:
    """Definitions for the systems of a ``sources.json`` that have none, borrowed from a system alike."""
    by_system: dict[str, SourceDefinition] = {}
    for definition in definitions.values():
        by_system.setdefault(definition.system, definition)
    entry_of = {str(entry["system"]): entry for entry in systems}
    templates: dict[tuple[str, str], SourceDefinition] = {}
    for code, definition in by_system.items():
        entry = entry_of.get(code)
        if entry is not None:
            templates.setdefault(("format", str(entry.get("format"))), definition)
            templates.setdefault(("kind", str(entry.get("kind"))), definition)
    borrowed: dict[str, SourceDefinition] = {}
    for code, entry in entry_of.items():
        if code in by_system:
            continue
        template = templates.get(("format", str(entry.get("format")))) or templates.get(
            ("kind", str(entry.get("kind")))
        )
        if template is None:
            continue
        source_id = f"{code.lower()}-{entry.get('format') or template.format}"[:64]
        borrowed[source_id] = dataclasses.replace(
            template,
            id=source_id,
            system=code,
            encoding=str(entry.get("encoding") or template.encoding),
            description=str(entry.get("name_ja") or template.description),
        )
    return borrowed


class SourceRouter:
    """Chooses the definition of each file; ``route`` raises ``InputProblem`` text when it cannot."""

    def __init__(
        self,
        definitions: Mapping[str, SourceDefinition],
        source_id: str | None = None,
    ) -> None:
        self.definitions = dict(definitions)
        self.forced: SourceDefinition | None = None
        if source_id is not None:
            if source_id not in self.definitions:
                known = ", ".join(sorted(self.definitions)) or "—"
                raise RingfenceError(
                    _("no source definition with id %(id)s (known: %(known)s)")
                    % {"id": source_id, "known": known}
                )
            self.forced = self.definitions[source_id]
        self._seen_json: set[Path] = set()
        self._refresh()

    def _refresh(self) -> None:
        self.by_system: dict[str, list[SourceDefinition]] = {}
        for definition in self.definitions.values():
            self.by_system.setdefault(definition.system, []).append(definition)

    def learn_sources_json(self, folder: Path) -> None:
        """Borrow definitions for the systems a ``sources.json`` in ``folder`` describes (once per file)."""
        path = (folder / SOURCES_JSON).resolve()
        if path in self._seen_json or not path.is_file():
            return
        self._seen_json.add(path)
        for source_id, definition in borrow_definitions(self.definitions, read_sources_json(path)).items():
            self.definitions.setdefault(source_id, definition)
        self._refresh()

    def route(self, path: Path) -> SourceDefinition:
        """The definition that reads ``path``; ``ValueError`` with the reason when there is none or several."""
        if self.forced is not None:
            return self.forced
        for folder in reversed(path.parent.parts):
            candidates = self.by_system.get(folder)
            if not candidates:
                continue
            if len(candidates) > 1:
                ids = ", ".join(sorted(d.id for d in candidates))
                raise ValueError(
                    _("system %(system)s has several sources (%(ids)s); choose one with --source")
                    % {"system": folder, "ids": ids}
                )
            return candidates[0]
        raise ValueError(
            _(
                "no source definition for this file: name one with --source, or keep it in a folder named after its system"
            )
        )

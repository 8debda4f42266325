"""Writes of stored log-source definitions: save a new version, enable/disable, import and export files.

Every save validates the TOML text through ``SourceDefinition`` first and writes nothing when a problem is
found; every change is appended to the audit trail.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem, RingfenceError

from ..parsers import ParseContext, parse_lines
from ..parsers.base import RawLine
from ..sources import SourceDefinition
from .models import StoredSource, StoredSourceVersion

AUDIT_TARGET = "log_source_definition"
# Ids the pages use as path words (/logs/definitions/new/, …/upload/): a source cannot be called so.
RESERVED_IDS = frozenset({"new", "upload"})
MAX_PREVIEW_LINES = 200


def parse_definition_text(text: str, *, file: Path | str = "<definition>") -> SourceDefinition:
    """Validate TOML ``text`` as a definition; ``BadInput`` lists every problem with its key (or TOML line)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise BadInput(
            _("%(file)s is not valid TOML") % {"file": file}, [InputProblem(file, line, None, str(exc))]
        ) from exc
    return SourceDefinition.from_dict(data, file=file)


def _actor(actor: str | None, request: HttpRequest | None) -> str:
    if actor:
        return actor
    if request is not None and request.user.is_authenticated:
        return str(request.user.get_username())
    return "system"


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the version now current and whether it is new (unchanged text adds none)."""

    version: StoredSourceVersion
    created: bool


def save_definition(
    text: str,
    *,
    actor: str | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
    expect_id: str | None = None,
    file: Path | str = "<definition>",
) -> SaveResult:
    """Store ``text`` as the newest version of its definition (a new definition when its id is new).

    ``expect_id`` is the id being edited: a definition cannot be renamed, because its id is part of every
    event ID already in the lake. Text identical to the current version adds no version.
    """
    definition = parse_definition_text(text, file=file)
    if definition.id in RESERVED_IDS:
        raise BadInput(
            _("this id is reserved"),
            [
                InputProblem(
                    file, None, "id", _("%(id)s is reserved; choose another id") % {"id": definition.id}
                )
            ],
        )
    if expect_id is not None and definition.id != expect_id:
        raise BadInput(
            _("a definition cannot be renamed"),
            [InputProblem(file, None, "id", _("must stay %(id)s") % {"id": expect_id})],
        )
    who = _actor(actor, request)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        source = StoredSource.objects.select_for_update().filter(source_id=definition.id).first()
        is_new = source is None
        if source is None:
            source = StoredSource(source_id=definition.id)
        else:
            current = source.current()
            if current is not None and current.sha256 == digest:
                return SaveResult(current, False)
        source.system = definition.system
        source.format = definition.format
        source.encoding = definition.encoding
        source.changed_at = now
        source.changed_by = who
        source.save()
        number = 1 + (source.versions.order_by("-number").values_list("number", flat=True).first() or 0)
        version = StoredSourceVersion.objects.create(
            source=source, number=number, toml=text, sha256=digest, saved_at=now, saved_by=who,
            reason=reason[:300],
        )  # fmt: skip
        record(AuditAction.CREATE if is_new else AuditAction.CHANGE, actor=actor, request=request,
               target_type=AUDIT_TARGET, target_ref=definition.id,
               detail={"version": number, "sha256": digest, "reason": reason[:300], "file": str(file)})  # fmt: skip
    return SaveResult(version, True)


def set_enabled(
    source_id: str, enabled: bool, *, actor: str | None = None, request: HttpRequest | None = None
) -> StoredSource:
    """Enable or disable a stored definition (a disabled one is not used by ingest)."""
    with transaction.atomic():
        source = StoredSource.objects.select_for_update().get(source_id=source_id)
        if source.enabled != enabled:
            source.enabled = enabled
            source.changed_at = timezone.now()
            source.changed_by = _actor(actor, request)
            source.save(update_fields=["enabled", "changed_at", "changed_by"])
            record(AuditAction.CHANGE, actor=actor, request=request, target_type=AUDIT_TARGET,
                   target_ref=source_id, detail={"enabled": enabled})  # fmt: skip
    return source


def _definition_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.toml"))
    if path.is_file():
        return [path]
    raise RingfenceError(_("%(path)s is neither a file nor a folder") % {"path": path})


def import_files(path: Path, *, actor: str, reason: str = "") -> list[SaveResult]:
    """Store every ``*.toml`` of a folder (or one file); nothing is stored unless all of them are valid."""
    files = _definition_files(path)
    problems: list[InputProblem] = []
    texts: list[tuple[Path, str]] = []
    seen: dict[str, Path] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
            definition = parse_definition_text(text, file=file)
        except UnicodeDecodeError as exc:
            problems.append(InputProblem(file, None, None, _("not UTF-8: %(error)s") % {"error": exc}))
            continue
        except BadInput as exc:
            problems.extend(exc.problems or [InputProblem(file, None, None, str(exc))])
            continue
        if definition.id in seen:
            problems.append(InputProblem(file, None, "id", _("id %(id)s is also in %(other)s")
                                         % {"id": definition.id, "other": seen[definition.id]}))  # fmt: skip
            continue
        seen[definition.id] = file
        texts.append((file, text))
    if problems:
        raise BadInput(_("some log-source definitions are not valid; nothing was imported"), problems)
    with transaction.atomic():
        results = []
        for file, text in texts:
            why = reason or _("imported from %(file)s") % {"file": file.name}
            results.append(save_definition(text, actor=actor, reason=why, file=file))
        return results


def export_files(directory: Path, *, actor: str, source_ids: Iterable[str] | None = None) -> list[Path]:
    """Write the current text of each stored definition to ``directory/<id>.toml`` (enabled or not)."""
    directory.mkdir(parents=True, exist_ok=True)
    sources = StoredSource.objects.order_by("source_id")
    if source_ids is not None:
        sources = sources.filter(source_id__in=list(source_ids))
    written: list[Path] = []
    for source in sources:
        target = directory / f"{source.source_id}.toml"
        target.write_text(source.current().toml, encoding="utf-8")
        written.append(target)
    record(AuditAction.EXPORT, actor=actor, target_type=AUDIT_TARGET, target_ref=str(directory),
           detail={"count": len(written), "ids": [p.stem for p in written]})  # fmt: skip
    return written


@dataclass(frozen=True)
class Preview:
    """The events and quarantined lines that sample lines give under a definition (nothing is stored)."""

    events: list[dict[str, Any]]
    quarantined: list[tuple[int, str, str]]  # line number, raw, reason
    skipped: int


def preview_lines(definition: SourceDefinition, text: str) -> Preview:
    """Parse pasted ``text`` line by line as the source would send it (encoded in its own encoding)."""
    lines = text.splitlines()[:MAX_PREVIEW_LINES]
    raw: list[RawLine] = []
    offset = 0
    for number, line in enumerate(lines, start=1):
        try:
            data = line.encode(definition.encoding)
        except (UnicodeEncodeError, LookupError):
            data = line.encode("utf-8")
        raw.append(RawLine(offset, number, data))
        offset += len(data) + 1
    events: list[dict[str, Any]] = []
    quarantined: list[tuple[int, str, str]] = []
    skipped = 0
    context = ParseContext(origin="preview", source_file=None)
    for batch in parse_lines(definition, raw, context):
        events.extend(batch.events())
        quarantined.extend((q.line, q.raw, q.reason) for q in batch.quarantined)
        skipped += batch.skipped
    return Preview(events, quarantined, skipped)

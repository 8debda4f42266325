"""What the UI, the alerts and the reports need to know about a rule besides its SQL: ``RuleMeta``.

Read from the Sigma rule itself (title, description, level, tags, falsepositives) and from the custom
attributes of the ringfence pack (see src/ringfence/detection/rules/README.md):

``title_ja``, ``description_ja``, ``control``         Japanese texts and the commitment the rule serves
``ringfence: {incident_window: 1d, entity: [...]}``   how matches are grouped into alerts
``ringfence: {alert: false}``                         never raise alerts from this rule (a helper rule)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

DEFAULT_INCIDENT_WINDOW = dt.timedelta(days=1)
DEFAULT_ENTITY_FIELDS = ("system", "account")
LEVELS = ("informational", "low", "medium", "high", "critical")

_SPAN = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SPAN_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class MetaError(ValueError):
    """A custom attribute of a rule has a value the engine cannot use."""


def parse_span(text: str) -> dt.timedelta:
    """``"30m"`` → 30 minutes (the Sigma timespan notation: s, m, h, d, w)."""
    found = _SPAN.match(str(text))
    if not found or int(found.group(1)) <= 0:
        raise MetaError(_("%(text)r is not a timespan like 30m, 1h or 1d") % {"text": text})
    return dt.timedelta(seconds=int(found.group(1)) * _SPAN_UNITS[found.group(2)])


def span_text(span: dt.timedelta) -> str:
    """A timedelta in the largest Sigma unit that divides it (``86400 s`` → ``1d``)."""
    seconds = int(span.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _SPAN_UNITS[unit] == 0:
            return f"{seconds // _SPAN_UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class RuleMeta:
    """Everything shown about a rule, and how its matches become alerts."""

    rule_id: str
    title_en: str
    title_ja: str
    description_en: str
    description_ja: str
    severity: str
    control: str
    false_positives: tuple[str, ...]
    tags: tuple[str, ...]
    path: str
    builtin: bool
    enabled: bool = True
    incident_window: dt.timedelta = DEFAULT_INCIDENT_WINDOW
    entity_fields: tuple[str, ...] = DEFAULT_ENTITY_FIELDS
    generate_alerts: bool = True
    kind: str = "detection"  # "detection" or the correlation type (event_count, value_count, ...)
    name: str = ""
    status: str = ""
    threshold: float | None = None  # a correlation's condition count in force (after settings)
    timespan: str = ""  # a correlation's timespan in force (after settings)
    inactive_reason: str = ""  # non-empty: loaded but not evaluated (e.g. its fields exist nowhere)

    def window_text(self) -> str:
        """The incident window in Sigma notation (``1d``, ``1h``, ``30m``)."""
        return span_text(self.incident_window)

    def title(self, language: str) -> str:
        """The title in ``language`` ("ja…" → Japanese when there is one)."""
        return self.title_ja if language.startswith("ja") and self.title_ja else self.title_en

    def description(self, language: str) -> str:
        return (
            self.description_ja if language.startswith("ja") and self.description_ja else self.description_en
        )


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def ringfence_options(custom: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ringfence:`` custom attribute of a rule (an empty dict when absent)."""
    options = custom.get("ringfence") or {}
    if not isinstance(options, Mapping):
        raise MetaError("the ringfence attribute must be a mapping (e.g. {incident_window: 1d})")
    return dict(options)


def level_name(level: Any) -> str:
    """pySigma's level enum (or nothing) as one of LEVELS; rules without a level count as medium."""
    if level is None:
        return "medium"
    name = str(getattr(level, "name", level)).lower()
    return name if name in LEVELS else "medium"


def build_meta(rule: Any, *, path: Path | str, builtin: bool, kind: str) -> RuleMeta:
    """The metadata of a parsed pySigma rule (detection or correlation)."""
    custom: Mapping[str, Any] = getattr(rule, "custom_attributes", None) or {}
    options = ringfence_options(custom)
    window = options.get("incident_window")
    entity = options.get("entity")
    entity_fields: tuple[str, ...]
    if entity is None:
        entity_fields = DEFAULT_ENTITY_FIELDS
    elif isinstance(entity, str):
        entity_fields = (entity,)
    elif isinstance(entity, list | tuple) and entity and all(isinstance(e, str) for e in entity):
        entity_fields = tuple(entity)
    else:
        raise MetaError("ringfence.entity must be a field name or a list of field names")
    return RuleMeta(
        rule_id=str(rule.id) if rule.id else _text(rule.name),
        title_en=_text(rule.title),
        title_ja=_text(custom.get("title_ja")),
        description_en=_text(rule.description),
        description_ja=_text(custom.get("description_ja")),
        severity=level_name(rule.level),
        control=_text(custom.get("control")),
        false_positives=tuple(_text(fp) for fp in (rule.falsepositives or [])),
        tags=tuple(str(tag) for tag in (rule.tags or [])),
        path=str(path),
        builtin=builtin,
        incident_window=parse_span(window) if window is not None else DEFAULT_INCIDENT_WINDOW,
        entity_fields=entity_fields,
        generate_alerts=bool(options.get("alert", True)),
        kind=kind,
        name=_text(rule.name),
        status=_text(getattr(rule.status, "name", rule.status)).lower(),
    )

"""What the alert pages and notifications say about a rule, from the detection engine's catalogue.

The catalogue (``ringfence.detection.engine.catalogue``) holds the titles in Japanese and English, the
description, the control served and false-positive notes. An alert must stay readable when the rule has
since been removed or the engine cannot load its rules, so every lookup falls back to the title stored on
the alert.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleInfo:
    """A rule as an alert shows it."""

    rule_id: str
    title_en: str
    title_ja: str
    description_en: str = ""
    description_ja: str = ""
    severity: str = ""
    control: str = ""
    false_positives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    in_catalogue: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def title(self, language: str) -> str:
        """The title in ``language`` (ja or en), the other one when it is missing."""
        if language.startswith("ja"):
            return self.title_ja or self.title_en
        return self.title_en or self.title_ja

    def description(self, language: str) -> str:
        """The description in ``language`` (ja or en), the other one when it is missing."""
        if language.startswith("ja"):
            return self.description_ja or self.description_en
        return self.description_en or self.description_ja


def load_catalogue() -> Mapping[str, Any]:
    """The engine's rule catalogue, or an empty one when the engine is absent or cannot load its rules."""
    try:
        from ringfence.detection.engine import catalogue
    except ImportError:
        return {}
    try:
        return catalogue()
    except Exception:  # a broken user rule must not take the alert pages down with it
        logger.warning("rule catalogue could not be loaded", exc_info=True)
        return {}


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, Sequence):
        return tuple(str(v) for v in value)
    return ()


def rule_info(rule_id: str, stored_title: str, catalogue: Mapping[str, Any] | None = None) -> RuleInfo:
    """What is known of ``rule_id``: the catalogue entry, else the title stored on the alert."""
    meta = (load_catalogue() if catalogue is None else catalogue).get(rule_id)
    if meta is None:
        return RuleInfo(rule_id=rule_id, title_en=stored_title, title_ja=stored_title)
    return RuleInfo(
        rule_id=rule_id,
        title_en=str(getattr(meta, "title_en", "") or stored_title),
        title_ja=str(getattr(meta, "title_ja", "") or ""),
        description_en=str(getattr(meta, "description_en", "") or ""),
        description_ja=str(getattr(meta, "description_ja", "") or ""),
        severity=str(getattr(meta, "severity", "") or ""),
        control=str(getattr(meta, "control", "") or ""),
        false_positives=_strings(getattr(meta, "false_positives", ())),
        tags=_strings(getattr(meta, "tags", ())),
        in_catalogue=True,
    )

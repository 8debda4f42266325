from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from ringfence.core.temporal import TemporalRecord


class RegistryEntity(models.Model):
    """A thing with a stable identity whose attributes live in a history of ``versions``."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def version_at(self, at: dt.datetime, known_at: dt.datetime | None = None) -> Any:
        """The version valid at ``at`` (as known at ``known_at``), or None if the entity did not exist."""
        versions: Any = self.versions  # type: ignore[attr-defined]
        return versions.as_of(at, known_at).first()


class EntityVersion(TemporalRecord):
    """A version of a RegistryEntity; concrete subclasses add ``entity`` and the attributes."""

    TIMELINE_KEY = ("entity",)

    class Meta(TemporalRecord.Meta):
        abstract = True

"""Stored log-source definitions: the TOML text is the source of truth, every save is a new version.

A definition's versions are never changed or removed; the newest is the one ingest uses. The parsed id,
system, format and encoding are kept beside the text so lists and routing need not parse every version.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredSource(models.Model):
    """One log source known to the UI: its stable id and whether ingest may use it."""

    source_id = models.CharField(_("source ID"), max_length=64, unique=True)
    system = models.CharField(_("system code"), max_length=64, db_index=True)
    format = models.CharField(_("format"), max_length=32)
    encoding = models.CharField(_("encoding"), max_length=40)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    changed_at = models.DateTimeField(_("last changed"))
    changed_by = models.CharField(_("changed by"), max_length=150)

    class Meta:
        verbose_name = _("log-source definition")
        ordering = ("system", "source_id")

    def __str__(self) -> str:
        return self.source_id

    def current(self) -> StoredSourceVersion:
        """The newest version: the one ingest reads."""
        return self.versions.order_by("-number").first()  # type: ignore[return-value]


class StoredSourceVersion(models.Model):
    """One saved text of a definition, with who saved it, when and why (append-only)."""

    source = models.ForeignKey(StoredSource, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    toml = models.TextField(_("definition (TOML)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    saved_at = models.DateTimeField(_("saved at"))
    saved_by = models.CharField(_("saved by"), max_length=150)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("log-source definition version")
        ordering = ("source", "-number")
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="logs_source_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_id}#{self.number}"

"""Database records of ingestion: file checkpoints, quarantined lines, per-hour tallies, stream tokens.

The events themselves live in the lake; the database keeps what lets a re-run skip what it has done
(checkpoints), what could not become an event (quarantine, shown in the UI and counted), the figures of
the sources page (tallies per source and hour), and the hashed tokens of the HTTP endpoint.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FileCheckpoint(models.Model):
    """How far one version of one log file of one source has been ingested.

    A file is known by its source and name (``.gz`` stripped, so a compressed copy is the same file). If
    its content up to ``offset`` no longer hashes to ``prefix_sha256``, it was rewritten, not appended to:
    it is then ingested as a new ``generation`` with its own event IDs, so no new line can be mistaken for
    an old one. ``offset`` only ever grows and is saved after the lines before it are durable.
    """

    source = models.CharField(_("source"), max_length=64)
    name = models.CharField(_("file name"), max_length=255)
    generation = models.PositiveIntegerField(_("generation"), default=1)
    path = models.CharField(_("last path"), max_length=1000, blank=True)
    offset = models.BigIntegerField(_("byte offset"), default=0)
    lines = models.BigIntegerField(_("lines read"), default=0)
    prefix_sha256 = models.CharField(_("SHA-256 of the ingested part"), max_length=64, blank=True)
    events = models.BigIntegerField(_("events stored"), default=0)
    duplicates = models.BigIntegerField(_("duplicates"), default=0)
    quarantined = models.BigIntegerField(_("quarantined"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("file checkpoint")
        constraints = [
            models.UniqueConstraint(fields=("source", "name", "generation"), name="logs_checkpoint_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.name}~{self.generation}@{self.offset}"

    @property
    def origin(self) -> str:
        """The origin of this file's event IDs: its name, with the generation when rewritten."""
        return self.name if self.generation == 1 else f"{self.name}~{self.generation}"


class QuarantinedLine(models.Model):
    """A line that could not become an event, kept whole with where it came from and why."""

    source = models.CharField(_("source"), max_length=64, db_index=True)
    system = models.CharField(_("system code"), max_length=64)
    origin = models.CharField(_("origin"), max_length=300)
    source_file = models.CharField(_("file"), max_length=1000, blank=True)
    line = models.BigIntegerField(_("line"))
    offset = models.BigIntegerField(_("byte offset"))
    reason = models.CharField(_("reason"), max_length=500)
    raw = models.TextField(_("raw line"))
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("quarantined line")
        ordering = ("-received_at", "source", "line")
        constraints = [
            # The same line quarantined again (re-run, replay) is the same record, not a second one.
            models.UniqueConstraint(fields=("source", "origin", "offset"), name="logs_quarantine_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_file or self.origin}:{self.line}: {self.reason}"


class SourceTally(models.Model):
    """What one source delivered in one clock hour (UTC): the figures of the sources and health page."""

    source = models.CharField(_("source"), max_length=64)
    system = models.CharField(_("system code"), max_length=64)
    hour = models.DateTimeField(_("hour"))
    events = models.BigIntegerField(_("events stored"), default=0)
    duplicates = models.BigIntegerField(_("duplicates"), default=0)
    quarantined = models.BigIntegerField(_("quarantined"), default=0)
    last_event_at = models.DateTimeField(_("newest event time"), null=True, blank=True)
    last_received_at = models.DateTimeField(_("last received"), null=True, blank=True)

    class Meta:
        verbose_name = _("source tally")
        constraints = [models.UniqueConstraint(fields=("source", "hour"), name="logs_tally_unique")]
        indexes = [models.Index(fields=("hour",), name="logs_tally_hour")]

    def __str__(self) -> str:
        return f"{self.source}@{self.hour:%Y-%m-%dT%H}: {self.events}"


class StreamToken(models.Model):
    """A bearer token that lets one sender post events of one source to the HTTP endpoint.

    Only the SHA-256 of the token is stored; the token itself is shown once, when it is issued.
    """

    source = models.CharField(_("source"), max_length=64, db_index=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    token_sha256 = models.CharField(_("token SHA-256"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stream token")

    def __str__(self) -> str:
        return f"{self.source}: {self.label or self.token_sha256[:8]}"

"""Database records of the log lake: the manifest's chain head and the retention per system.

The lake's files and manifest live on disk (see ``ringfence.logs.lake``); the database keeps only what an
intruder with access to the lake directory alone must not be able to rewrite unnoticed: the last sequence
number and hash of the manifest chain. Truncating the manifest's tail, or replacing the manifest with a
freshly computed one, then no longer matches the head recorded here.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_RETENTION_YEARS = 5


class LakeHead(models.Model):
    """The newest durable entry of one lake's manifest chain, as last confirmed by a writer.

    A lake is identified by the ``lake_id`` written in its manifest's first (genesis) entry; ``location``
    is where it was last written, so a manifest replaced wholesale (a new genesis at the same place) is
    noticed as well. ``seq`` only ever grows.
    """

    lake_id = models.CharField(_("lake ID"), max_length=36, unique=True)
    location = models.CharField(_("location"), max_length=1000, db_index=True)
    seq = models.BigIntegerField(_("sequence"))
    hash = models.CharField(_("entry hash"), max_length=64)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("log lake chain head")

    def __str__(self) -> str:
        return f"{self.lake_id}@{self.seq}"


class LakeRetention(models.Model):
    """How long the lake keeps one system's events, when it differs from the default of five years.

    Purging refuses to remove a day whose events are younger than this. Changing it is recorded in the
    audit trail by the service that does it.
    """

    system = models.CharField(_("system code"), max_length=64, unique=True)
    years = models.PositiveSmallIntegerField(
        _("retention (years)"),
        default=DEFAULT_RETENTION_YEARS,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    note = models.CharField(_("reason"), max_length=300, blank=True)
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("log retention")
        ordering = ("system",)
        constraints = [
            models.CheckConstraint(condition=models.Q(years__gte=1), name="logs_retention_at_least_one_year")
        ]

    def __str__(self) -> str:
        return f"{self.system}: {self.years}"


from ringfence.logs.definitions.models import StoredSource, StoredSourceVersion  # noqa: E402,F401
from ringfence.logs.ingest.models import FileCheckpoint, QuarantinedLine, SourceTally, StreamToken  # noqa: E402,F401

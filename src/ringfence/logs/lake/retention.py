"""Retention per system and purging of partitions that are wholly older than it.

The default is five years (the period the conduct-regulation audit trail must cover); ``LakeRetention``
rows override it per system. Nothing is ever deleted automatically: ``purge`` runs only when a person asks
for it with a reason, refuses any day still inside a system's retention, records a ``remove`` entry per
file in the manifest, and writes a ``purge`` event to the audit trail before it changes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST

from .manifest import Op, RemoveReason
from .session import delete_files, writer_session
from .writer import LakeFile

if TYPE_CHECKING:
    from ringfence.logs.models import LakeRetention


def retention_years(system: str) -> int:
    """How many years the lake keeps ``system``'s events."""
    from ringfence.logs.models import DEFAULT_RETENTION_YEARS, LakeRetention

    row = LakeRetention.objects.filter(system=system).first()
    return row.years if row is not None else DEFAULT_RETENTION_YEARS


def set_retention(system: str, years: int, *, actor: str, note: str) -> LakeRetention:
    """Set a system's retention (at least one year), recorded in the audit trail."""
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record
    from ringfence.logs.models import LakeRetention

    if years < 1:
        raise RingfenceError(_("retention must be at least one year"))
    with transaction.atomic():
        before = retention_years(system)
        row, _created = LakeRetention.objects.update_or_create(
            system=system, defaults={"years": years, "note": note, "updated_by": actor}
        )
        record(
            AuditAction.CHANGE,
            actor=actor,
            target_type="logs.retention",
            target_ref=system,
            detail={"years": years, "before": before, "note": note},
        )
    return row


def _default_years() -> int:
    from ringfence.logs.models import DEFAULT_RETENTION_YEARS

    return DEFAULT_RETENTION_YEARS


def _systems_with_own_retention() -> set[str]:
    from ringfence.logs.models import LakeRetention

    return set(LakeRetention.objects.values_list("system", flat=True))


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def first_kept_day(system: str, today: dt.date | None = None) -> dt.date:
    """The oldest JST day whose events must still be kept: today minus the system's retention."""
    today = today or timezone.now().astimezone(JST).date()
    return years_before(today, retention_years(system))


@dataclass
class PurgePlan:
    """What a purge removes (or would remove, on a dry run)."""

    before: dt.date
    system: str | None
    files: list[LakeFile] = field(default_factory=list)
    audit_id: int | None = None

    @property
    def rows(self) -> int:
        """Events removed."""
        return sum(f.rows for f in self.files)

    @property
    def bytes(self) -> int:
        """Bytes removed."""
        return sum(f.bytes for f in self.files)

    @property
    def partitions(self) -> list[str]:
        """``system/day`` of each partition emptied, sorted."""
        return sorted({f"{f.system}/{f.day.isoformat()}" for f in self.files})


class InsideRetention(RingfenceError):
    """A purge would remove events a system must still keep."""


def purge(
    before: dt.date,
    *,
    reason: str,
    actor: str,
    system: str | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> PurgePlan:
    """Remove the partitions (of ``system``, or of every system) whose JST day is before ``before``.

    Refuses — removing nothing — when ``before`` lies inside the retention of any system concerned.
    """
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record

    if not reason.strip():
        raise RingfenceError(_("a purge needs a reason"))
    plan = PurgePlan(before=before, system=system)
    with writer_session(actor) as session:
        candidates = [
            LakeFile.from_entry(entry.fields)
            for entry in session.manifest.live.values()
            if system is None or entry.fields.get("system") == system
        ]
        systems = (
            {system} if system is not None else {f.system for f in candidates} | _systems_with_own_retention()
        )
        refused = []
        if system is None:
            # Also systems the lake does not hold yet: a purge of "everything before X" must be safe whatever
            # arrives later.
            default_kept = years_before(today or timezone.now().astimezone(JST).date(), _default_years())
            if before > default_kept:
                refused.append(
                    _("systems without their own retention keep events from %(day)s (%(years)d years)")
                    % {"day": default_kept.isoformat(), "years": _default_years()}
                )
        for code in sorted(systems):
            kept = first_kept_day(code, today)
            if before > kept:
                refused.append(
                    _("%(system)s keeps events from %(day)s (%(years)d years)")
                    % {"system": code, "day": kept.isoformat(), "years": retention_years(code)}
                )
        if refused:
            raise InsideRetention(
                _("refusing to purge before %(before)s, inside the retention: %(systems)s")
                % {"before": before.isoformat(), "systems": "; ".join(refused)}
            )
        plan.files = sorted((f for f in candidates if f.day < before), key=lambda f: (f.system, f.day, f.seq))
        if dry_run or not plan.files:
            return plan
        paths = [f.path for f in plan.files]
        intent = session.begin(f"purge-{session.next_seq}", [], paths)
        first_seq = session.next_seq
        drafts = [
            {"op": Op.REMOVE, "reason": RemoveReason.PURGE, "note": reason, **f.draft()} for f in plan.files
        ]
        # The audit event is committed before the manifest changes: a purge can fail after it (and a
        # second event says so), but it can never happen without one.
        event = record(
            AuditAction.PURGE,
            actor=actor,
            target_type="logs.lake",
            target_ref=system or "*",
            detail={
                "before": before.isoformat(),
                "reason": reason,
                "files": len(plan.files),
                "rows": plan.rows,
                "bytes": plan.bytes,
                "partitions": plan.partitions,
                "manifest_seq": [first_seq, first_seq + len(drafts) - 1],
                "lake_id": session.manifest.lake_id,
            },
        )
        try:
            session.commit(drafts)
        except Exception as exc:
            record(
                AuditAction.PURGE,
                actor=actor,
                target_type="logs.lake",
                target_ref=system or "*",
                detail={"failed": True, "purge_event": event.pk, "error": str(exc)},
            )
            raise
        plan.audit_id = event.pk
        delete_files(session.root, paths)
        session.finish(intent)
    return plan

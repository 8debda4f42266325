"""Working findings, and importing an account list followed at once by its reconciliation.

A system owner may write notes on a finding (planned remedy, ticket number) but cannot close it: only a
later reconciliation that no longer sees the problem closes it, so "fixed" always means "shown fixed by
the system's own export".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.tabular import read_table
from ringfence.core.timeutil import start_of_day_jst
from ringfence.registry.imports import TABLES, ImportReport, import_table
from ringfence.registry.imports.mapping import ImportMapping
from ringfence.registry.imports.records import convert
from ringfence.registry.models import InformationSystem

from ..models import Finding, FindingNote, FindingStatus, RunTrigger, UploadedAccountList
from ..situations import Policy
from .reconcile import ReconcileResult, reconcile

MAX_NOTE = 2000


def add_note(finding: Finding, text: str, *, actor: str) -> FindingNote:
    """Append a note to a finding (audited); an empty note is refused."""
    text = text.strip()
    if not text:
        raise BadInput(_("a note cannot be empty"))
    with transaction.atomic():
        note = FindingNote.objects.create(finding=finding, author=actor, text=text[:MAX_NOTE])
        record(
            AuditAction.CHANGE,
            actor=actor,
            target_type="identity.finding",
            target_ref=str(finding.pk),
            detail={"note": note.pk, "status": finding.status},
        )
    return note


def systems_in_file(path: Path) -> dict[str, int]:
    """The system codes an account list names (read as the importer reads it), each with its first line."""
    sheet = read_table(path)
    conversion = convert(TABLES["accounts"], sheet, ImportMapping(), path)
    first: dict[str, int] = {}
    for r in conversion.records:
        code = r.get("system_code")
        if code:
            first.setdefault(str(code), r.line)
    return first


@dataclass
class ImportAndReconcile:
    """What an account-list import did, and the reconciliation it triggered."""

    report: ImportReport
    reconciliation: ReconcileResult


def import_and_reconcile(
    path: Path,
    *,
    actor: str,
    as_of: dt.date | None = None,
    full_list: bool = True,
    only_system: str | None = None,
    policy: Policy | None = None,
) -> ImportAndReconcile:
    """Import an account list, then reconcile the systems it names as of the import's date.

    ``only_system`` refuses a file that names any other system (a system owner uploads only their own).
    A refused file changes nothing and raises BadInput naming the problem.
    """
    path = Path(path)
    systems = systems_in_file(path)
    if only_system is not None:
        strangers = sorted(code for code in systems if code != only_system)
        if strangers:
            raise BadInput(
                _("%(file)s lists accounts of other systems: %(codes)s")
                % {"file": path.name, "codes": ", ".join(strangers)},
                [
                    InputProblem(path.name, systems[code], "system_code",
                                 _("%(code)s: only %(allowed)s may be uploaded here")
                                 % {"code": code, "allowed": only_system})
                    for code in strangers
                ],
            )  # fmt: skip
    if not systems:
        raise BadInput(_("%(file)s lists no accounts") % {"file": path.name})
    report = import_table("accounts", path, as_of=as_of, full_list=full_list, actor=actor)
    at = start_of_day_jst(as_of) if as_of is not None else None
    result = reconcile(
        systems=sorted(systems), as_of=at, trigger=RunTrigger.IMPORT, actor=actor, policy=policy
    )
    return ImportAndReconcile(report, result)


def open_findings() -> int:
    """How many findings are open (for the dashboard)."""
    return Finding.objects.filter(status=FindingStatus.OPEN).count()


def record_upload(
    system: InformationSystem, outcome: ImportAndReconcile, request: HttpRequest
) -> UploadedAccountList:
    """Keep the evidence of a web upload: who, which file (by hash), how many rows, which run."""
    user = request.user if request.user.is_authenticated else None
    return UploadedAccountList.objects.create(
        system=system,
        uploaded_by=request.user.get_username(),
        file_name=outcome.report.path.name[:255],
        sha256=outcome.report.sha256,
        rows=outcome.report.rows,
        run=outcome.reconciliation.run,
        user=user,
    )

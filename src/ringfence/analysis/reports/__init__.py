"""Report outputs of a campaign: JSON, Excel workbook, PDF (with charts). ``export_report`` picks one."""

from __future__ import annotations

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import RingfenceError

from ..models import Campaign

FORMATS = ("pdf", "xlsx", "json")


def export_report(campaign: Campaign, fmt: str, *, actor: str, request: object = None) -> bytes:
    """The report of ``campaign`` as bytes in ``fmt``; the export is recorded in the audit trail."""
    from .document import report_document

    if fmt not in FORMATS:
        raise RingfenceError(f"unknown report format {fmt!r}; known: {', '.join(FORMATS)}")
    document = report_document(campaign)
    if fmt == "json":
        from .jsonexport import report_json

        data = report_json(campaign, document)
    elif fmt == "xlsx":
        from .excel import report_workbook

        data = report_workbook(document)
    else:
        from .pdf import report_pdf

        data = report_pdf(document)
    record(
        AuditAction.EXPORT,
        actor=actor,
        request=request,  # type: ignore[arg-type]
        target_type="analysis.campaign",
        target_ref=str(campaign.pk),
        detail={"format": fmt, "bytes": len(data), "report_sha256": campaign.report_sha256,
                "figures_sha256": campaign.figures_sha256},
    )  # fmt: skip
    return data

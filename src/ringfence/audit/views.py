"""The audit trail's page (filters, chain verification) and its CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.core.timeutil import to_jst

from .models import AuditAction, AuditEvent
from .selectors import TrailFilter, filtered_events, parse_day
from .services import record, verify_chain

PAGE_SIZE = 100
# verify_chain reads every entry (about 50 µs each): up to this many it runs on every visit, beyond it
# when asked (?verify=1), so the page stays quick on a trail of millions.
AUTO_VERIFY_LIMIT = 20_000


def _filter_from(request: HttpRequest) -> TrailFilter:
    g = request.GET
    return TrailFilter(
        actor=(g.get("actor") or "").strip()[:150],
        action=(g.get("action") or "").strip(),
        target=(g.get("target") or "").strip()[:300],
        date_from=parse_day(g.get("from")),
        date_to=parse_day(g.get("to")),
    )


def _query(request: HttpRequest) -> dict[str, str]:
    return {k: str(v) for k, v in request.GET.items() if v and k != "page"}


@require(Perm.AUDIT_VIEW)
def trail(request: HttpRequest) -> HttpResponse:
    """Filterable list of audit events with the result of verifying the hash chain."""
    f = _filter_from(request)
    page = Paginator(filtered_events(f), PAGE_SIZE).get_page(request.GET.get("page"))
    total = AuditEvent.objects.count()
    verified = total <= AUTO_VERIFY_LIMIT or request.GET.get("verify") == "1"
    problems = verify_chain() if verified else []
    record(
        AuditAction.VIEW,
        request=request,
        target_type="audit_trail",
        target_ref="list",
        detail={"query": _query(request), "count": len(page.object_list)},
    )
    return render(
        request,
        "audit/trail.html",
        {
            "page": page,
            "filters": f,
            "actions": AuditAction.choices,
            "problems": problems,
            "verified": verified,
            "total": total,
            "verified_at": timezone.now(),
        },
    )


class _Echo:
    """A write-only file that hands back what is written (for streaming csv)."""

    def write(self, value: str) -> str:
        return value


HEADER = ["id", "at_jst", "actor", "action", "target_type", "target_ref", "ip_address", "detail", "prev_hash", "hash"]


def _rows(events: Iterator[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: Excel in Japanese locales then reads UTF-8 correctly.
    yield writer.writerow(HEADER)
    for e in events:
        yield writer.writerow(
            [
                e.pk,
                to_jst(e.at).isoformat(timespec="seconds"),
                e.actor,
                e.action,
                e.target_type,
                e.target_ref,
                e.ip_address or "",
                json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
                e.prev_hash,
                e.hash,
            ]
        )


@require(Perm.AUDIT_EXPORT)
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered trail as CSV (UTF-8 with BOM), hashes included so a copy can be checked offline."""
    f = _filter_from(request)
    events = filtered_events(f)
    count = events.count()
    record(
        AuditAction.EXPORT,
        request=request,
        target_type="audit_trail",
        target_ref="csv",
        detail={"query": _query(request), "count": count},
    )
    stamp = to_jst(timezone.now()).strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_rows(events.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response

"""Log pages: sources and their health, quarantined lines, and the event search (personal data, audited)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.core.timeutil import JST

from . import selectors
from .selectors import EventQuery

DEFAULT_RANGE = dt.timedelta(days=1)


@require(Perm.LOGS_VIEW)
def sources(request: HttpRequest) -> HttpResponse:
    """Every log source: newest event, rate, parse-error rate; silent sources first."""
    health = selectors.source_health()
    return render(
        request,
        "logs/sources.html",
        {
            "health": health,
            "silent": sum(1 for h in health if h.silent),
            "window_days": selectors.HEALTH_DAYS,
        },
    )


@require(Perm.LOGS_VIEW)
def quarantine(request: HttpRequest) -> HttpResponse:
    """The newest quarantined lines (raw lines may hold personal data: the view is recorded)."""
    source = (request.GET.get("source") or "").strip()[:64]
    lines = selectors.recent_quarantine(source or None)
    record(AuditAction.VIEW, request=request, target_type="log_quarantine", target_ref=source or "all",
           detail={"count": len(lines)})  # fmt: skip
    return render(request, "logs/quarantine.html", {"lines": lines, "source": source})


def _moment(text: str | None) -> dt.datetime | None:
    """A ``datetime-local`` value (JST wall time) or a date, as an aware datetime; None if unusable."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=JST)


def query_from(request: HttpRequest) -> tuple[EventQuery, list[str]]:
    """The search filters of a request, and the problems found in them (shown, not fatal)."""
    g = request.GET
    problems: list[str] = []
    end = _moment(g.get("end"))
    start = _moment(g.get("start"))
    if g.get("end") and end is None:
        problems.append(_("The end is not a date and time."))
    if g.get("start") and start is None:
        problems.append(_("The start is not a date and time."))
    end = end or timezone.now()
    start = start or end - DEFAULT_RANGE
    if start >= end:
        problems.append(_("The start must be before the end."))
        start = end - DEFAULT_RANGE
    if end - start > dt.timedelta(days=selectors.MAX_SEARCH_DAYS):
        problems.append(_("The range was shortened to one year."))
        start = end - dt.timedelta(days=selectors.MAX_SEARCH_DAYS)
    return (
        EventQuery(
            start=start,
            end=end,
            system=(g.get("system") or "").strip()[:64],
            account=(g.get("account") or "").strip()[:128],
            person=(g.get("person") or "").strip()[:32],
            terminal=(g.get("terminal") or "").strip()[:128],
            record_id=(g.get("record_id") or "").strip()[:128],
        ),
        problems,
    )


@require(Perm.EVENTS_SEARCH)
def search(request: HttpRequest) -> HttpResponse:
    """Search access events by time range, system, account, person, terminal and record ID."""
    query, problems = query_from(request)
    page = None
    if "start" in request.GET or "end" in request.GET:
        page = selectors.search_events(query)
        # Every search shows personal data (accounts, raw lines): who searched for what is recorded.
        record(AuditAction.VIEW, request=request, target_type="log_events", target_ref="search",
               detail={"query": query.as_dict(), "count": len(page.rows), "more": page.more})  # fmt: skip
    context = {
        "query": query,
        "start_value": query.start.astimezone(JST).strftime("%Y-%m-%dT%H:%M"),
        "end_value": query.end.astimezone(JST).strftime("%Y-%m-%dT%H:%M"),
        "page": page,
        "problems": problems,
        "systems": selectors.systems_in_lake(),
    }
    template = "logs/_search_results.html" if request.headers.get("HX-Request") else "logs/search.html"
    return render(request, template, context)

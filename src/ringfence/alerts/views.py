"""Alert pages: the list with filters, the detail with the person's context, evidence and timeline,
triage actions and comments (htmx), and suppressions.

Reading needs ``alerts.view`` (alerts name accounts and people: every page is recorded in the audit trail);
acting needs ``alerts.triage``. Notification channels are in ``channel_views``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import access_for
from ringfence.core.errors import BadInput, RingfenceError
from ringfence.core.timeutil import JST
from ringfence.registry.choices import AccountKind, AccountStatus, EmploymentType, PersonStatus

from . import selectors
from .choices import AlertStatus, Severity
from .models import Alert, Suppression
from .rules import load_catalogue, rule_info
from .services import suppressions, triage

PAGE_SIZE = 50


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _filters(request: HttpRequest) -> selectors.AlertFilters:
    g = request.GET
    status = (g.get("status") or "").strip()[:30] if "status" in g else "open"
    return selectors.AlertFilters(
        status=status,
        severity=(g.get("severity") or "").strip()[:20],
        rule=(g.get("rule") or "").strip()[:200],
        system=(g.get("system") or "").strip()[:64],
        who=(g.get("who") or "").strip()[:200],
        start=_date(g.get("start")),
        end=_date(g.get("end")),
    )


def _error_text(exc: RingfenceError) -> str:
    problems = getattr(exc, "problems", None)
    return "; ".join(str(p) for p in problems) if problems else str(exc)


@require(Perm.ALERTS_VIEW)
def alert_list(request: HttpRequest) -> HttpResponse:
    """Alerts, newest first, filtered by status, severity, rule, system, person/account and period."""
    filters = _filters(request)
    page = Paginator(selectors.filter_alerts(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    record(AuditAction.VIEW, request=request, target_type="alerts.alert", target_ref="list",
           detail={"query": filters.as_dict(), "count": len(page.object_list)})  # fmt: skip
    language = get_language() or "ja"
    catalogue = load_catalogue()
    titles = {
        rule_id: rule_info(rule_id, title, catalogue).title(language)
        for rule_id, title in selectors.rules_in_use()
    }
    context: dict[str, Any] = {
        "page": page,
        "titles": titles,
        "filters": filters,
        "statuses": [
            ("open", _("Open (new, assigned, investigating)")),
            ("closed", _("Closed")),
            *AlertStatus.choices,
        ],
        "severities": Severity.choices,
        "rules": sorted(titles.items(), key=lambda item: item[1]),
        "systems": selectors.systems_in_use(),
    }
    template = "alerts/_list_results.html" if request.headers.get("HX-Request") else "alerts/list.html"
    return render(request, template, context)


def _detail_context(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    access = access_for(request)
    may_triage = access.can(Perm.ALERTS_TRIAGE)
    return {
        "alert": alert,
        "may_triage": may_triage,
        "targets": triage.allowed_targets(alert) if may_triage else [],
        "statuses": dict(AlertStatus.choices),
        "transitions": alert.transitions.all(),
        "comments": alert.comments.all(),
        "users": get_user_model().objects.filter(is_active=True).order_by("username") if may_triage else [],
    }


@require(Perm.ALERTS_VIEW)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert: rule, severity, entity, the person then, evidence events, triage, comments, history."""
    alert = get_object_or_404(Alert.objects.select_related("assignee", "suppression"), pk=pk)
    evidence = selectors.evidence_events(alert)
    person = selectors.person_context(alert)
    # Evidence events and the owner's registry record are personal data: the view is recorded.
    record(AuditAction.VIEW, request=request, target_type="alerts.alert", target_ref=alert.key,
           detail={"alert": alert.pk, "evidence_shown": len(evidence.rows), "person": alert.person,
                   "account": alert.account, "system": alert.system})  # fmt: skip
    context = _detail_context(request, alert)
    language = get_language() or "ja"
    info = rule_info(alert.rule_id, alert.rule_title)
    context.update(
        rule=info,
        rule_title=info.title(language),
        rule_description=info.description(language),
        evidence=evidence,
        person=person,
        timeline_hours=selectors.TIMELINE_HOURS,
        labels={
            "employment": dict(EmploymentType.choices),
            "person_status": dict(PersonStatus.choices),
            "account_kind": dict(AccountKind.choices),
            "account_status": dict(AccountStatus.choices),
        },
    )
    return render(request, "alerts/detail.html", context)


@require(Perm.ALERTS_VIEW)
def alert_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The person's (or account's) accesses ±N hours around the alert, read from the lake (htmx part)."""
    alert = get_object_or_404(Alert, pk=pk)
    try:
        hours = int(request.GET.get("hours", selectors.TIMELINE_HOURS[1]))
    except ValueError:
        hours = selectors.TIMELINE_HOURS[1]
    query, rows, more = selectors.timeline(alert, hours)
    record(AuditAction.VIEW, request=request, target_type="log_events", target_ref=f"alert {alert.pk} timeline",
           detail={"query": query.as_dict(), "count": len(rows)})  # fmt: skip
    return render(request, "alerts/_timeline.html", {
        "alert": alert, "rows": rows, "more": more, "hours": hours, "query": query,
        "timeline_hours": selectors.TIMELINE_HOURS,
        "search_start": query.start.astimezone(JST).strftime("%Y-%m-%dT%H:%M"),
        "search_end": query.end.astimezone(JST).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip


@require(Perm.ALERTS_TRIAGE)
@require_POST
def alert_triage(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply one triage action; htmx gets the refreshed triage panel, a plain form a redirect."""
    alert = get_object_or_404(Alert, pk=pk)
    actor = request.user.get_username()
    to_status = (request.POST.get("to") or "").strip()
    comment = request.POST.get("comment", "")
    error = ""
    try:
        if to_status == AlertStatus.ASSIGNED:
            username = (request.POST.get("assignee") or "").strip()
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise BadInput(_("choose who the alert is assigned to"))
            triage.assign(alert, user, actor=actor, comment=comment)
        else:
            triage.transition(alert, to_status, actor=actor, comment=comment)
    except RingfenceError as exc:
        error = _error_text(exc)
    alert.refresh_from_db()
    if request.headers.get("HX-Request"):
        context = _detail_context(request, alert)
        context["error"] = error
        return render(request, "alerts/_triage.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Alert updated."))
    return redirect("alerts:detail", pk=alert.pk)


@require(Perm.ALERTS_TRIAGE)
@require_POST
def alert_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment; htmx gets the refreshed comment list."""
    alert = get_object_or_404(Alert, pk=pk)
    error = ""
    try:
        triage.add_comment(alert, request.POST.get("text", ""), actor=request.user.get_username())
    except RingfenceError as exc:
        error = _error_text(exc)
    if request.headers.get("HX-Request"):
        return render(request, "alerts/_comments.html",
                      {"alert": alert, "comments": alert.comments.all(), "may_triage": True, "error": error},
                      status=422 if error else 200)  # fmt: skip
    if error:
        messages.error(request, error)
    return redirect(reverse("alerts:detail", args=[alert.pk]) + "#comments")


@require(Perm.ALERTS_VIEW)
def suppression_list(request: HttpRequest) -> HttpResponse:
    """Suppressions in force first, then ended and expired ones."""
    now = timezone.now()
    show_all = request.GET.get("all") == "1"
    qs = (
        Suppression.objects.all() if show_all else Suppression.objects.filter(active=True, expires_at__gt=now)
    )
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    record(AuditAction.VIEW, request=request, target_type="alerts.suppression", target_ref="list",
           detail={"all": show_all, "count": len(page.object_list)})  # fmt: skip
    may_triage = access_for(request).can(Perm.ALERTS_TRIAGE)
    return render(request, "alerts/suppressions.html",
                  {"page": page, "now": now, "show_all": show_all, "may_triage": may_triage})  # fmt: skip


def _expiry(value: str) -> dt.datetime | None:
    day = _date(value)
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=JST)


@require(Perm.ALERTS_TRIAGE)
@require_http_methods(["GET", "POST"])
def suppression_create(request: HttpRequest) -> HttpResponse:
    """Create a suppression; ``?alert=<id>`` pre-fills it from an alert."""
    fields = ("rule_id", "entity", "system", "account", "person", "terminal")
    values = dict.fromkeys(fields, "")
    values.update(reason="", expires="")
    errors: list[str] = []
    source = request.POST if request.method == "POST" else request.GET
    alert_id = source.get("alert")
    alert = Alert.objects.filter(pk=int(alert_id)).first() if alert_id and alert_id.isdigit() else None
    if request.method == "GET" and alert is not None:
        values.update(rule_id=alert.rule_id, entity=alert.entity)
    if request.method == "GET":
        default = timezone.now().astimezone(JST).date() + dt.timedelta(days=90)
        values["expires"] = default.isoformat()
    if request.method == "POST":
        values = {name: (request.POST.get(name) or "").strip() for name in (*fields, "reason", "expires")}
        expires_at = _expiry(values["expires"])
        if expires_at is None:
            errors.append(_("The expiry is not a date (YYYY-MM-DD)."))
        else:
            try:
                suppressions.create_suppression(
                    reason=values["reason"], expires_at=expires_at, actor=request.user.get_username(),
                    rule_id=values["rule_id"], entity=values["entity"], system=values["system"],
                    account=values["account"], person=values["person"], terminal=values["terminal"],
                )  # fmt: skip
            except BadInput as exc:
                errors.extend([str(p) for p in exc.problems] or [str(exc)])
            else:
                messages.success(request, _("Suppression created."))
                return redirect("alerts:suppressions")
    max_day = (timezone.now() + suppressions.MAX_DURATION).astimezone(JST).date() - dt.timedelta(days=1)
    return render(request, "alerts/suppression_form.html",
                  {"values": values, "errors": errors, "alert": alert, "max_day": max_day},
                  status=400 if errors else 200)  # fmt: skip


@require(Perm.ALERTS_TRIAGE)
@require_POST
def suppression_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a suppression before its expiry."""
    suppression = get_object_or_404(Suppression, pk=pk)
    try:
        suppressions.end_suppression(suppression, actor=request.user.get_username())
        messages.success(request, _("Suppression ended."))
    except BadInput as exc:
        messages.error(request, str(exc))
    return redirect("alerts:suppressions")

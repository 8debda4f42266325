"""Analysis pages: the campaign list, a campaign with its per-system conclusions, one system's figures with
charts, sign-off and findings.

Every page needs ``analysis.view``; creating and computing needs ``analysis.manage``, signing
``analysis.review`` / ``analysis.approve`` (checked again by the services). System owners see and sign only
their systems. Figures name accounts and people, so showing or exporting them is recorded in the audit
trail.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import access_for
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import start_of_day_jst

from . import selectors
from .labels import CATEGORY_LABELS, conclusion_label, reasons_text
from .models import AnalysisFinding, Campaign, CampaignKind, CampaignSystem
from .reports import FORMATS, export_report
from .reports.charts import system_charts
from .services import campaigns as service

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _forbidden(request: HttpRequest, what: str) -> HttpResponse:
    record(AuditAction.DENIED, request=request, target_type="url", target_ref=request.path,
           detail={"reason": what, "method": request.method or ""})  # fmt: skip
    return HttpResponseForbidden(_("You may not do this here."))


def _campaign_system(request: HttpRequest, pk: int, code: str) -> CampaignSystem:
    campaign = get_object_or_404(Campaign, pk=pk)
    cs = selectors.visible_systems(access_for(request), campaign).filter(system__code=code).first()
    if cs is None:
        raise Http404
    return cs


@require(Perm.ANALYSIS_VIEW)
@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns the reader reaches; analysts and the conduct office create new ones here."""
    access = access_for(request)
    if request.method == "POST":
        if not selectors.manages(access):
            return _forbidden(request, "campaign_create")
        start, end = _date(request.POST.get("start")), _date(request.POST.get("end"))
        try:
            if start is None or end is None:
                raise RingfenceError(_("Give the first day and the day after the last."))
            campaign = service.create_campaign(
                name=request.POST.get("name", "").strip() or _("Access-log analysis"),
                start=start_of_day_jst(start),
                end=start_of_day_jst(end),
                actor=request.user.get_username(),
                kind=CampaignKind.PERIODIC,
                systems=request.POST.getlist("systems") or None,
                due_on=_date(request.POST.get("due_on")),
                reviewers={"*": request.POST.get("reviewer", "").strip()},
                approvers={"*": request.POST.get("approver", "").strip()},
            )
        except RingfenceError as exc:
            messages.error(request, str(exc))
            return redirect("analysis:campaigns")
        messages.success(request, _("Campaign created."))
        return redirect("analysis:campaign", pk=campaign.pk)
    campaigns = [
        (c, selectors.campaign_tally(c, selectors.visible_systems(access, c)))
        for c in selectors.visible_campaigns(access)[:100]
    ]
    default_start, default_end = service.previous_full_week()
    return render(request, "analysis/campaigns.html", {
        "campaigns": campaigns, "manages": selectors.manages(access),
        "default_start": default_start.date(), "default_end": default_end.date(),
    })  # fmt: skip


@require(Perm.ANALYSIS_VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Per-system conclusions; the report as PDF, Excel or JSON with ?format=."""
    access = access_for(request)
    campaign = get_object_or_404(Campaign, pk=pk)
    rows = list(selectors.visible_systems(access, campaign))
    if not rows:
        raise Http404
    fmt = request.GET.get("format")
    if fmt in FORMATS:
        if not access.scope.everything:  # the report covers every system: whole-scope readers only
            return _forbidden(request, "report_export")
        data = export_report(campaign, fmt, actor=request.user.get_username(), request=request)
        response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="analysis-{campaign.pk}.{fmt}"'
        return response
    systems = []
    for cs in rows:
        part = campaign.figures.get("systems", {}).get(cs.system.code, {}) if campaign.figures else {}
        systems.append({
            "cs": cs, "name": part.get("system", {}).get("name_ja", ""), "label": conclusion_label(cs.conclusion, campaign.kind),
            "reasons": reasons_text(cs.reasons), "events": part.get("statistics", {}).get("events"),
            "impossible": part.get("effectiveness", {}).get("impossible_count"),
            "detections": len(part.get("detections", [])),
        })  # fmt: skip
    return render(request, "analysis/campaign.html", {
        "campaign": campaign, "systems": systems, "manages": selectors.manages(access),
        "exports": access.scope.everything,
    })  # fmt: skip


@require(Perm.ANALYSIS_MANAGE)
@require_POST
def campaign_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute (or compute again, before approval) a campaign."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        service.run_campaign(campaign, actor=request.user.get_username())
    except RingfenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Campaign computed."))
    return redirect("analysis:campaign", pk=pk)


@require(Perm.ANALYSIS_VIEW)
@require_POST
def campaign_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Recompute from the pinned inputs and say whether the figures are identical."""
    campaign = get_object_or_404(Campaign, pk=pk)
    if not access_for(request).scope.everything:
        return _forbidden(request, "campaign_verify")
    try:
        result = service.verify_frozen(campaign, actor=request.user.get_username())
    except RingfenceError as exc:
        messages.error(request, str(exc))
    else:
        if result.identical:
            messages.success(request, _("Recomputed from the pinned inputs: identical figures."))
        else:
            messages.error(
                request,
                _("Recomputed figures differ for: %(systems)s") % {"systems": ", ".join(result.differences)},
            )
    return redirect("analysis:campaign", pk=pk)


@require(Perm.ANALYSIS_VIEW)
def system_detail(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One system's figures in the order they are read, its conclusion, sign-off and findings."""
    cs = _campaign_system(request, pk, code)
    access = access_for(request)
    figures = cs.campaign.figures.get("systems", {}).get(code, {}) if cs.campaign.figures else {}
    record(AuditAction.VIEW, request=request, target_type="analysis.campaign", target_ref=f"{pk}/{code}")
    impossible = [
        {**row, "why": str(CATEGORY_LABELS.get(row["category"], row["category"]))}
        for row in figures.get("effectiveness", {}).get("impossible", [])
    ]
    return render(request, "analysis/system.html", {
        "cs": cs, "campaign": cs.campaign, "f": figures, "label": conclusion_label(cs.conclusion, cs.campaign.kind),
        "reasons": reasons_text(cs.reasons), "impossible": impossible,
        "may_review": access.can(Perm.ANALYSIS_REVIEW) and service.may_sign_for(access, cs),
        "may_approve": access.can(Perm.ANALYSIS_APPROVE) and service.may_sign_for(access, cs),
        "manages": selectors.manages(access), "findings": cs.findings.all(),
    })  # fmt: skip


@require(Perm.ANALYSIS_VIEW)
def system_chart(request: HttpRequest, pk: int, code: str, kind: str) -> HttpResponse:
    """A chart of one system's figures as PNG (hourly, daily, employment)."""
    cs = _campaign_system(request, pk, code)
    figures = cs.campaign.figures.get("systems", {}).get(code, {}) if cs.campaign.figures else {}
    if not figures:
        raise Http404
    charts = system_charts(code, figures.get("system", {}).get("name_ja", code), figures)
    if kind not in charts:
        raise Http404
    return HttpResponse(charts[kind], content_type="image/png")


@require(Perm.ANALYSIS_REVIEW)
@require_POST
def system_sign(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Sign as reviewer or approver (the service checks role, scope, order and four eyes)."""
    cs = _campaign_system(request, pk, code)
    access = access_for(request)
    step = request.POST.get("step")
    note = request.POST.get("note", "")
    username = request.user.get_username()
    try:
        if step == "review":
            service.review(cs, username=username, access=access, note=note)
        elif step == "approve":
            service.approve(cs, username=username, access=access, note=note)
        else:
            raise RingfenceError(_("Unknown sign-off step."))
    except RingfenceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Signed."))
    return redirect("analysis:system", pk=pk, code=code)


@require(Perm.ANALYSIS_MANAGE)
@require_POST
def finding_add(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Record a finding with owner and due date."""
    cs = _campaign_system(request, pk, code)
    due = _date(request.POST.get("due_on"))
    try:
        if due is None:
            raise RingfenceError(_("Give a due date."))
        service.add_finding(cs, title=request.POST.get("title", ""), detail=request.POST.get("detail", ""),
                            owner=request.POST.get("owner", ""), due_on=due, actor=request.user.get_username())  # fmt: skip
    except RingfenceError as exc:
        messages.error(request, str(exc))
    return redirect("analysis:system", pk=pk, code=code)


@require(Perm.ANALYSIS_MANAGE)
@require_POST
def finding_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a finding with its resolution."""
    finding = get_object_or_404(AnalysisFinding.objects.select_related("campaign_system__system"), pk=pk)
    cs = finding.campaign_system
    try:
        service.close_finding(
            finding, resolution=request.POST.get("resolution", ""), actor=request.user.get_username()
        )
    except RingfenceError as exc:
        messages.error(request, str(exc))
    return redirect("analysis:system", pk=cs.campaign_id, code=cs.system.code)

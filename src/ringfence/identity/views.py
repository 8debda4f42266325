"""ID governance pages: findings and uploads for system owners, reviews for line managers, the whole picture
for the conduct-regulation office, read-only for auditors.

Every page needs ``accounts.view`` (declared for the default-deny middleware); what a reader may change is
decided per object by ``selectors.may_*``. Pages that show account owners record the view in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import access_for
from ringfence.core.errors import BadInput, RingfenceError
from ringfence.core.timeutil import JST
from ringfence.registry.models import InformationSystem

from . import pdf, reports, selectors
from .models import (
    AuthCheckItem,
    CampaignStatus,
    CertificationCampaign,
    CertificationItem,
    CheckResult,
    Decision,
    FindingStatus,
    PasswordCampaign,
)
from .services import authcheck, certification, findings, passwords
from .situations import FindingKind

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _today() -> dt.date:
    return timezone.now().astimezone(JST).date()


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _audit_view(request: HttpRequest, target_type: str, target_ref: str, count: int) -> None:
    record(AuditAction.VIEW, request=request, target_type=target_type, target_ref=target_ref,
           detail={"query": {k: v for k, v in request.GET.items() if v}, "count": count})  # fmt: skip


def _forbidden(request: HttpRequest, what: str) -> HttpResponse:
    record(AuditAction.DENIED, request=request, target_type="url", target_ref=request.path,
           detail={"reason": what, "method": request.method or ""})  # fmt: skip
    return HttpResponseForbidden(_("You may not do this here."))


def _systems_for(request: HttpRequest) -> list[InformationSystem]:
    access = access_for(request)
    qs = InformationSystem.objects.order_by("code")
    if selectors.manages(access):
        return list(qs)
    return list(qs.filter(pk__in=access.scope.system_ids))


@require(Perm.ACCOUNTS_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    """Dashboard: open findings per system and kind, overdue, the trend of runs, campaigns, auth checks."""
    access = access_for(request)
    visible = selectors.visible_findings(access)
    context: dict[str, Any] = {
        "counts": selectors.open_counts(visible),
        "open_total": visible.filter(status=FindingStatus.OPEN).count(),
        "overdue": selectors.overdue_count(visible),
        "runs": selectors.recent_runs(10),
        "campaigns": CertificationCampaign.objects.filter(status=CampaignStatus.OPEN)[:10],
        "password_campaigns": PasswordCampaign.objects.all()[:5],
        "auth_overdue": sum(1 for s in authcheck.check_status() if s.overdue)
        if access.scope.everything
        else None,
        "manages": selectors.manages(access),
        "uploads": bool(_systems_for(request)),
        "kinds": dict(FindingKind.choices),
    }
    return render(request, "identity/home.html", context)


@require(Perm.ACCOUNTS_VIEW)
def finding_list(request: HttpRequest) -> HttpResponse:
    """Findings in scope, filtered; Excel or PDF with ?format=xlsx|pdf."""
    access = access_for(request)
    f = {k: (request.GET.get(k) or "").strip()[:40] for k in ("status", "kind", "system")}
    f["status"] = f["status"] if "status" in request.GET else FindingStatus.OPEN
    overdue = request.GET.get("overdue") == "1"
    qs = selectors.filter_findings(selectors.visible_findings(access), overdue=overdue, **f)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        rows = list(qs)
        record(AuditAction.EXPORT, request=request, target_type="identity.findings", target_ref=fmt,
               detail={"query": dict(request.GET.items()), "count": len(rows)})  # fmt: skip
        if fmt == "pdf":
            return reports.pdf_response(pdf.findings_pdf(rows), "findings.pdf")
        return reports.xlsx_response(reports.findings_workbook(rows), "findings.xlsx")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_view(request, "identity.findings", "list", len(page.object_list))
    return render(request, "identity/findings.html", {
        "page": page, "filters": f, "overdue": overdue, "kinds": FindingKind.choices,
        "statuses": FindingStatus.choices, "systems": _systems_for(request) or InformationSystem.objects.all(),
        "today": _today(),
    })  # fmt: skip


@require(Perm.ACCOUNTS_VIEW)
@require_http_methods(["GET", "POST"])
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One finding with its notes; the system owner adds notes (closing is the reconciliation's job)."""
    access = access_for(request)
    finding = get_object_or_404(selectors.visible_findings(access), pk=pk)
    may_work = selectors.may_work_system(access, finding.system_id)
    if request.method == "POST":
        if not may_work:
            return _forbidden(request, "finding_note")
        try:
            findings.add_note(finding, request.POST.get("text", ""), actor=request.user.get_username())
            messages.success(request, _("Note added."))
        except BadInput as exc:
            messages.error(request, str(exc))
        return redirect("identity:finding", pk=finding.pk)
    _audit_view(request, "identity.finding", str(finding.pk), 1)
    return render(request, "identity/finding.html", {"finding": finding, "may_work": may_work,
                                                      "notes": finding.notes.all(), "today": _today()})  # fmt: skip


@require(Perm.ACCOUNTS_VIEW)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """A system owner uploads the full account list of one of their systems; reconciliation follows."""
    systems = _systems_for(request)
    if not systems:
        return _forbidden(request, "upload")
    context: dict[str, Any] = {"systems": systems, "today": _today()}
    if request.method == "POST":
        code = request.POST.get("system", "")
        system = next((s for s in systems if s.code == code), None)
        handle = request.FILES.get("file")
        as_of = _date(request.POST.get("as_of")) or _today()
        if system is None or handle is None:
            messages.error(request, _("Choose one of your systems and a file."))
            return render(request, "identity/upload.html", context, status=400)
        if handle.size and handle.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("The file is too large."))
            return render(request, "identity/upload.html", context, status=400)
        suffix = Path(handle.name or "accounts.csv").suffix.lower() or ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            # The importer names the file in its report and audit event: keep the uploaded name.
            path = Path(tmp) / Path(handle.name or f"accounts{suffix}").name
            with path.open("wb") as out:
                for chunk in handle.chunks():
                    out.write(chunk)
            try:
                outcome = findings.import_and_reconcile(
                    path,
                    actor=request.user.get_username(),
                    as_of=as_of,
                    full_list=True,
                    only_system=system.code,
                )
            except BadInput as exc:
                context["problems"] = [str(p) for p in exc.problems]
                messages.error(request, str(exc))
                return render(request, "identity/upload.html", context, status=400)
        run = outcome.reconciliation.run
        findings.record_upload(system, outcome, request)
        messages.success(request, _("Imported %(rows)d rows. Findings opened: %(opened)d, still open: %(kept)d, "
                                    "resolved: %(resolved)d.")
                         % {"rows": outcome.report.rows, "opened": run.opened, "kept": run.kept_open,
                            "resolved": run.resolved})  # fmt: skip
        return redirect(f"{reverse('identity:findings')}?system={system.code}")
    return render(request, "identity/upload.html", context)


@require(Perm.ACCOUNTS_VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    """Reconciliation runs with the open findings after each (the trend)."""
    runs = selectors.recent_runs(100)
    kinds = sorted({k for r in runs for k in r.open_by_kind})
    return render(
        request, "identity/runs.html", {"runs": runs, "kinds": kinds, "labels": dict(FindingKind.choices)}
    )


# ------------------------------------------------------------------------------------- certification


@require(Perm.ACCOUNTS_VIEW)
@require_http_methods(["GET", "POST"])
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Access-review campaigns; the conduct-regulation office opens new ones here."""
    access = access_for(request)
    if request.method == "POST":
        if not selectors.manages(access):
            return _forbidden(request, "campaign_create")
        due = _date(request.POST.get("due_on"))
        try:
            if due is None:
                raise RingfenceError(_("Give a due date."))
            campaign = certification.create_campaign(
                request.POST.get("name", ""), request.POST.getlist("systems"), due_on=due,
                actor=request.user.get_username(),
            )  # fmt: skip
        except RingfenceError as exc:
            messages.error(request, str(exc))
            return redirect("identity:campaigns")
        messages.success(request, _("Campaign opened."))
        return redirect("identity:campaign", pk=campaign.pk)
    campaigns = [(c, selectors.campaign_totals(c)) for c in CertificationCampaign.objects.all()[:50]]
    return render(request, "identity/campaigns.html", {
        "campaigns": campaigns, "manages": selectors.manages(access),
        "systems": InformationSystem.objects.order_by("code"), "today": _today(),
    })  # fmt: skip


@require(Perm.ACCOUNTS_VIEW)
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Completion by unit (the dashboard); Excel or PDF with ?format=xlsx|pdf."""
    access = access_for(request)
    campaign = get_object_or_404(CertificationCampaign, pk=pk)
    units = None if access.scope.everything else access.scope.unit_ids
    if units is not None and not units and not selectors.manages(access):
        raise Http404
    completion = certification.completion_by_unit(campaign, units)
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        items = list(selectors.reviewable_items(access, campaign))
        record(AuditAction.EXPORT, request=request, target_type="identity.certification", target_ref=str(pk),
               detail={"count": len(items), "format": fmt})  # fmt: skip
        if fmt == "pdf":
            return reports.pdf_response(pdf.campaign_pdf(campaign, completion, items), f"review-{pk}.pdf")
        return reports.xlsx_response(
            reports.campaign_workbook(campaign, completion, items), f"review-{pk}.xlsx"
        )
    total = sum(c.total for c in completion)
    decided = sum(c.decided for c in completion)
    return render(request, "identity/campaign.html", {
        "campaign": campaign, "completion": completion, "total": total, "decided": decided,
        "percent": 100 * decided // total if total else 100, "manages": selectors.manages(access),
        "systems": ", ".join(campaign.systems.order_by("code").values_list("code", flat=True)),
    })  # fmt: skip


@require(Perm.ACCOUNTS_VIEW)
def campaign_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The items a line manager reviews (their units' staff), pending first."""
    access = access_for(request)
    campaign = get_object_or_404(CertificationCampaign, pk=pk)
    items = selectors.reviewable_items(access, campaign)
    show = request.GET.get("show", "pending")
    if show == "pending":
        items = items.filter(decision=Decision.PENDING)
    page = Paginator(items.order_by("decision", "unit__code", "subject__employee_number", "system__code"),
                     PAGE_SIZE).get_page(request.GET.get("page"))  # fmt: skip
    _audit_view(request, "identity.certification_items", str(pk), len(page.object_list))
    names = reports.person_names([i.subject_id for i in page.object_list], campaign.as_of)
    rows = [(i, names.get(i.subject_id, ""), selectors.may_decide(access, i)) for i in page.object_list]
    return render(request, "identity/review.html", {"campaign": campaign, "page": page, "rows": rows, "show": show,
                                                    "open": campaign.status == CampaignStatus.OPEN})  # fmt: skip


@require(Perm.ACCOUNTS_VIEW)
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep or revoke one account (a revocation needs a reason and becomes a finding)."""
    access = access_for(request)
    item = get_object_or_404(CertificationItem.objects.select_related("campaign"), pk=pk)
    if not selectors.may_decide(access, item):
        return _forbidden(request, "certification_decide")
    try:
        certification.decide(item, request.POST.get("decision", ""), request.POST.get("reason", ""),
                             actor=request.user.get_username())  # fmt: skip
        messages.success(request, _("Decision recorded."))
    except RingfenceError as exc:
        messages.error(request, str(exc))
    return redirect("identity:review", pk=item.campaign_id)


@require(Perm.ACCOUNTS_VIEW)
@require_POST
def campaign_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a campaign (conduct-regulation office)."""
    if not selectors.manages(access_for(request)):
        return _forbidden(request, "campaign_close")
    campaign = get_object_or_404(CertificationCampaign, pk=pk)
    certification.close_campaign(campaign, actor=request.user.get_username())
    return redirect("identity:campaign", pk=pk)


# ------------------------------------------------------------------------------------ password change


@require(Perm.ACCOUNTS_VIEW)
@require_http_methods(["GET", "POST"])
def password_list(request: HttpRequest) -> HttpResponse:
    """Password-change campaigns; the conduct-regulation office opens them."""
    access = access_for(request)
    if request.method == "POST":
        if not selectors.manages(access):
            return _forbidden(request, "password_campaign_create")
        starts, deadline = _date(request.POST.get("starts_on")), _date(request.POST.get("deadline"))
        try:
            if starts is None or deadline is None:
                raise RingfenceError(_("Give the start and the deadline."))
            campaign = passwords.create_password_campaign(
                request.POST.get("name", ""), request.POST.getlist("systems"), starts_on=starts,
                deadline=deadline, actor=request.user.get_username(),
            )  # fmt: skip
        except RingfenceError as exc:
            messages.error(request, str(exc))
            return redirect("identity:passwords")
        return redirect("identity:password", pk=campaign.pk)
    return render(request, "identity/passwords.html", {
        "campaigns": PasswordCampaign.objects.all()[:50], "manages": selectors.manages(access),
        "systems": InformationSystem.objects.order_by("code"), "today": _today(),
    })  # fmt: skip


@require(Perm.ACCOUNTS_VIEW)
def password_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Compliance per system and the accounts not changed; Excel or PDF with ?format=xlsx|pdf."""
    access = access_for(request)
    campaign = get_object_or_404(PasswordCampaign, pk=pk)
    report = passwords.password_compliance(campaign)
    if not access.scope.everything:
        allowed = set(
            InformationSystem.objects.filter(pk__in=access.scope.system_ids).values_list("code", flat=True)
        )
        report.accounts = [a for a in report.accounts if a.system in allowed]
        report.systems = [s for s in report.systems if s.system in allowed]
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        record(AuditAction.EXPORT, request=request, target_type="identity.password_campaign", target_ref=str(pk),
               detail={"count": len(report.accounts), "format": fmt})  # fmt: skip
        if fmt == "pdf":
            return reports.pdf_response(pdf.password_pdf(report), f"password-change-{pk}.pdf")
        return reports.xlsx_response(reports.password_workbook(report), f"password-change-{pk}.xlsx")
    missing = report.not_changed
    page = Paginator(missing, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_view(request, "identity.password_campaign", str(pk), len(page.object_list))
    return render(request, "identity/password.html", {"campaign": campaign, "report": report, "page": page,
                                                      "missing": len(missing)})  # fmt: skip


# ------------------------------------------------------------------------------ authentication checks


@require(Perm.ACCOUNTS_VIEW)
def auth_checks(request: HttpRequest) -> HttpResponse:
    """Every system's authentication-function review in force; overdue ones flagged."""
    return render(
        request,
        "identity/auth_checks.html",
        {"rows": authcheck.check_status(), "checklist": AuthCheckItem.choices},
    )


@require(Perm.ACCOUNTS_VIEW)
@require_http_methods(["GET", "POST"])
def auth_check_review(request: HttpRequest, code: str) -> HttpResponse:
    """Record a checklist review of one system (system owner of that system, or the conduct office)."""
    access = access_for(request)
    system = get_object_or_404(InformationSystem, code=code)
    may_work = selectors.may_work_system(access, system.pk)
    history = list(
        authcheck.AuthCheckReview.objects.filter(system=system).order_by("-reviewed_on", "-recorded_at")[:20]
    )
    context: dict[str, Any] = {"system": system, "checklist": AuthCheckItem.choices, "results": CheckResult.choices,
                               "history": history, "may_work": may_work, "today": _today()}  # fmt: skip
    if request.method == "POST":
        if not may_work:
            return _forbidden(request, "auth_check_review")
        answers = {item: (request.POST.get(f"{item}-result", ""), request.POST.get(f"{item}-evidence", ""))
                   for item in AuthCheckItem.values}  # fmt: skip
        try:
            authcheck.record_review(system, answers, reviewed_on=_date(request.POST.get("reviewed_on")) or _today(),
                                    reviewer=request.user.get_username(),
                                    next_review_due=_date(request.POST.get("next_review_due")))  # fmt: skip
        except BadInput as exc:
            context["problems"] = [str(p) for p in exc.problems]
            context["posted"] = request.POST
            messages.error(request, str(exc))
            return render(request, "identity/auth_check.html", context, status=400)
        messages.success(request, _("Review recorded."))
        return redirect("identity:auth_checks")
    return render(request, "identity/auth_check.html", context)

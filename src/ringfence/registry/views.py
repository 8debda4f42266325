"""Registry pages, every one read as of a date (基準日) and within the user's scope.

Reads go through ``selectors.browse`` with the Scope from ``authz.services.access_for``; views that show
personal data (people, accounts with owners) record who looked at what, with the query and row count.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import Scope, access_for
from ringfence.web.asof import AsOf, as_of_from_request

from .choices import AccountKind, AccountStatus, EmploymentType, PersonStatus, TerminalStatus
from .models import InformationSystem, OrgUnit
from .selectors import browse

PAGE_SIZE = 50


def _scope(request: HttpRequest) -> tuple[AsOf, Scope]:
    as_of = as_of_from_request(request)
    return as_of, access_for(request, as_of.at).scope


def _page(request: HttpRequest, rows: Any) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def _filters(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: (request.GET.get(name) or "").strip()[:100] for name in names}


def _audit_view(
    request: HttpRequest, as_of: AsOf, target_type: str, target_ref: str, count: int, **extra: Any
) -> None:
    """Record a view of personal data: the page, its query and how many rows it showed."""
    query = {k: v for k, v in request.GET.items() if v}
    record(
        AuditAction.VIEW,
        request=request,
        target_type=target_type,
        target_ref=target_ref,
        detail={"as_of": as_of.at.isoformat(), "query": query, "count": count, **extra},
    )


def _is_htmx(request: HttpRequest) -> bool:
    # htmx wants the results only; a history restore (back button after hx-push-url) wants the page.
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


@require(Perm.PEOPLE_VIEW)
def people(request: HttpRequest) -> HttpResponse:
    """People in scope, searchable by employee number, kanji or kana name; filters; htmx paging."""
    as_of, scope = _scope(request)
    f = _filters(request, "q", "unit", "employment_type", "status")
    rows = browse.search_people(
        scope, query=f["q"], unit_code=f["unit"], employment_type=f["employment_type"], status=f["status"]
    )
    page = _page(request, rows)
    names = browse.unit_names((v.unit_id for v in page.object_list), as_of.at)
    _audit_view(request, as_of, "people", "list", len(page.object_list), total=page.paginator.count,
                page=page.number)
    context = {
        "as_of": as_of,
        "page": page,
        "unit_names": names,
        "filters": f,
        "units": OrgUnit.objects.filter(pk__in=scope.unit_ids) if not scope.everything else OrgUnit.objects.all(),
        "employment_types": EmploymentType.choices,
        "statuses": PersonStatus.choices,
    }
    template = "registry/_people_results.html" if _is_htmx(request) else "registry/people.html"
    return render(request, template, context)


@require(Perm.PEOPLE_VIEW)
def person(request: HttpRequest, employee_number: str) -> HttpResponse:
    """One person as of the date: version history, accounts, entitlements, terminals."""
    as_of, scope = _scope(request)
    detail = browse.person_detail(scope, employee_number)
    if detail is None:
        # Out of scope looks the same as absent, so scope cannot be probed; the attempt is still recorded.
        _audit_view(request, as_of, "person", employee_number, 0, found=False)
        raise Http404
    _audit_view(request, as_of, "person", employee_number, 1,
                accounts=len(detail.accounts), terminals=len(detail.terminals))
    return render(request, "registry/person.html", {"as_of": as_of, "d": detail})


@require(Perm.REGISTRY_VIEW)
def units(request: HttpRequest) -> HttpResponse:
    """The organisation tree as of the date, with head counts in scope."""
    as_of, scope = _scope(request)
    return render(request, "registry/units.html", {"as_of": as_of, "nodes": browse.unit_tree(scope)})


@require(Perm.REGISTRY_VIEW)
def systems(request: HttpRequest) -> HttpResponse:
    """The catalogue of systems as of the date: data classes, go-live, authentication features."""
    as_of, scope = _scope(request)
    return render(
        request, "registry/systems.html", {"as_of": as_of, "rows": browse.systems_catalogue(scope)}
    )


@require(Perm.ACCOUNTS_VIEW)
def system(request: HttpRequest, code: str) -> HttpResponse:
    """One system as of the date, with the accounts in scope and their owners' facts on that date."""
    as_of, scope = _scope(request)
    detail = browse.system_detail(scope, code)
    if detail is None:
        if InformationSystem.objects.filter(code=code).exists():
            return render(request, "registry/system_absent.html", {"as_of": as_of, "code": code}, status=404)
        raise Http404
    _audit_view(request, as_of, "system_accounts", code, len(detail.accounts))
    return render(request, "registry/system.html", {"as_of": as_of, "d": detail})


@require(Perm.ACCOUNTS_VIEW)
def accounts(request: HttpRequest) -> HttpResponse:
    """Accounts in scope: filter by system, kind, status and the owner's employment type."""
    as_of, scope = _scope(request)
    f = _filters(request, "q", "system", "kind", "status", "owner_type")
    rows = browse.search_accounts(
        scope,
        system_code=f["system"],
        kind=f["kind"],
        status=f["status"],
        owner_employment_type=f["owner_type"],
        query=f["q"],
    )
    page = _page(request, rows)
    owners = browse.person_facts((a.owner_id for a in page.object_list), as_of.at)
    _audit_view(request, as_of, "accounts", "list", len(page.object_list), total=page.paginator.count,
                page=page.number)
    context = {
        "as_of": as_of,
        "page": page,
        "owners": owners,
        "filters": f,
        "systems": InformationSystem.objects.order_by("code"),
        "kinds": AccountKind.choices,
        "statuses": AccountStatus.choices,
        "employment_types": EmploymentType.choices,
    }
    template = "registry/_accounts_results.html" if _is_htmx(request) else "registry/accounts.html"
    return render(request, template, context)


@require(Perm.TERMINALS_VIEW)
def terminals(request: HttpRequest) -> HttpResponse:
    """The terminal ledger as of the date: status (lent: to whom, until when), room and zone."""
    as_of, scope = _scope(request)
    f = _filters(request, "q", "status")
    page = _page(request, browse.visible_terminals(scope, status=f["status"], query=f["q"]))
    places = browse.terminal_places(page.object_list, as_of.at)
    _audit_view(request, as_of, "terminals", "list", len(page.object_list), total=page.paginator.count)
    context = {
        "as_of": as_of,
        "page": page,
        "places": places,
        "filters": f,
        "statuses": TerminalStatus.choices,
    }
    template = "registry/_terminals_results.html" if _is_htmx(request) else "registry/terminals.html"
    return render(request, template, context)

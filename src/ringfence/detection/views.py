"""Rule management pages: the list of rules, one rule (its YAML, texts, settings history), and the
setting form (enable, disable, tune a correlation's threshold or timespan; a reason is required).

Reading needs ``rules.view``; changing needs ``rules.manage`` and goes through
``services.change_rule_setting`` (a new setting version, audited).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.authz.services import has_permission
from ringfence.core.errors import BadInput, InputProblem

from . import selectors, services
from .engine import RuleMeta, display_ruleset

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}


def _row(meta: RuleMeta, alerting: bool, last: dict[str, Any] | None, language: str) -> dict[str, Any]:
    return {
        "meta": meta,
        "title": meta.title(language),
        "alerting": alerting,
        "last_count": last["count"] if last else None,
        "last_at": last["at"] if last else None,
    }


@require(Perm.RULES_VIEW)
def rule_list(request: HttpRequest) -> HttpResponse:
    """Every rule with origin, state, severity, control and its findings in the latest analyses."""
    ruleset = display_ruleset()
    language = get_language() or "ja"
    last = selectors.last_findings_by_rule()
    origin = request.GET.get("origin", "")
    query = request.GET.get("q", "").strip().lower()
    rows = []
    for rule_id, meta in ruleset.meta.items():
        if (origin == "builtin" and not meta.builtin) or (origin == "user" and meta.builtin):
            continue
        text = " ".join((rule_id, meta.name, meta.title_en, meta.title_ja, meta.control)).lower()
        if query and query not in text:
            continue
        rows.append(_row(meta, rule_id in ruleset.alerting, last.get(rule_id), language))
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(r["meta"].severity, 9), r["meta"].name or r["meta"].rule_id))
    template = (
        "detection/_rule_rows.html" if request.headers.get("HX-Request") else "detection/rule_list.html"
    )
    return render(request, template, {
        "rows": rows, "problems": ruleset.problems, "origin": origin, "q": request.GET.get("q", ""),
        "total": len(ruleset.meta),
    })  # fmt: skip


def _meta_or_404(rule_id: str) -> tuple[Any, RuleMeta]:
    ruleset = display_ruleset()
    meta = ruleset.meta.get(rule_id)
    if meta is None:
        raise Http404(_("No such rule."))
    return ruleset, meta


def _detail_context(request: HttpRequest, rule_id: str, **extra: Any) -> dict[str, Any]:
    ruleset, meta = _meta_or_404(rule_id)
    language = get_language() or "ja"
    return {
        "meta": meta,
        "title": meta.title(language),
        "description": meta.description(language),
        "alerting": rule_id in ruleset.alerting,
        "source": ruleset.sources.get(rule_id, ""),
        "history": list(selectors.rule_setting_history(rule_id)),
        "tunable": meta.kind != "detection",
        "can_manage": has_permission(request, Perm.RULES_MANAGE),
        "last": selectors.last_findings_by_rule().get(rule_id),
        "problems": [],
        "form": {},
        **extra,
    }


@require(Perm.RULES_VIEW)
def rule_detail(request: HttpRequest, rule_id: str) -> HttpResponse:
    """One rule: titles and description in both languages, false positives, YAML, settings and history."""
    return render(request, "detection/rule_detail.html", _detail_context(request, rule_id))


def _number(text: str, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise BadInput(_("not a number"), [InputProblem(_("form"), None, field, _("not a number"))]) from exc


@require(Perm.RULES_MANAGE)
@require_POST
def rule_setting(request: HttpRequest, rule_id: str) -> HttpResponse:
    """Record a new setting version (enable/disable, tune); htmx gets the settings block back."""
    _meta_or_404(rule_id)
    form = {key: request.POST.get(key, "") for key in ("enabled", "threshold", "timespan", "reason", "reset")}
    try:
        services.change_rule_setting(
            rule_id,
            actor=request.user.get_username(),
            request=request,
            reason=form["reason"],
            enabled={"1": True, "0": False}.get(form["enabled"]),
            threshold=_number(form["threshold"], "threshold"),
            timespan=form["timespan"].strip() or None,
            clear_tuning=form["reset"] == "1",
        )
    except BadInput as exc:
        context = _detail_context(
            request, rule_id, problems=exc.problems or [InputProblem("form", None, None, str(exc))], form=form
        )
        template = (
            "detection/_rule_settings.html"
            if request.headers.get("HX-Request")
            else "detection/rule_detail.html"
        )
        return render(request, template, context, status=400)
    if request.headers.get("HX-Request"):
        return render(request, "detection/_rule_settings.html", _detail_context(request, rule_id, saved=True))
    return redirect("detection:rule", rule_id=rule_id)

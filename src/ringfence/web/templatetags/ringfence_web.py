"""Template helpers of the layout: navigation by role, query strings that keep the as-of date."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ringfence.authz.roles import AppRole, Perm
from ringfence.authz.services import access_for

register = template.Library()

# (URL name, label, permission). The permission is the one the page's view declares (a test holds them
# equal), so each role is offered exactly the pages it may open. The log pages come as two entries: the
# health of the sources (everyone who watches the feeds) and the event search (personal data); the
# quarantine and definition pages sit under the first. A third top-level entry would wrap the header
# at 1280 px.
NAV_ITEMS: list[tuple[str, Any, str]] = [
    ("web:home", _("Home"), Perm.REGISTRY_VIEW),
    ("registry:people", _("People"), Perm.PEOPLE_VIEW),
    ("registry:units", _("Units"), Perm.REGISTRY_VIEW),
    ("registry:systems", _("Systems"), Perm.REGISTRY_VIEW),
    ("registry:accounts", _("Accounts"), Perm.ACCOUNTS_VIEW),
    ("registry:terminals", _("Terminals"), Perm.TERMINALS_VIEW),
    ("identity:home", _("ID governance"), Perm.ACCOUNTS_VIEW),
    ("logs:sources", _("Log sources"), Perm.LOGS_VIEW),
    ("logs:search", _("Event search"), Perm.EVENTS_SEARCH),
    ("alerts:list", _("Alerts"), Perm.ALERTS_VIEW),
    ("detection:rules", _("Detection rules"), Perm.RULES_VIEW),
    ("analysis:campaigns", _("Log analysis"), Perm.ANALYSIS_VIEW),
    ("audit:trail", _("Audit trail"), Perm.AUDIT_VIEW),
]

# Detail pages of the registry belong to the list they were opened from.
NAV_PARENTS: dict[str, str] = {
    "registry:person": "registry:people",
    "registry:system": "registry:systems",
}

# Namespaces whose pages are separate entries; any other namespace's pages (identity's findings, the
# quarantined lines of the log sources, ...) belong to that namespace's first entry.
_FLAT_NAMESPACES = ("web", "registry")


def nav_current(view_name: str) -> str | None:
    """The URL name of the navigation entry that ``view_name`` belongs to, or None."""
    names = [name for name, _label, _permission in NAV_ITEMS]
    if view_name in names:
        return view_name
    if view_name in NAV_PARENTS:
        return NAV_PARENTS[view_name]
    namespace = view_name.split(":", 1)[0] if ":" in view_name else ""
    if not namespace or namespace in _FLAT_NAMESPACES:
        return None
    return next((name for name in names if name.split(":", 1)[0] == namespace), None)


@register.simple_tag(takes_context=True)
def nav_items(context: template.Context) -> list[dict[str, Any]]:
    """The navigation entries the user's roles allow, with the current one marked."""
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    access = access_for(request)
    current = nav_current(request.resolver_match.view_name if request.resolver_match else "")
    items = []
    for name, label, permission in NAV_ITEMS:
        if not access.can(permission):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # a part not installed in this deployment
        items.append({"name": name, "url": url, "label": label, "current": name == current})
    return items


@register.simple_tag(takes_context=True)
def role_labels(context: template.Context) -> list[str]:
    """Display names of the roles the user holds now."""
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    labels = dict(AppRole.choices)
    return [str(labels.get(r, r)) for r in sorted(access_for(request).roles)]


@register.simple_tag(takes_context=True)
def can(context: template.Context, permission: str) -> bool:
    """Whether the user holds ``permission`` (for showing links; the middleware still enforces)."""
    request: HttpRequest | None = context.get("request")
    return bool(request and request.user.is_authenticated and access_for(request).can(permission))


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None or '' removes a key), starting with '?'."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def with_as_of(context: template.Context, url: str) -> str:
    """``url`` carrying the page's as-of date, so links stay on the same date."""
    as_of = context.get("as_of")
    param = getattr(as_of, "param", "")
    return f"{url}?as_of={param}" if param else url


@register.inclusion_tag("web/_hidden_params.html", takes_context=True)
def hidden_params(context: template.Context, *exclude: str) -> dict[str, Any]:
    """Hidden inputs repeating the current query parameters except ``exclude`` (and the page number)."""
    request: HttpRequest = context["request"]
    skip = {*exclude, "page"}
    return {"params": [(k, v) for k, values in request.GET.lists() if k not in skip for v in values]}


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` or '' (templates cannot index a dict by a variable)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def choice_label(value: str, choices_class: str) -> str:
    """The translated label of a code in one of the registry's code lists (``DataClass``, ...)."""
    from ringfence.registry import choices

    code_list = getattr(choices, choices_class, None)
    if code_list is None:
        return value
    return str(dict(code_list.choices).get(value, value))


@register.filter
def as_json(value: Any) -> str:
    """Compact JSON of a detail dict (Japanese kept readable); '' for an empty one."""
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) if value else ""

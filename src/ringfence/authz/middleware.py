"""Default deny: a view runs only if it declared a permission and the user holds it.

Forgetting a check cannot open a page: a view without ``@require(...)`` (or ``@public``) is refused with
403 and the refusal goes to the audit trail. Only login (allauth), language switching and static files are
let through without a declaration; the admin site needs the ``admin.site`` permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .decorators import declared_permission, is_public
from .roles import Perm
from .services import access_for, record_denial

# Modules whose views handle authentication themselves or carry no data.
ALLOWED_MODULE_PREFIXES = (
    "allauth.",
    "django.views.i18n",
    "django.views.static",
    "django.contrib.staticfiles.",
)
ADMIN_MODULE_PREFIX = "django.contrib.admin."


def _view_module(view_func: Callable[..., Any]) -> str:
    return getattr(view_func, "__module__", "") or ""


def _is_admin_site(request: HttpRequest, module: str) -> bool:
    # Admin URLs include views from other modules (redirects, user admin), so the namespace decides.
    match = request.resolver_match
    return module.startswith(ADMIN_MODULE_PREFIX) or bool(match and "admin" in match.namespaces)


def denied_response(request: HttpRequest, reason: str, permission: str = "") -> HttpResponse:
    """Record the refusal and answer 403 with the layout's refusal page."""
    record_denial(request, reason, permission)
    return render(request, "web/denied.html", {"reason": reason}, status=403)


class DefaultDenyMiddleware:
    """Refuses any view that did not declare its permission, and any user without that permission."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        """Decide before the view runs; None lets it run."""
        if is_public(view_func):
            return None
        module = _view_module(view_func)
        if module.startswith(ALLOWED_MODULE_PREFIXES):
            return None
        permission = declared_permission(view_func)
        if permission is None and _is_admin_site(request, module):
            permission = Perm.ADMIN_SITE
        if permission is None:
            # Refused for everyone, logged in or not: the fault is the view's, not the user's.
            return denied_response(request, "undeclared", "")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not access_for(request).can(permission):
            return denied_response(request, "missing_permission", permission)
        return None

"""Template helpers of the alert pages."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from ringfence.authz.services import access_for

register = template.Library()


@register.simple_tag(takes_context=True)
def user_can(context: template.Context, permission: str) -> bool:
    """Whether the current user holds ``permission`` (to hide links they could not open)."""
    request: HttpRequest | None = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return access_for(request).can(permission)

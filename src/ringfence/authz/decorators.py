"""How a view declares what it needs. The middleware refuses every view that declares nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

PERMISSION_ATTR = "ringfence_permission"
PUBLIC_ATTR = "ringfence_public"


def require(permission: str) -> Callable[[F], F]:
    """Declare the permission a view needs; DefaultDenyMiddleware enforces it before the view runs."""

    def mark(view: F) -> F:
        setattr(view, PERMISSION_ATTR, str(permission))
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to anyone, logged in or not (health checks and the like)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def declared_permission(view: Callable[..., Any]) -> str | None:
    """The permission a view declared, or None."""
    return getattr(view, PERMISSION_ATTR, None)


def is_public(view: Callable[..., Any]) -> bool:
    """Whether a view was declared public."""
    return bool(getattr(view, PUBLIC_ATTR, False))

"""Logins, logouts and failed logins go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AuditAction
from .services import record


def _usable(request: HttpRequest | None) -> HttpRequest | None:
    # Django's test client logs in with a bare request that has no ``user``; record() needs one.
    return request if request is not None and hasattr(request, "user") else None


@receiver(user_logged_in, dispatch_uid="ringfence_audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record a successful login."""
    record(
        AuditAction.LOGIN,
        actor=user.get_username(),
        request=_usable(request),
        target_type="login",
        target_ref=user.get_username(),
    )


@receiver(user_logged_out, dispatch_uid="ringfence_audit_logout")
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record a logout (``user`` is None when the session had already expired)."""
    name = user.get_username() if user is not None else "anonymous"
    record(AuditAction.LOGOUT, actor=name, request=_usable(request), target_type="login", target_ref=name)


@receiver(user_login_failed, dispatch_uid="ringfence_audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Record a failed login with the name tried (never the password)."""
    tried = str(credentials.get("username") or credentials.get("login") or "")[:150]
    record(
        AuditAction.LOGIN_FAILED,
        actor=tried or "anonymous",
        request=_usable(request),
        target_type="login",
        target_ref=tried,
    )

"""A view that did not declare its permission is refused to everyone, administrators included."""

from __future__ import annotations

import pytest

from ringfence.audit.models import AuditAction, AuditEvent
from ringfence.authz.middleware import ALLOWED_MODULE_PREFIXES
from ringfence.urls import urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls("ringfence.authz.tests.urls_undeclared")]


@pytest.mark.parametrize("login", ["admin", "auditor", "analyst"])
def test_undeclared_view_is_refused(client, logins, login):
    client.force_login(logins[login])
    response = client.get("/undeclared/")
    assert response.status_code == 403
    assert b"secret" not in response.content
    event = AuditEvent.objects.filter(action=AuditAction.DENIED).latest("id")
    assert event.detail["reason"] == "undeclared"
    assert event.target_ref == "/undeclared/"
    assert client.get("/declared/").content == b"fine"


def test_undeclared_view_is_refused_to_anonymous(client, db):
    assert client.get("/undeclared/").status_code == 403


def _walk(patterns, prefix=""):
    for p in patterns:
        if hasattr(p, "url_patterns"):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.callback


def test_every_project_view_declares_a_permission():
    """Our own views all declare; allauth and i18n pass by module, the admin site needs admin.site."""
    missing = []
    for route, view in _walk(urlpatterns):
        module = getattr(view, "__module__", "")
        if module.startswith(ALLOWED_MODULE_PREFIXES) or route.startswith("admin/"):
            continue
        if not getattr(view, "ringfence_permission", None) and not getattr(view, "ringfence_public", False):
            missing.append((route, module))
    assert missing == []

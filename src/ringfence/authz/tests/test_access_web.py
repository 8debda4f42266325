"""Roles through the web views: each role reaches what it should, and every refusal is a 403 on the trail."""

from __future__ import annotations

import pytest

from ringfence.audit.models import AuditAction, AuditEvent

from .world import AFTER_TRANSFER, BEFORE_TRANSFER, expire

pytestmark = pytest.mark.django_db

PAGES = {
    "home": "/",
    "people": "/registry/people/",
    "person": "/registry/people/E001/",
    "units": "/registry/units/",
    "systems": "/registry/systems/",
    "system": "/registry/systems/SYS2/",
    "accounts": "/registry/accounts/",
    "terminals": "/registry/terminals/",
    "audit": "/audit/",
    "audit_csv": "/audit/export.csv",
    "admin": "/admin/",
}
ALL = set(PAGES)
READ_REGISTRY = {"home", "people", "person", "units", "systems", "system", "accounts", "terminals"}
ALLOWED = {
    "admin": ALL,
    "conduct": READ_REGISTRY | {"audit", "audit_csv"},
    "auditor": READ_REGISTRY | {"audit", "audit_csv"},
    "analyst": READ_REGISTRY,
    "reviewer": READ_REGISTRY,
    "lm_a": READ_REGISTRY,
    "sysowner": {"home", "units", "systems", "system", "accounts"},
}


@pytest.mark.parametrize("login", sorted(ALLOWED))
def test_each_role_reaches_exactly_its_pages(client, logins, login):
    client.force_login(logins[login])
    for page, url in PAGES.items():
        before = AuditEvent.objects.filter(action=AuditAction.DENIED).count()
        response = client.get(url)
        if page in ALLOWED[login]:
            assert response.status_code == 200, (login, page, response.status_code)
        else:
            assert response.status_code == 403, (login, page, response.status_code)
            denial = AuditEvent.objects.filter(action=AuditAction.DENIED).latest("id")
            assert AuditEvent.objects.filter(action=AuditAction.DENIED).count() == before + 1
            assert denial.actor == login
            assert denial.target_ref == url
            assert denial.detail["reason"] == "missing_permission"


def test_anonymous_is_sent_to_login(client, world):
    for url in PAGES.values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


def test_user_without_any_role_is_refused(client, db, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-long-password-1")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, actor="nobody").exists()


def test_line_manager_sees_only_own_units_people(client, logins):
    client.force_login(logins["lm_a"])
    body = client.get("/registry/people/").content.decode()
    assert "E001" in body
    assert "E002" in body  # transferred into SEC-A1 on 2025-04-01
    assert "E003" not in body  # SEC-B1
    before = client.get(f"/registry/people/?as_of={BEFORE_TRANSFER}").content.decode()
    assert "E001" in before
    assert "E002" not in before


def test_line_manager_person_page_follows_the_transfer(client, logins):
    client.force_login(logins["lm_a"])
    assert client.get(f"/registry/people/E002/?as_of={BEFORE_TRANSFER}").status_code == 404
    assert client.get(f"/registry/people/E002/?as_of={AFTER_TRANSFER}").status_code == 200
    assert client.get("/registry/people/E003/").status_code == 404
    client.force_login(logins["lm_b"])
    assert client.get(f"/registry/people/E002/?as_of={BEFORE_TRANSFER}").status_code == 200
    assert client.get(f"/registry/people/E002/?as_of={AFTER_TRANSFER}").status_code == 404


def test_out_of_scope_person_attempt_is_recorded(client, logins):
    client.force_login(logins["lm_a"])
    client.get("/registry/people/E003/")
    event = AuditEvent.objects.filter(target_type="person", target_ref="E003").latest("id")
    assert event.actor == "lm_a"
    assert event.detail["found"] is False


def test_line_manager_accounts_and_terminals_are_scoped(client, logins):
    client.force_login(logins["lm_a"])
    accounts = client.get("/registry/accounts/").content.decode()
    assert "u001" in accounts and "u002" in accounts and "u003" not in accounts
    terminals = client.get("/registry/terminals/").content.decode()
    assert "T001" in terminals and "T002" not in terminals


def test_system_owner_sees_only_their_systems_accounts(client, logins):
    client.force_login(logins["sysowner"])
    body = client.get("/registry/accounts/").content.decode()
    assert "u003" in body
    assert "u001" not in body and "u002" not in body
    detail = client.get("/registry/systems/SYS1/").content.decode()
    assert "u001" not in detail


def test_external_reviewer_refused_after_expiry(client, logins):
    client.force_login(logins["reviewer"])
    assert client.get("/registry/people/").status_code == 200
    expire(logins["reviewer"])
    response = client.get("/registry/people/")
    assert response.status_code == 403
    denial = AuditEvent.objects.filter(action=AuditAction.DENIED, actor="reviewer").latest("id")
    assert denial.detail["permission"] == "people.view"


def test_auditor_is_read_only(client, logins):
    client.force_login(logins["auditor"])
    assert client.get("/audit/").status_code == 200
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/authz/roleassignment/add/", {}).status_code == 403


def test_navigation_follows_roles(client, logins):
    client.force_login(logins["sysowner"])
    body = client.get("/").content.decode()
    assert 'href="/registry/accounts/"' in body
    assert 'href="/registry/people/"' not in body
    assert 'href="/audit/"' not in body
    client.force_login(logins["auditor"])
    assert 'href="/audit/"' in client.get("/").content.decode()


def test_home_counts_are_scoped(client, logins):
    client.force_login(logins["lm_a"])
    scoped = client.get("/").context["counts"]
    client.force_login(logins["admin"])
    everything = client.get("/").context["counts"]
    assert everything["people"] == 3
    assert scoped["people"] == 2
    assert scoped["units"] == 2  # DIV-A and SEC-A1
    assert everything["units"] == 5


def test_admin_can_manage_role_assignments_in_the_admin_site(client, logins):
    client.force_login(logins["admin"])
    response = client.get("/admin/authz/roleassignment/")
    assert response.status_code == 200
    assert "lm_a" in response.content.decode()


def test_not_found_page_uses_the_layout(client, logins):
    client.force_login(logins["analyst"])
    response = client.get("/registry/people/NOPE/")
    assert response.status_code == 404
    assert '<header class="site">' in response.content.decode()

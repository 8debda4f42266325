"""The audit trail through the web: who may see it, filters, chain status, CSV export, login events."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from ringfence.audit.models import AuditAction, AuditEvent
from ringfence.audit.services import record
from ringfence.authz.tests.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("login", "status"), [("auditor", 200), ("conduct", 200), ("admin", 200),
                                               ("analyst", 403), ("lm_a", 403), ("sysowner", 403),
                                               ("reviewer", 403)])
def test_who_sees_the_trail(client, logins, login, status):
    client.force_login(logins[login])
    assert client.get("/audit/").status_code == status
    assert client.get("/audit/export.csv").status_code == status


def test_filters_and_chain_status(client, logins):
    record(AuditAction.VIEW, actor="alice", target_type="person", target_ref="E777")
    record(AuditAction.EXPORT, actor="bob", target_type="accounts", target_ref="list")
    client.force_login(logins["auditor"])
    response = client.get("/audit/", {"actor": "alice"})
    events = list(response.context["page"].object_list)
    assert {e.actor for e in events} == {"alice"}
    assert response.context["problems"] == []
    assert 'id="chain-status"' in response.content.decode()
    by_action = client.get("/audit/", {"action": "export"}).context["page"].object_list
    assert {e.action for e in by_action} == {"export"}
    by_target = client.get("/audit/", {"target": "E777"}).context["page"].object_list
    assert [e.target_ref for e in by_target] == ["E777"]
    assert list(client.get("/audit/", {"from": "2001-01-01", "to": "2001-01-02"}).context["page"].object_list) == []


def test_page_shows_a_broken_chain(client, logins):
    victim = record(AuditAction.VIEW, actor="carol", target_type="person", target_ref="E001")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_auditevent_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
        cursor.execute("UPDATE audit_auditevent SET actor = 'mallory' WHERE id = %s", [victim.pk])
    client.force_login(logins["auditor"])
    response = client.get("/audit/")
    assert any(str(victim.pk) in p for p in response.context["problems"])
    assert 'role="alert" id="chain-status"' in response.content.decode()


def test_csv_export_is_filtered_complete_and_audited(client, logins):
    for i in range(5):
        record(AuditAction.VIEW, actor="dave", target_type="person", target_ref=f"E{i}", detail={"q": "山田"})
    client.force_login(logins["conduct"])
    response = client.get("/audit/export.csv", {"actor": "dave"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "at_jst", "actor", "action"]
    assert len(rows) == 6
    assert {r[2] for r in rows[1:]} == {"dave"}
    assert "山田" in rows[1][7]
    export = AuditEvent.objects.filter(action=AuditAction.EXPORT, actor="conduct").latest("id")
    assert export.detail["count"] == 5


def test_login_logout_and_failed_login_are_recorded(client, logins):
    response = client.post("/accounts/login/", {"login": "analyst", "password": "wrong-password"})
    assert response.status_code == 200
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).latest("id")
    assert failed.actor == "analyst"
    assert "wrong-password" not in str(failed.detail)
    response = client.post("/accounts/login/", {"login": "analyst", "password": PASSWORD})
    assert response.status_code == 302
    login = AuditEvent.objects.filter(action=AuditAction.LOGIN).latest("id")
    assert login.actor == "analyst" and login.ip_address == "127.0.0.1"
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor="analyst").exists()


def test_login_page_is_japanese_by_default(client, db):
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="ja"' in body
    assert "sign up" not in body.lower()


def test_large_trail_is_verified_on_request(client, logins, monkeypatch):
    from ringfence.audit import views

    monkeypatch.setattr(views, "AUTO_VERIFY_LIMIT", 3)
    for i in range(5):
        record(AuditAction.VIEW, actor="erin", target_type="person", target_ref=f"E{i}")
    client.force_login(logins["auditor"])
    assert client.get("/audit/").context["verified"] is False
    response = client.get("/audit/", {"verify": "1"})
    assert response.context["verified"] is True
    assert response.context["problems"] == []

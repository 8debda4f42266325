"""Registry pages through the Django test client: as-of dates, search, filters, audit of personal data."""

from __future__ import annotations

import pytest

from ringfence.audit.models import AuditAction, AuditEvent
from ringfence.authz.tests.world import AFTER_TRANSFER, BEFORE_TRANSFER, build_logins, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_client(client, db):
    build_world()
    client.force_login(build_logins()["admin"])
    return client


def _numbers(response):
    return [v.entity.employee_number for v in response.context["page"].object_list]


def test_person_page_follows_the_transfer(admin_client):
    before = admin_client.get(f"/registry/people/E002/?as_of={BEFORE_TRANSFER}")
    after = admin_client.get(f"/registry/people/E002/?as_of={AFTER_TRANSFER}")
    assert before.context["d"].current.unit.code == "SEC-B1"
    assert after.context["d"].current.unit.code == "SEC-A1"
    assert '<dd data-field="unit">託送契約課' in before.content.decode()
    assert '<dd data-field="unit">配電計画課' in after.content.decode()
    # The whole history is shown either way; the version current on the date is marked.
    for response in (before, after):
        assert len(response.context["d"].history) == 2
        assert response.content.decode().count('<li class="current">') == 1


def test_person_page_lists_accounts_entitlements_terminals(admin_client):
    d = admin_client.get("/registry/people/E001/").context["d"]
    assert [a.entity.account_id for a in d.accounts] == ["u001"]
    assert [(e.system.code, e.level) for e in d.entitlements] == [("SYS1", "view")]
    assert [t.entity.asset_tag for t in d.terminals] == ["T001"]


def test_person_before_hire_and_unknown(admin_client):
    response = admin_client.get("/registry/people/E001/?as_of=2019-01-01")
    assert response.status_code == 200
    assert response.context["d"].current is None
    assert admin_client.get("/registry/people/NOPE/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("E00", ["E001", "E002", "E003"]),
        ("E002", ["E002"]),
        ("山田", ["E001"]),
        ("佐藤花子", ["E002"]),
        ("さとう", ["E002"]),
        ("スズキ", ["E003"]),
        ("ｽｽﾞｷ", ["E003"]),
        ("nobody", []),
    ],
)
def test_people_search(admin_client, query, expected):
    assert _numbers(admin_client.get("/registry/people/", {"q": query})) == expected


def test_people_filters(admin_client):
    assert _numbers(admin_client.get("/registry/people/", {"employment_type": "affiliate"})) == ["E003"]
    assert _numbers(admin_client.get("/registry/people/", {"unit": "DIV-A"})) == ["E001", "E002"]
    assert _numbers(admin_client.get("/registry/people/", {"unit": "DIV-A", "as_of": BEFORE_TRANSFER})) == ["E001"]
    assert _numbers(admin_client.get("/registry/people/", {"status": "retired"})) == []


def test_people_htmx_returns_only_the_results(admin_client):
    response = admin_client.get("/registry/people/", {"q": "E00"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="people-table"' in body


def test_htmx_history_restore_gets_the_whole_page(admin_client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in admin_client.get("/registry/people/", {"q": "E00"}, headers=headers).content.decode()


def test_bad_as_of_date_is_reported_not_ignored(admin_client):
    body = admin_client.get("/registry/people/", {"as_of": "2024-13-45"}).content.decode()
    assert 'class="error" role="alert"' in body
    assert "2024-13-45" in body


def test_views_of_personal_data_are_audited(admin_client):
    admin_client.get("/registry/people/", {"q": "山田"})
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, target_type="people").latest("id")
    assert event.actor == "admin"
    assert event.detail["query"] == {"q": "山田"}
    assert event.detail["count"] == 1
    admin_client.get("/registry/people/E001/")
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, target_type="person", target_ref="E001").exists()
    admin_client.get("/registry/accounts/", {"system": "SYS1"})
    accounts = AuditEvent.objects.filter(target_type="accounts").latest("id")
    assert accounts.detail["count"] == 2
    admin_client.get("/registry/systems/SYS1/")
    assert AuditEvent.objects.filter(target_type="system_accounts", target_ref="SYS1").exists()


def test_accounts_filters(admin_client):
    def ids(**params):
        response = admin_client.get("/registry/accounts/", params)
        return [a.entity.account_id for a in response.context["page"].object_list]

    assert ids(system="SYS2") == ["u003"]
    assert ids(owner_type="affiliate") == ["u003"]
    assert ids(kind="shared") == []
    assert ids(status="enabled") == ["u001", "u002", "u003"]


def test_system_page_shows_owner_facts_as_of_the_date(admin_client):
    before = admin_client.get(f"/registry/systems/SYS1/?as_of={BEFORE_TRANSFER}").context["d"]
    after = admin_client.get(f"/registry/systems/SYS1/?as_of={AFTER_TRANSFER}").context["d"]
    e2 = next(a.owner_id for a in before.accounts if a.entity.account_id == "u002")
    assert before.unit_names[before.owners[e2].unit_id] == "託送契約課"
    assert after.unit_names[after.owners[e2].unit_id] == "配電計画課"


def test_system_not_yet_live(admin_client):
    assert admin_client.get("/registry/systems/SYS1/?as_of=2019-01-01").status_code == 404


def test_terminals_show_loans_and_zones(admin_client):
    body = admin_client.get("/registry/terminals/").content.decode()
    assert "T002" in body and "E003" in body
    assert "送配電専用区画" in body
    lent = admin_client.get("/registry/terminals/", {"status": "lent"}).context["page"].object_list
    assert [t.entity.asset_tag for t in lent] == ["T002"]


def test_units_tree_and_systems_catalogue(admin_client):
    nodes = admin_client.get("/registry/units/").context["nodes"]
    assert [(n.version.entity.code, n.depth) for n in nodes] == [
        ("HQ", 0), ("DIV-A", 1), ("SEC-A1", 2), ("DIV-B", 1), ("SEC-B1", 2)
    ]
    assert {n.version.entity.code: n.people for n in nodes}["SEC-A1"] == 2
    body = admin_client.get("/registry/systems/").content.decode()
    assert "料金計算システム" in body
    assert "30分値" in body or "30-minute usage data" in body

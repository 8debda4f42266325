"""Registry pages run a fixed handful of queries however many rows they show (no N+1)."""

from __future__ import annotations

import pytest

from ringfence.authz.tests.world import START, build_logins, build_world
from ringfence.registry.models import (
    Account,
    AccountVersion,
    Person,
    PersonVersion,
    Terminal,
    TerminalVersion,
)

pytestmark = pytest.mark.django_db

# Session, user, role assignments (+ units, systems prefetch), audit append (lock, last hash, insert)
# and the page's own reads: measured at most 18 (SQLite) and 19 (PostgreSQL, one more for the audit
# lock) with 60 rows per page. A per-row query would add 50.
MAX_QUERIES = 20


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def big_world(db):
    world = build_world()
    sec = world.units["SEC-A1"]
    system = world.systems["SYS1"]
    people = Person.objects.bulk_create([Person(employee_number=f"X{i:04d}") for i in range(60)])
    PersonVersion.objects.bulk_create(
        [
            PersonVersion(entity=p, name_kanji=f"試験 {i}", name_kana="シケン", unit=sec,
                          employment_type="own_employee", valid_from=START)
            for i, p in enumerate(people)
        ]
    )
    accounts = Account.objects.bulk_create([Account(system=system, account_id=f"x{i:04d}") for i in range(60)])
    AccountVersion.objects.bulk_create(
        [AccountVersion(entity=a, owner=p, valid_from=START) for a, p in zip(accounts, people, strict=True)]
    )
    terminals = Terminal.objects.bulk_create([Terminal(asset_tag=f"TX{i:04d}") for i in range(60)])
    TerminalVersion.objects.bulk_create(
        [TerminalVersion(entity=t, assigned_unit=sec, assigned_person=p, valid_from=START)
         for t, p in zip(terminals, people, strict=True)]
    )
    return world


@pytest.mark.parametrize("login", ["admin", "lm_a"])
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/registry/people/",
        "/registry/people/?q=シケン&unit=DIV-A",
        "/registry/people/X0001/",
        "/registry/units/",
        "/registry/systems/",
        "/registry/systems/SYS1/",
        "/registry/accounts/",
        "/registry/accounts/?owner_type=own_employee",
        "/registry/terminals/",
    ],
)
def test_pages_query_count_is_bounded(client, big_world, django_assert_max_num_queries, login, url):
    client.force_login(build_logins()[login])
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    if "page" in (response.context or {}):
        assert len(response.context["page"].object_list) >= 50

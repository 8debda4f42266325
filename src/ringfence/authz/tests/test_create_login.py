"""create_login: the function the demo generator and `ringfence user` call."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone

from ringfence.authz.models import RoleAssignment
from ringfence.authz.services import compute_access, create_login
from ringfence.core.errors import RingfenceError

pytestmark = pytest.mark.django_db


def test_is_idempotent_and_resets_password_and_scope(world):
    create_login("taro", "first-password-123", ["line_manager"], units=["DIV-A"])
    user = create_login("taro", "second-password-456", ["system_owner"], systems=["SYS1"])
    assert authenticate(username="taro", password="first-password-123") is None
    assert authenticate(username="taro", password="second-password-456") == user
    assignments = list(RoleAssignment.objects.filter(user=user))
    assert [a.role for a in assignments] == ["system_owner"]
    assert [s.code for s in assignments[0].systems.all()] == ["SYS1"]
    assert list(assignments[0].units.all()) == []


def test_line_manager_scope_includes_units_below(world):
    user = create_login("hanako", "a-long-password-1", ["line_manager"], units=["HQ"])
    access = compute_access(user, timezone.now())
    assert access.scope.unit_ids == {u.pk for u in world.units.values()}
    assert not access.scope.everything
    assert access.can("people.view") and not access.can("audit.view")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"roles": ["wizard"]}, "unknown role"),
        ({"roles": []}, "unknown role"),
        ({"roles": ["line_manager"], "units": ["NOPE"]}, "NOPE"),
        ({"roles": ["line_manager"]}, "at least one unit"),
        ({"roles": ["system_owner"]}, "at least one system"),
        ({"roles": ["external_reviewer"]}, "expiry"),
    ],
)
def test_refuses_bad_requests(world, kwargs, message):
    with pytest.raises(RingfenceError, match=message):
        create_login("x", "a-long-password-1", **kwargs)
    assert not RoleAssignment.objects.exists()


def test_expiry_ends_every_permission(world):
    until = timezone.now() + dt.timedelta(hours=1)
    user = create_login("rev", "a-long-password-1", ["external_reviewer"], valid_until=until)
    assert compute_access(user, timezone.now()).can("people.view")
    later = until + dt.timedelta(seconds=1)
    assert compute_access(user, later, now=later).permissions == frozenset()


def test_admin_role_gets_the_admin_site_and_loses_it_with_the_role(world):
    user = create_login("root", "a-long-password-1", ["admin"])
    assert user.is_staff and user.is_superuser
    user = create_login("root", "a-long-password-1", ["analyst"])
    assert not user.is_staff and not user.is_superuser
    assert compute_access(user, timezone.now()).roles == {"analyst"}

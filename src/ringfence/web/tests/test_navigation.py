"""Navigation by role: each login is offered exactly the pages it may open, and the current page is marked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import resolve, reverse

from ringfence.authz.decorators import declared_permission
from ringfence.authz.tests.world import LOGINS, build_logins, build_world
from ringfence.web.templatetags.ringfence_web import NAV_ITEMS, NAV_PARENTS, nav_current

NAV_BLOCK = re.compile(r'<nav class="main"[^>]*>(.*?)</nav>', re.S)
NAV_LINK = re.compile(r'<a href="([^"?]+)[^"]*"( aria-current="page")?>([^<]*)</a>')


def _nav(body: str) -> list[tuple[str, bool, str]]:
    """(path, is current, label) of each link in the main navigation of a page."""
    block = NAV_BLOCK.search(body)
    assert block, "the page has no main navigation"
    return [(path, bool(current), label) for path, current, label in NAV_LINK.findall(block.group(1))]


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    settings.LAKE_DIR = tmp_path / "lake"
    build_world()
    return build_logins()


def test_each_entry_asks_for_the_permission_its_page_declares() -> None:
    for name, _label, permission in NAV_ITEMS:
        view = resolve(reverse(name)).func
        assert declared_permission(view) == str(permission), name


def test_log_pages_are_two_entries() -> None:
    names = [name for name, _label, _permission in NAV_ITEMS]
    assert "logs:sources" in names and "logs:search" in names
    assert len(names) == len(set(names))


@pytest.mark.django_db
@pytest.mark.parametrize("login", sorted(LOGINS))
def test_each_role_is_offered_exactly_the_pages_it_may_open(
    client: Any, world: dict[str, Any], login: str
) -> None:
    client.force_login(world[login])
    offered = {path for path, _current, _label in _nav(client.get("/").content.decode())}
    may_open = set()
    for name, _label, _permission in NAV_ITEMS:
        url = reverse(name)
        status = client.get(url).status_code
        assert status in (200, 403), (login, url, status)
        if status == 200:
            may_open.add(url)
    assert offered == may_open
    assert offered, login  # every role has at least the home page


@pytest.mark.django_db
def test_log_entries_follow_the_roles(client: Any, world: dict[str, Any]) -> None:
    sources, search = reverse("logs:sources"), reverse("logs:search")
    for login, expected in (("analyst", True), ("auditor", True), ("lm_b", False), ("sysowner", False)):
        client.force_login(world[login])
        paths = {path for path, _current, _label in _nav(client.get("/").content.decode())}
        assert (sources in paths, search in paths) == (expected, expected), login


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/logs/sources/", "logs:sources"),
        ("/logs/quarantine/", "logs:sources"),
        ("/logs/definitions/", "logs:sources"),
        ("/logs/events/", "logs:search"),
        ("/registry/people/", "registry:people"),
        ("/registry/people/E001/", "registry:people"),
        ("/identity/findings/", "identity:home"),
        ("/audit/", "audit:trail"),
    ],
)
def test_the_current_page_marks_one_entry(client: Any, world: dict[str, Any], url: str, current: str) -> None:
    client.force_login(world["admin"])
    response = client.get(url)
    assert response.status_code == 200
    marked = [path for path, is_current, _label in _nav(response.content.decode()) if is_current]
    assert marked == [reverse(current)]


def test_nav_current_without_a_match() -> None:
    assert nav_current("") is None
    assert nav_current("registry:units") == "registry:units"
    assert nav_current("web:unknown") is None
    assert nav_current("registry:unknown") is None  # registry pages are separate entries
    assert nav_current("logs:quarantine") == "logs:sources"
    entries = [name for name, _label, _permission in NAV_ITEMS]
    for child, parent in NAV_PARENTS.items():
        assert nav_current(child) == parent
        assert parent in entries

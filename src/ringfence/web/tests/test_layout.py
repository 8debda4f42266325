"""The layout: allauth's pages inside it, static files through WhiteNoise, htmx vendored, no CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ringfence.authz.tests.world import build_logins, build_world

WEB = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_client(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    build_world()
    client.force_login(build_logins()["analyst"])
    return client


@pytest.mark.parametrize(
    "url", ["/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/password/change/", "/accounts/logout/"]
)
def test_allauth_pages_use_the_layout(analyst_client, url):
    response = analyst_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<header class="site">' in body
    assert 'href="/registry/people/"' in body  # navigation by role is there too


def test_htmx_keeps_no_history_snapshots(analyst_client):
    # htmx would otherwise copy pages (with personal data) into localStorage.
    body = analyst_client.get("/registry/people/").content.decode()
    assert '"historyCacheSize": 0' in body


def test_signup_is_closed(client):
    response = client.get("/accounts/signup/")
    assert "password1" not in response.content.decode()


def test_static_files_are_served_and_local(client):
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert (WEB / "static/vendor/htmx/LICENSE").exists()
    css = client.get("/static/web/ringfence.css")
    assert css.status_code == 200


def test_no_external_resources_in_templates():
    offenders = []
    for template in [
        *WEB.glob("templates/**/*.html"),
        *WEB.glob("overrides/**/*.html"),
        *WEB.parent.glob("*/templates/**/*.html"),  # every app's pages, e-mail templates included
    ]:
        text = template.read_text(encoding="utf-8")
        if re.search(r"""(src|href)=["']https?://""", text) or "@import url(" in text:
            offenders.append(template.name)
    assert offenders == []

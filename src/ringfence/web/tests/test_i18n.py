"""Japanese first: the catalogue is complete, and the pages speak Japanese unless asked otherwise."""

from __future__ import annotations

import re

import polib
import pytest

from ringfence.core.compile_messages import LOCALE_DIR, compile_all

PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%%|\{\w*\}")
CATALOGUE = LOCALE_DIR / "ja" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete_and_placeholders_match():
    po = polib.pofile(str(CATALOGUE))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []
    for entry in po.translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(entry.msgid)), entry.msgid


@pytest.fixture
def compiled_catalogue(settings):
    compile_all()
    # Touching LOCALE_PATHS makes Django forget catalogues loaded before the .mo was (re)written.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)


@pytest.mark.django_db
def test_login_page_is_japanese_then_english_on_request(client, compiled_catalogue):
    body = client.get("/accounts/login/").content.decode()
    assert 'lang="ja"' in body
    assert "ringfence にログイン" in body
    assert "ユーザー名" in body
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    english = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in english
    assert "Log in to ringfence" in english


@pytest.mark.django_db
def test_navigation_speaks_japanese(client, settings, tmp_path, compiled_catalogue):
    from ringfence.authz.tests.world import build_logins, build_world

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    settings.LAKE_DIR = tmp_path / "lake"
    build_world()
    client.force_login(build_logins()["analyst"])
    body = client.get("/logs/quarantine/").content.decode()
    nav = body[body.index('<nav class="main"') : body.index("</nav>")]
    for label in ("人員", "ID管理", "ログソース", "イベント検索"):
        assert f">{label}</a>" in nav, label
    assert 'href="/logs/sources/" aria-current="page">ログソース</a>' in nav
    assert "監査証跡" not in nav  # the analyst may not open the audit trail

"""A real Chromium (Playwright) against the live server on 127.0.0.1: log in in Japanese, search people,
change the as-of date, switch the language."""

from __future__ import annotations

import pytest

from ringfence.audit.tests.triggers import drop_append_only_triggers
from ringfence.authz.tests.world import AFTER_TRANSFER, BEFORE_TRANSFER, PASSWORD, build_logins, build_world
from ringfence.core.compile_messages import compile_all
from ringfence.web.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def seeded(audit_triggers_restored, transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    compile_all()
    # Touching LOCALE_PATHS makes Django forget catalogues loaded before the .mo was (re)written.
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    build_world()
    build_logins()
    yield
    # The live server's database is emptied after each test; the append-only triggers would refuse that.
    drop_append_only_triggers()


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "ringfence にログイン"
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/")


def test_login_search_as_of_and_language(live_server, seeded, browser_page):
    page, base = browser_page, live_server.url
    _log_in(page, base, "admin")
    assert page.locator("h1").inner_text() == "台帳の概要"
    assert page.locator('[data-count="people"]').inner_text() == "3"

    page.get_by_role("link", name="人員").first.click()
    page.wait_for_url(f"{base}/registry/people/")
    page.get_by_label("社員番号または氏名（漢字・かな）").fill("さとう")
    # htmx swaps the results in as the user types.
    page.wait_for_function("document.querySelectorAll('#people-table tbody tr').length === 1")
    assert "佐藤 花子" in page.locator("#people-table").inner_text()
    assert "q=" in page.url  # the search is in the address bar (hx-push-url)
    assert page.evaluate("window.localStorage.length") == 0  # no page snapshots with personal data

    page.get_by_role("link", name="E002").click()
    assert page.locator('[data-field="unit"]').inner_text().startswith("配電計画課")
    page.locator("#as-of-date").fill(BEFORE_TRANSFER)
    page.get_by_role("button", name="表示").click()
    page.wait_for_url(f"**as_of={BEFORE_TRANSFER}")
    assert page.locator('[data-field="unit"]').inner_text().startswith("託送契約課")
    page.locator("#as-of-date").fill(AFTER_TRANSFER)
    page.get_by_role("button", name="表示").click()
    page.wait_for_url(f"**as_of={AFTER_TRANSFER}")
    assert page.locator('[data-field="unit"]').inner_text().startswith("配電計画課")
    page.screenshot(path="/tmp/ringfence-person.png", full_page=True)

    page.select_option("#language-select", "en")
    page.wait_for_load_state("load")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("nav.main").get_by_role("link", name="People").is_visible()
    assert f"as_of={AFTER_TRANSFER}" in page.url  # switching language keeps the page and the date


def test_line_manager_in_the_browser_sees_only_own_units(live_server, seeded, browser_page):
    page, base = browser_page, live_server.url
    _log_in(page, base, "lm_b")
    page.goto(f"{base}/registry/people/?as_of={BEFORE_TRANSFER}")
    rows = page.locator("#people-table tbody").inner_text()
    assert "E002" in rows and "E003" in rows and "E001" not in rows
    response = page.goto(f"{base}/audit/")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "アクセス拒否"

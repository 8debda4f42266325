"""A real Chromium on the live server: an analyst disables a rule from its page; htmx swaps the settings
block in place (no page load), the new version is stored and listed."""

from __future__ import annotations

import pytest

from ringfence.audit.tests.triggers import drop_append_only_triggers
from ringfence.authz.tests.world import PASSWORD, build_logins, build_world
from ringfence.detection.engine import load_ruleset
from ringfence.web.tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def seeded(audit_triggers_restored, transactional_db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path
    build_world()
    build_logins()
    # From the rule files only: no database call here, the live-server test thread may hold an event loop.
    yield next(
        m
        for m in load_ruleset(placeholders={}, strict=False, with_settings=False).meta.values()
        if m.name == "rf_person_affiliate"
    )
    drop_append_only_triggers()


def test_an_analyst_disables_a_rule_in_place(live_server, seeded, browser_page) -> None:
    page, base = browser_page, live_server.url
    rule = next(
        m
        for m in load_ruleset(placeholders={}, strict=False, with_settings=False).meta.values()
        if m.name == "rf_person_affiliate"
    )
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill("analyst")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/detection/rules/")
    page.locator(f'a[href="/detection/rules/{rule.rule_id}/"]').click()
    page.wait_for_url(f"{base}/detection/rules/{rule.rule_id}/")
    assert rule.title_ja in page.locator("#rule-summary").inner_text()
    page.evaluate("window.__notReloaded = true")

    page.locator("#setting-form select[name=enabled]").select_option("0")
    page.locator("#setting-form input[name=reason]").fill("区域移転の週は誤検知が多いため")
    page.locator("#setting-form button[type=submit]").click()
    page.locator("#setting-history").get_by_text("区域移転の週は誤検知が多いため").wait_for()

    assert page.evaluate("window.__notReloaded === true")  # swapped by htmx, not a new page
    assert page.locator("#rule-settings .badge.bad").count() == 1
    page.reload()  # stored: version 1 by the analyst, still disabled after a fresh load
    first = page.locator("#setting-history tbody tr").first.inner_text()
    assert first.startswith("1") and "analyst" in first and "区域移転" in first
    assert page.locator("#rule-settings .badge.bad").count() == 1

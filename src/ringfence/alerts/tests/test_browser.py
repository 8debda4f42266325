"""A real Chromium (Playwright) against the live server: an analyst opens an alert, sees the timeline, assigns,
closes it as a violation and comments — every step an htmx swap, no page reload."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ringfence.alerts.findings import Evidence
from ringfence.alerts.models import Alert, AlertComment
from ringfence.alerts.services.intake import raise_alerts
from ringfence.audit.models import AuditEvent
from ringfence.audit.tests.triggers import drop_append_only_triggers
from ringfence.authz.services import create_login
from ringfence.core.compile_messages import compile_all
from ringfence.logs.lake.writer import append
from ringfence.logs.tests.test_lake_support import make_events
from ringfence.registry.tests.conftest import build_world
from ringfence.web.tests.browser import BROWSER_MARKS

from .conftest import at, make_finding

PASSWORD = "Correct-Horse-Battery-9"

pytestmark = BROWSER_MARKS


@pytest.fixture
def seeded(
    audit_triggers_restored: None, transactional_db: None, settings: Any, tmp_path: Path
) -> Iterator[Alert]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LAKE_DIR = tmp_path / "lake"
    compile_all()
    settings.LOCALE_PATHS = list(settings.LOCALE_PATHS)
    build_world()
    create_login("analyst", PASSWORD, ["analyst"])
    create_login("sato", PASSWORD, ["analyst"])
    rows: list[dict[str, Any]] = [
        {"time": at(10, 0, s), "account": "u001", "source_line": s + 1} for s in range(2)
    ] + [{"time": at(9), "account": "u001", "source_line": 9, "activity": "logon"}]
    table = make_events(rows, source_file="cis.log")
    append(table, origin="test")
    ids = table.column("event_id").to_pylist()
    evidence = [Evidence(ids[i], rows[i]["time"], "CIS") for i in range(2)]
    raise_alerts([make_finding(entity="CIS/u001", account="u001", person="E003", items=evidence)], actor="t")
    yield Alert.objects.get()
    # The live server's database is emptied after each test; the append-only triggers would refuse that.
    drop_append_only_triggers()


def test_analyst_triages_an_alert_in_the_browser(live_server: Any, seeded: Alert, browser_page: Any) -> None:
    page, base, alert = browser_page, live_server.url, seeded
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill("analyst")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/")

    page.locator("nav.main a[href='/alerts/']").click()
    page.wait_for_url(f"{base}/alerts/")
    assert "CIS/u001" in page.locator("#alerts").inner_text()
    page.locator(f"#alerts a[href='/alerts/{alert.pk}/']").click()
    page.wait_for_url(f"{base}/alerts/{alert.pk}/")
    assert "北電小売" in page.locator("#person-context").inner_text()
    assert page.locator("#evidence tbody tr").count() == 2
    # The timeline arrives by htmx: the 09:00 logon and both evidence events (marked).
    page.wait_for_selector("#timeline-table")
    assert page.locator("#timeline-table tbody tr").count() == 3
    assert page.locator("#timeline-table tbody tr.current").count() == 2

    page.evaluate("window.notReloaded = true")
    page.select_option("#t-to", "assigned")
    page.select_option("#t-assignee", "sato")
    page.locator("#triage-form button[type=submit]").click()
    page.wait_for_function("document.querySelector('#alert-status').innerText.includes('sato')")

    page.select_option("#t-to", "closed_violation")
    page.locator("#t-comment").fill("関連会社社員による閲覧。是正を指示。")
    page.locator("#triage-form button[type=submit]").click()
    # Once closed, the only step offered is reopening.
    page.wait_for_function("document.querySelectorAll('#t-to option').length === 1")
    assert page.locator("#t-to option").get_attribute("value") == "investigating"
    assert "関連会社社員による閲覧" in page.locator("#triage").inner_text()
    assert page.locator("#history li").count() == 3  # the history is part of the swapped panel

    page.locator("#comment-text").fill("本人と上長に確認済み")
    page.locator("#comment-form button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('#comment-list').innerText.includes('本人と上長に確認済み')"
    )
    assert page.evaluate("window.notReloaded") is True  # every step was swapped in, no reload
    page.screenshot(path="/tmp/ringfence-alert.png", full_page=True)

    # Playwright's event loop runs in this thread; the ORM is asked from another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_check_database, alert.pk).result()


def _check_database(pk: int) -> None:
    alert = Alert.objects.get(pk=pk)
    assert (
        alert.status == "closed_violation"
        and alert.assignee is not None
        and alert.assignee.username == "sato"
    )
    assert list(alert.transitions.values_list("to_status", flat=True)) == [
        "new",
        "assigned",
        "closed_violation",
    ]
    assert AlertComment.objects.get().author == "analyst"
    assert (
        AuditEvent.objects.filter(actor="analyst", target_type="alerts.alert", action="change").count() == 2
    )

"""Pytest plugin (loaded with ``-p`` from pyproject) shared by the browser tests of every app.

A real Chromium — Debian's, since Playwright's own download cannot reach the internet here — drives the live
server on 127.0.0.1. Tests using it mark themselves with ``BROWSER_MARKS`` and take the fixtures below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ringfence.audit.tests.triggers import create_append_only_triggers

CHROMIUM = Path("/usr/bin/chromium")

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A page of a fresh Chromium context in Japanese, 1280×900."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20000)
        yield page
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def audit_triggers_restored(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Puts the audit trail's append-only triggers back after a module of live-server tests.

    The live server's database is emptied after each test, which the triggers would refuse, so the tests'
    own fixtures drop them; they are restored here, before any other module's test runs.
    """
    yield
    with django_db_blocker.unblock():
        create_append_only_triggers()

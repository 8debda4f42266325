"""The batch analysis and the live monitor raising the same incident at the same moment: one alert.

PostgreSQL only: there two transactions really run side by side (SQLite serialises writers with its
database lock, so the race cannot happen there).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from ringfence.alerts.models import Alert
from ringfence.alerts.services.intake import IntakeResult, raise_alerts
from ringfence.audit.tests.triggers import create_append_only_triggers, drop_append_only_triggers

from .conftest import at, evidence, make_finding


@pytest.fixture(scope="module")
def audit_triggers_restored(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        create_append_only_triggers()


@pytest.fixture
def committed_db(audit_triggers_restored: None, transactional_db: None) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers")
    yield
    drop_append_only_triggers()  # the flush after a transactional test would be refused otherwise


def test_two_writers_raising_the_same_incident_make_one_alert(committed_db: None) -> None:
    first_inserted, release = threading.Event(), threading.Event()
    results: dict[str, IntakeResult] = {}
    errors: list[BaseException] = []

    def batch() -> None:
        try:
            with transaction.atomic():
                results["batch"] = raise_alerts([make_finding(items=evidence(3))], actor="system:analyze")
                first_inserted.set()
                release.wait(20)  # hold the new, uncommitted alert while the live writer arrives
        except BaseException as exc:
            errors.append(exc)
            first_inserted.set()
        finally:
            connection.close()

    def live() -> None:
        try:
            first_inserted.wait(20)
            later = evidence(2, start=at(11), prefix="live")
            results["live"] = raise_alerts([make_finding(items=later, mode="live")], actor="system:monitor")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=batch), threading.Thread(target=live)]
    for thread in threads:
        thread.start()
    first_inserted.wait(20)
    time.sleep(1.0)  # the live writer is now blocked on the unique key
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(results["batch"].created) == 1 and results["live"].updated == results["batch"].created
    alert = Alert.objects.get()
    assert alert.event_count == 5 and alert.evidence.count() == 5 and alert.found_by == "batch"

"""Last logins from the log lake: a later logon in the logs wins over a stale export, and a lake that
covers the dormancy period without a logon proves an account dormant; a short lake proves nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from ringfence.identity.models import Finding, FindingStatus, ReconciliationRun
from ringfence.identity.services.reconcile import reconcile
from ringfence.logs.lake import append
from ringfence.logs.schema import EVENT_SCHEMA, event_id
from ringfence.registry import services as registry


def _logon(n: int, account: str, when: dt.datetime, system: str = "CIS") -> dict:
    row: dict = dict.fromkeys(EVENT_SCHEMA.names)
    row.update(event_id=event_id("test", "logons", n), time=when, system=system, source="test",
               activity="logon", outcome="success", account=account, raw=f"logon {account}",
               ingested_at=when, **{"class": "authentication"})  # fmt: skip
    return row


def _store(rows: list[dict]) -> None:
    append(pa.Table.from_pylist(rows, schema=EVENT_SCHEMA), origin="test")


@pytest.mark.django_db
def test_logs_decide_dormancy_only_with_enough_coverage(
    small_registry: dt.datetime, empty_lake: Path
) -> None:
    at = small_registry
    # 1000002's export says its last login was long ago (stale); the logs show a logon last week.
    registry.change_account("CIS", "1000002", last_login_at=at - dt.timedelta(days=200), effective=at - dt.timedelta(days=1),
                            actor="test")  # fmt: skip
    # 1000001 exports no last login and appears in no log.
    first = at - dt.timedelta(days=30)
    _store([_logon(1, "1000002", at - dt.timedelta(days=7)), _logon(2, "someone", first)])

    run = reconcile(as_of=at, actor="test").run
    assert run.policy["lake"] == "used" and run.policy["lake_systems"] == ["CIS"]
    dormant = set(
        Finding.objects.filter(kind="dormant", status=FindingStatus.OPEN).values_list(
            "account__account_id", flat=True
        )
    )
    # 30 days of logs prove nothing about 1000001; the logon rescues 1000002 from its stale export.
    assert dormant == set()

    # With 120 days of logs and no logon of 1000001, it is dormant; the shared ID too.
    _store([_logon(3, "someone", at - dt.timedelta(days=120))])
    run = reconcile(as_of=at, actor="test").run
    details = {
        f.account.account_id: f.detail
        for f in Finding.objects.filter(kind="dormant", status=FindingStatus.OPEN)
    }
    assert set(details) == {"1000001", "cis_kyoyo01"}
    assert details["1000001"]["no_logon_in_logs_since"] == (at - dt.timedelta(days=120)).date().isoformat()
    assert run.opened == 2

    # Without the lake the export alone decides: 1000002's stale date makes it dormant.
    reconcile(as_of=at, actor="test", use_lake=False)
    latest = ReconciliationRun.objects.order_by("-started_at").first()
    assert latest is not None and latest.policy["lake"] == "not used"
    assert Finding.objects.filter(
        kind="dormant", status=FindingStatus.OPEN, account__account_id="1000002"
    ).exists()

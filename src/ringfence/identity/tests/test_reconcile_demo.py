"""On the demo utility every seeded ID fault is found and classified as labelled, and nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.identity.models import Finding, FindingStatus, ReconciliationRun
from ringfence.identity.services.reconcile import reconcile

from .conftest import LABEL_KINDS, fault_labels, snapshot_of


@pytest.mark.django_db
def test_reconciliation_finds_exactly_the_seeded_faults(demo_registry: Path) -> None:
    result = reconcile(as_of=snapshot_of(demo_registry), actor="test")
    found = {
        (f.system.code, f.account.account_id, f.kind)
        for f in Finding.objects.filter(status=FindingStatus.OPEN).select_related("system", "account")
    }
    expected = {(x["system"], x["account"], LABEL_KINDS[x["fault"]]) for x in fault_labels(demo_registry)}
    assert found - expected == set(), "flagged but not seeded"
    assert expected - found == set(), "seeded but not found"
    assert len(expected) > 100
    run = ReconciliationRun.objects.get()
    assert run.opened == len(expected) and run.resolved == 0 and run.accounts == result.run.accounts
    assert sum(run.open_by_kind.values()) == len(expected)

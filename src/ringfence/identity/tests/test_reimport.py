"""A re-import that shows the fault fixed closes the finding; one that does not keeps it open."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from ringfence.core.timeutil import JST
from ringfence.identity.models import Finding, FindingStatus, ReconciliationRun
from ringfence.identity.services.findings import import_and_reconcile
from ringfence.identity.services.reconcile import reconcile

from .conftest import fault_labels, snapshot_of


def _rows(out: Path, system: str) -> list[dict[str, str]]:
    with (out / "registry" / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        return [r for r in csv.DictReader(handle) if r["system_code"] == system]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    # No valid_from column: every row takes effect from the import's as-of date.
    columns = [c for c in rows[0] if c != "valid_from"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _open(system: str, account: str, kind: str) -> Finding | None:
    return Finding.objects.filter(
        system__code=system, account__account_id=account, kind=kind, status=FindingStatus.OPEN
    ).first()


@pytest.mark.django_db
def test_fixed_fault_closes_and_unfixed_fault_stays_open(demo_registry: Path, tmp_path: Path) -> None:
    snapshot = snapshot_of(demo_registry)
    reconcile(as_of=snapshot, actor="test")
    labels = fault_labels(demo_registry)
    # A system with at least two leftover faults of leavers: fix one, leave the other.
    by_system: dict[str, list[dict]] = {}
    for label in labels:
        if label["fault"] in ("retiree_enabled", "transferred_out_enabled"):
            by_system.setdefault(label["system"], []).append(label)
    system, faults = next((s, f) for s, f in sorted(by_system.items()) if len(f) >= 2)
    fixed, unfixed = faults[0], faults[1]
    kind = {"retiree_enabled": "owner_retired", "transferred_out_enabled": "owner_transferred_out"}
    fixed_finding = _open(system, fixed["account"], kind[fixed["fault"]])
    unfixed_finding = _open(system, unfixed["account"], kind[unfixed["fault"]])
    assert fixed_finding is not None and unfixed_finding is not None
    orphan = next(x for x in labels if x["fault"] == "orphaned" and x["system"] == system)
    assert _open(system, orphan["account"], "orphaned") is not None

    day = (snapshot + dt.timedelta(days=3)).astimezone(JST).date()
    # First the same list again: nothing is fixed, so nothing closes.
    same = _write(tmp_path / "same.csv", _rows(demo_registry, system))
    outcome = import_and_reconcile(same, actor="owner", as_of=day, only_system=system)
    assert outcome.reconciliation.run.resolved == 0
    again = _open(system, fixed["account"], kind[fixed["fault"]])
    assert again is not None and again.pk == fixed_finding.pk

    # Then the list with the leaver's ID disabled and the orphaned ID gone (a full list).
    rows = [r for r in _rows(demo_registry, system) if r["account_id"] != orphan["account"]]
    for row in rows:
        if row["account_id"] == fixed["account"]:
            row["status"] = "disabled"
            row["disabled_at"] = day.isoformat()
    fixed_file = _write(tmp_path / "fixed.csv", rows)
    later = day + dt.timedelta(days=1)
    outcome = import_and_reconcile(fixed_file, actor="owner", as_of=later, only_system=system)
    run = outcome.reconciliation.run
    assert run.resolved == 2 and run.opened == 0

    fixed_finding.refresh_from_db()
    assert fixed_finding.status == FindingStatus.RESOLVED and fixed_finding.resolved_run_id == run.pk
    orphan_finding = Finding.objects.get(system__code=system, account__account_id=orphan["account"])
    assert orphan_finding.status == FindingStatus.RESOLVED
    still = _open(system, unfixed["account"], kind[unfixed["fault"]])
    assert still is not None and still.pk == unfixed_finding.pk and still.last_seen_run_id == run.pk
    # Findings are kept, not deleted: the trend over runs stays visible.
    runs = list(ReconciliationRun.objects.order_by("started_at"))
    assert len(runs) == 3
    assert runs[2].open_by_kind[kind[fixed["fault"]]] == runs[0].open_by_kind[kind[fixed["fault"]]] - 1
    assert runs[2].open_by_kind["orphaned"] == runs[0].open_by_kind["orphaned"] - 1


@pytest.mark.django_db
def test_upload_naming_another_system_is_refused_and_changes_nothing(
    demo_registry: Path, tmp_path: Path
) -> None:
    from ringfence.core.errors import BadInput

    rows = _rows(demo_registry, "CIS")[:3] + _rows(demo_registry, "CALL")[:1]
    path = _write(tmp_path / "mixed.csv", rows)
    with pytest.raises(BadInput) as refused:
        import_and_reconcile(path, actor="owner", only_system="CIS")
    assert "CALL" in str(refused.value)
    assert ReconciliationRun.objects.count() == 0

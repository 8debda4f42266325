"""A small demo utility generated once per session; tests load its registry into their own database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from ringfence.core.timeutil import start_of_day_jst
from ringfence.demo.generate import generate_demo

SEED = 7

# The demo's fault labels and the finding kinds that must answer them.
LABEL_KINDS = {
    "orphaned": "orphaned",
    "retiree_enabled": "owner_retired",
    "transferred_out_enabled": "owner_transferred_out",
    "affiliate_holding": "affiliate_owner",
    "shared_id": "shared_id",
    "emergency_temporary_leftover": "emergency_expired",
    "password_never_changed": "password_never_changed",
}


@pytest.fixture(autouse=True)
def empty_lake(settings, tmp_path: Path) -> Path:
    """Every test gets its own (empty) log lake, so last-login evidence never leaks in from elsewhere."""
    settings.LAKE_DIR = tmp_path / "lake"
    return settings.LAKE_DIR


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("identity-demo") / "out"
    generate_demo(out, seed=SEED, size="small")
    return out


def snapshot_of(out: Path) -> dt.datetime:
    """The moment the demo registry describes (the day after the log week, 00:00 JST)."""
    manifest = json.loads((out / "demo.json").read_text("utf-8"))
    return start_of_day_jst(dt.date.fromisoformat(manifest["week_start"]) + dt.timedelta(days=7))


def fault_labels(out: Path) -> list[dict[str, Any]]:
    lines = (out / "registry" / "faults.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture
def demo_registry(demo_out: Path, db: None) -> Path:
    """The demo registry loaded into the test database."""
    from ringfence.demo.load import load_registry

    load_registry(demo_out)
    return demo_out


SMALL_DAY = dt.date(2026, 10, 19)


@pytest.fixture
def small_registry(db: None) -> dt.datetime:
    """A hand-made registry: one branch, a manager, staff, a leaver, an affiliate; CIS with five accounts.

    Returns the moment it describes (00:00 JST on SMALL_DAY).
    """
    from ringfence.registry import services as s

    a = "test"
    since = dt.date(2020, 4, 1)
    s.create_unit("H000", name="本店", kind="head_office", effective=since, actor=a)
    s.create_unit("D06", name="お客さま本部", kind="division", parent_code="H000", effective=since, actor=a)
    s.create_unit("B100", name="中央支社", kind="branch", parent_code="H000", effective=since, actor=a)
    for number, name, unit, etype in [
        ("1000001", "支社 長男", "B100", "own_employee"),
        ("1000002", "担当 花子", "B100", "own_employee"),
        ("1000003", "退職 太郎", "B100", "own_employee"),
        ("1000009", "本店 部長", "H000", "own_employee"),
        ("A000001", "関連 会社", "H000", "affiliate"),
    ]:
        s.hire_person(number, name_kanji=name, unit_code=unit, employment_type=etype, effective=since, actor=a,
                      email=f"{number}@example.jp")  # fmt: skip
    s.retire_person("1000003", effective=dt.date(2026, 4, 1), actor=a)
    s.assign_responsibility("B100", "1000001", "line_manager", effective_from=since, actor=a)
    s.assign_responsibility("H000", "1000009", "line_manager", effective_from=since, actor=a)
    s.catalogue_system("CIS", name_ja="顧客情報管理システム", owner_unit_code="D06", holds_non_public=True,
                       effective=since, actor=a)  # fmt: skip
    s.save_role("CUSTOMER", "お客さま対応担当", actor=a)
    s.grant_entitlement("CIS", role_code="CUSTOMER", level="update", effective_from=since, actor=a)
    for number in ("1000001", "1000002", "1000003"):
        s.add_role_member("CUSTOMER", number, effective_from=since, actor=a)
    changed = {
        "1000001": dt.datetime(2026, 10, 5, 10, tzinfo=dt.UTC),
        "1000002": dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC),
        "1000003": None,
        "A000001": dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC),
    }
    for number, when in changed.items():
        s.register_account("CIS", number.lower(), owner_employee_number=number, privilege="update",
                           created_on=since, effective=since, actor=a)  # fmt: skip
        if when is not None:
            s.change_account("CIS", number.lower(), password_changed_at=when, effective=since, actor=a)
    s.register_account("CIS", "cis_kyoyo01", kind="shared", owner_employee_number="1000001", privilege="update",
                       created_on=since, effective=since, actor=a)  # fmt: skip
    return start_of_day_jst(SMALL_DAY)

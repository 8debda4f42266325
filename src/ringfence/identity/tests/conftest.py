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

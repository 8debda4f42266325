"""Fixtures of the analysis tests: the small demo utility (registry and ingested week) in the test database and
a lake of its own, and logins for each role involved in sign-off."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from ringfence.demo.generate import generate_demo

SEED = 7


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo, generated once per session (registry files, logs, labels)."""
    out = tmp_path_factory.mktemp("analysis-demo") / "out"
    generate_demo(out, seed=SEED, size="small")
    return out


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A data directory and lake of the test's own; messages in English."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.LAKE_DIR = settings.DATA_DIR / "lake"
    with translation.override("en"):
        yield settings.DATA_DIR


@pytest.fixture
def demo_world(demo_out: Path, data_dir: Path, db: None) -> Path:
    """The demo registry loaded into the test database and its week ingested into the test's lake."""
    from ringfence.demo.ingest import ingest_demo_logs
    from ringfence.demo.load import load_registry

    load_registry(demo_out)
    ingest_demo_logs(demo_out / "logs")
    return demo_out


def week_of(out: Path) -> tuple[Any, Any]:
    """The demo week as [start, end) in JST."""
    import datetime as dt

    from ringfence.core.timeutil import start_of_day_jst

    manifest = json.loads((out / "demo.json").read_text("utf-8"))
    first = dt.date.fromisoformat(manifest["week_start"])
    return start_of_day_jst(first), start_of_day_jst(first + dt.timedelta(days=7))


def labels(out: Path) -> list[dict[str, Any]]:
    """The demo's scenario labels."""
    return [
        json.loads(line) for line in (out / "labels.jsonl").read_text("utf-8").splitlines() if line.strip()
    ]

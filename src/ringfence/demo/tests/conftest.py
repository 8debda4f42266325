"""A small demo generated once per test session (the generator is deterministic, so sharing it is safe)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ringfence.demo.generate import generate_demo

SEED = 7


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    generate_demo(out, seed=SEED, size="small")
    return out


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def registry(demo_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Every registry table as read by the csv module (the people master in CP932)."""
    tables = {p.stem: read_csv(p) for p in (demo_dir / "registry").glob("*.csv") if p.stem != "people"}
    tables["people"] = read_csv(demo_dir / "registry" / "people.csv", encoding="cp932")
    return tables


@pytest.fixture(scope="session")
def labels(demo_dir: Path) -> list[dict[str, Any]]:
    return read_jsonl(demo_dir / "labels.jsonl")

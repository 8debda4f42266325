"""The same seed gives byte-identical files; another seed gives different ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ringfence.demo.generate import generate_demo

from .conftest import SEED


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_same_seed_gives_byte_identical_files(demo_dir: Path, tmp_path: Path) -> None:
    generate_demo(tmp_path / "again", seed=SEED, size="small")
    first, second = _digests(demo_dir), _digests(tmp_path / "again")
    assert len(first) > 150
    assert first == second


def test_another_seed_gives_different_files(demo_dir: Path, tmp_path: Path) -> None:
    generate_demo(tmp_path / "other", seed=SEED + 1, size="small")
    first, other = _digests(demo_dir), _digests(tmp_path / "other")
    for name in (
        "registry/people.csv",
        "registry/accounts.csv",
        "labels.jsonl",
        "logs/CIS/access_20261013.csv",
    ):
        assert first[name] != other[name], name


def test_week_start_moves_the_logs(tmp_path: Path) -> None:
    import datetime as dt

    generate_demo(tmp_path / "w", seed=SEED, size="small", week_start=dt.date(2026, 11, 2))
    days = sorted(p.name for p in (tmp_path / "w" / "logs" / "CIS").iterdir())
    assert days[0] == "access_20261102.csv"
    assert days[-1] == "access_20261108.csv"

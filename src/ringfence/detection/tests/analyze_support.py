"""Shared helpers of the analyze tests (no tests here): a registry world, a lake holding a day of its
events, and the rules the tests run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ringfence.core.timeutil import JST
from ringfence.detection.engine import RuleSet, load_ruleset
from ringfence.logs import lake
from ringfence.logs.tests.test_lake_support import make_events
from ringfence.registry.tests.conftest import build_world

from .engine_support import AFFILIATE, FAILED, write_rules

DAY = dt.date(2024, 10, 1)
AFF = "6b1f1c52-0000-4000-8000-000000000001"
BURST = "6b1f1c52-0000-4000-8000-000000000003"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=JST)


def day_events() -> list[dict[str, Any]]:
    """On 2024-10-01: u001 (owned by E003, affiliate staff, since 2024-09-01) views CIS three times;
    svc01 views once; four failed logons from 192.168.5.10 within nine minutes; one other failure."""
    rows: list[dict[str, Any]] = [
        {"time": at(9, 0), "account": "u001", "src_ip": "10.20.1.5"},
        {"time": at(9, 30), "account": "u001", "src_ip": "10.20.1.5"},
        {"time": at(14, 0), "account": "u001", "src_ip": "10.20.1.5"},
        {"time": at(10, 0), "account": "svc01", "src_ip": "10.1.0.9"},
    ]
    for minute in (0, 3, 6, 9):
        rows.append({"time": at(20, minute), "account": "x777", "activity": "logon", "outcome": "failure",
                     "class": "authentication", "src_ip": "192.168.5.10"})  # fmt: skip
    rows.append({"time": at(21, 0), "account": "e002", "activity": "logon", "outcome": "failure",
                 "class": "authentication", "src_ip": "10.20.1.6"})  # fmt: skip
    return rows


def make_world(settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Registry world, a lake with ``day_events`` (source file logs/app.log, lines 1–9), the rules folder
    and the rule set of only those rules (``ruleset``)."""
    settings.DATA_DIR = tmp_path / "data"
    settings.LAKE_DIR = tmp_path / "data" / "lake"
    settings.DATA_DIR.mkdir()
    build_world()
    log_file = tmp_path / "demo" / "logs" / "app.log"
    table = make_events(day_events(), source_file=str(log_file))
    lake.append(table)
    rules = write_rules(tmp_path / "rules", affiliate=AFFILIATE, failed=FAILED)
    return {
        "rules": rules,
        "events": table,
        "log_file": log_file,
        "tmp": tmp_path,
        "ruleset": lambda: own_rules(rules),
    }


def own_rules(folder: Path) -> RuleSet:
    """The rules of ``folder`` only (not the built-in pack), with the database settings."""
    return load_ruleset(rules_dir=folder, include_builtin=False)

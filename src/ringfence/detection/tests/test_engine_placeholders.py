"""Placeholders for Sigma's ``expand`` come from the registry snapshot; a rule using them runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from ringfence.detection.engine import evaluate, load_ruleset
from ringfence.detection.engine.placeholders import PLACEHOLDER_NAMES, registry_placeholders
from ringfence.detection.enrich import snapshot_registry
from ringfence.registry.tests.conftest import build_world

from .engine_support import at, rows, write_rules

pytestmark = pytest.mark.django_db

EXPAND = """
title: Address in an affiliate segment
id: 6b1f1c52-0000-4000-8000-000000000010
name: t_expand
logsource: {product: ringfence, service: enriched}
detection:
  sel:
    net_segment|expand: '%affiliate_segments%'
  staff:
    owner|expand: '%affiliate_people%'
  condition: sel or staff
level: high
"""


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    build_world()
    return tmp_path


def test_values_are_the_registry_as_it_is_now(world: Path) -> None:
    values = registry_placeholders(snapshot_registry(world / "snapshot"))
    assert set(values) == set(PLACEHOLDER_NAMES)
    assert values["own_employees"] == ("E001",)  # E002 retired, E003 is the affiliate's
    assert values["affiliate_people"] == ("E003",)
    assert values["affiliate_zones"] == ("AFF",) and values["td_only_zones"] == ("TD",)
    assert values["affiliate_segments"] == ("192.168.5.0/24",)
    assert values["service_accounts"] == ("svc01",)
    # u001 now belongs to E003 (affiliate), e002 to a retiree: no account of an own employee
    assert values["own_employee_accounts"] == ()


def test_a_rule_with_expand_is_bound_to_the_registry_and_matches(world: Path) -> None:
    folder = write_rules(world / "rules", expand=EXPAND)
    ruleset = load_ruleset(rules_dir=folder, include_builtin=False)
    assert ruleset.placeholders["affiliate_segments"] == ("192.168.5.0/24",)
    events = [
        {"event_id": "in", "time": at(13, 9), "system": "CIS", "account": "x", "net_segment": "192.168.5.0/24"},
        {"event_id": "out", "time": at(13, 9), "system": "CIS", "account": "y", "net_segment": "10.20.0.0/16"},
        {"event_id": "staff", "time": at(13, 10), "system": "CIS", "account": "u001", "owner": "E003",
         "src_ip": "10.20.1.5"},
    ]  # fmt: skip
    con = duckdb.connect()
    con.register("enriched", rows(events))
    assert set(evaluate(con, ruleset).column("event_id").to_pylist()) == {"in", "staff"}

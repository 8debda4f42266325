"""``ringfence demo --no-serve`` through the click runner writes the demo and loads the registry, whose history
then agrees with the labels (who had retired, which terminal was lent, which zone an address is in)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringfence.cli.main import cli
from ringfence.core.timeutil import JST


def _labels(out: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (out / "labels.jsonl").read_text("utf-8").splitlines()]
    return {row["kind"]: row for row in rows}


@pytest.mark.django_db
def test_demo_no_serve_writes_and_loads_the_registry(tmp_path: Path) -> None:
    from ringfence.registry.models import Account, InformationSystem, Person, Terminal
    from ringfence.registry.selectors.asof import account_owner_at, person_at, terminal_at, zone_of_ip

    out = tmp_path / "demo"
    result = CliRunner().invoke(
        cli, ["demo", "--no-serve", "--out", str(out), "--size", "small", "--seed", "3"]
    )
    if result.exc_info and result.exit_code:
        import traceback

        traceback.print_exception(*result.exc_info)
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "registry loaded" in result.output
    manifest = json.loads((out / "demo.json").read_text("utf-8"))
    assert Person.objects.count() == sum(manifest["people"].values())
    assert InformationSystem.objects.count() == 23
    assert Account.objects.count() == manifest["accounts"]
    assert Terminal.objects.count() == manifest["terminals"]

    labels = _labels(out)
    retiree = labels["retiree_id_in_use"]
    used_at = dt.datetime.fromisoformat(retiree["start"])
    before = person_at(retiree["person"], dt.datetime(2026, 10, 1, tzinfo=JST))
    then = person_at(retiree["person"], used_at)
    assert before is not None and before.status == "active"
    assert then is not None and then.status == "retired"
    owner = account_owner_at(retiree["system"], retiree["account"], used_at)
    assert owner.status == "enabled" and owner.owner_employee_number == retiree["person"]

    lent = labels["lent_terminal_affiliate_use"]
    terminal = terminal_at(dt.datetime.fromisoformat(lent["start"]), asset_tag=lent["terminal"])
    assert terminal is not None and terminal.status == "lent"
    zone = zone_of_ip(
        lent["segment"].split("/")[0].rsplit(".", 1)[0] + ".200", dt.datetime.fromisoformat(lent["start"])
    )
    assert zone is not None and zone.zone is not None and zone.zone.kind == "affiliate"

    orphan = labels["orphaned_id_in_use"]
    assert account_owner_at(orphan["system"], orphan["account"], used_at).state == "no_owner"

    # A second run finds the same demo and the loaded registry and starts at once.
    again = CliRunner().invoke(
        cli, ["demo", "--no-serve", "--out", str(out), "--size", "small", "--seed", "3"]
    )
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output and "already loaded" in again.output


def test_demo_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--out", str(tmp_path), "--size", "small"])
    assert result.exit_code != 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "registry").exists()

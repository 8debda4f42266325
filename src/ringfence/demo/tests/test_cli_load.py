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
def test_demo_no_serve_writes_and_loads_the_registry(settings, tmp_path: Path) -> None:
    from ringfence.registry.models import Account, InformationSystem, Person, Terminal
    from ringfence.registry.selectors.asof import account_owner_at, person_at, terminal_at, zone_of_ip

    settings.DATA_DIR = tmp_path / "data"  # never the developer's own data directory and lake
    settings.LAKE_DIR = tmp_path / "data" / "lake"
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        cli, ["demo", "--no-serve", "--no-ingest", "--out", str(out), "--size", "small", "--seed", "3"]
    )
    if result.exc_info and result.exit_code:
        import traceback

        traceback.print_exception(*result.exc_info)
    assert result.exit_code == 0, result.output + repr(result.exception)
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

    # The demo logins: one per role, all with the printed password.
    from django.contrib.auth import get_user_model

    from ringfence.authz.models import RoleAssignment
    from ringfence.demo.load import DEMO_ROLES, create_demo_logins

    password, logins = create_demo_logins(out)
    assert [login.username for login in logins] == [row[0] for row in DEMO_ROLES]
    for login in logins:
        user = get_user_model().objects.get(username=login.username)
        assert user.check_password(password)
        assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == set(
            login.roles
        )
    assert password not in (out / "logins.json").read_text("utf-8")

    # A second run finds the same demo and the loaded registry: it neither rewrites nor re-imports.
    from ringfence.audit.models import AuditEvent

    written = (out / "demo.json").stat().st_mtime_ns
    imports = AuditEvent.objects.filter(action="import").count()
    assert imports >= 14
    again = CliRunner().invoke(
        cli, ["demo", "--no-serve", "--no-ingest", "--out", str(out), "--size", "small", "--seed", "3"]
    )
    assert again.exit_code == 0, again.output
    assert (out / "demo.json").stat().st_mtime_ns == written
    assert AuditEvent.objects.filter(action="import").count() == imports


def test_demo_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--out", str(tmp_path), "--size", "small"])
    assert result.exit_code != 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "registry").exists()


@pytest.mark.slow
def test_demo_serves_the_ui_on_a_real_socket(tmp_path: Path) -> None:
    """Without --no-serve the command loads, prints the logins and serves on 127.0.0.1 (own SQLite)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["RINGFENCE_DATA_DIR"] = str(tmp_path / "data")
    ringfence = Path(sys.executable).with_name("ringfence")
    process = subprocess.Popen(
        [str(ringfence), "demo", "--size", "small", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output = []
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "serving on" in line:
                break
        text = "".join(output)
        assert "serving on" in text, text
        import re

        assert all(name in text for name in ("demo-admin", "demo-manager", "demo-reviewer"))
        assert re.search(r"Demo-[A-Za-z0-9_-]{16}", text), text
        assert (tmp_path / "data" / "demo" / "labels.jsonl").is_file()
        # the week was ingested before serving, so the event search is not empty
        assert any((tmp_path / "data" / "lake" / "events").rglob("*.parquet"))
        assert (tmp_path / "data" / "sources" / "jsonl.toml").is_file()
        for _ in range(50):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as response:
                    assert response.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the UI did not answer")
    finally:
        process.terminate()
        process.wait(timeout=30)

"""``ringfence demo --no-serve`` ingests its week of logs into the lake: every event the generator wrote is
stored once, nothing is quarantined, a second run stores nothing, and the lake verifies clean."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringfence.cli.main import cli
from ringfence.demo.ingest import SHIPPED_SOURCES, write_source_definitions


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    if result.exc_info and result.exit_code:
        import traceback

        traceback.print_exception(*result.exc_info)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _lake_events(lake: Path) -> int:
    from ringfence.logs.lake.query import connect

    row = connect(root=lake).execute("SELECT count(*) FROM events").fetchone()
    assert row is not None
    return int(row[0])


def _lake_files() -> set[str]:
    from ringfence.logs.lake.layout import lake_dir
    from ringfence.logs.lake.manifest import scan

    return {str(f) for f in scan(lake_dir()).live}


@pytest.mark.django_db
def test_demo_ingests_its_week_once_and_the_lake_verifies(settings, tmp_path: Path) -> None:
    from ringfence.logs.ingest.models import FileCheckpoint, QuarantinedLine

    settings.DATA_DIR = tmp_path / "data"
    settings.LAKE_DIR = tmp_path / "data" / "lake"
    out = tmp_path / "demo"
    first = _invoke("demo", "--no-serve", "--out", str(out), "--size", "small", "--seed", "5")
    manifest = json.loads((out / "demo.json").read_text("utf-8"))
    assert manifest["events"] > 15_000
    assert _lake_events(settings.LAKE_DIR) == manifest["events"]
    assert QuarantinedLine.objects.count() == 0
    assert f"{manifest['events']:,}" in first  # the summary names the count stored
    # the output folder and the data directory both carry the definitions, byte for byte
    shipped = {p.name: p.read_bytes() for p in SHIPPED_SOURCES.glob("*.toml")}
    assert len(shipped) == 11
    for folder in (out / "sources", settings.DATA_DIR / "sources"):
        assert {p.name: p.read_bytes() for p in folder.glob("*.toml")} == shipped

    lake_files = _lake_files()
    checkpoints = FileCheckpoint.objects.count()
    log_files = [p for p in (out / "logs").rglob("*") if p.is_file() and p.name != "sources.json"]
    assert checkpoints == len(log_files) > 100  # one per file of the week

    _invoke("demo", "--no-serve", "--out", str(out), "--size", "small", "--seed", "5")
    assert _lake_events(settings.LAKE_DIR) == manifest["events"]
    assert _lake_files() == lake_files  # nothing new was written to the lake
    assert FileCheckpoint.objects.count() == checkpoints

    verified = CliRunner().invoke(cli, ["verify"])
    assert verified.exit_code == 0, verified.output


@pytest.mark.django_db
def test_no_ingest_leaves_the_lake_empty_and_ingest_by_hand_fills_it(settings, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path / "data"
    settings.LAKE_DIR = tmp_path / "data" / "lake"
    out = tmp_path / "demo"
    output = _invoke("demo", "--no-serve", "--no-ingest", "--out", str(out), "--size", "small", "--seed", "6")
    assert "logs ingested" not in output
    assert not settings.LAKE_DIR.exists() or _lake_events(settings.LAKE_DIR) == 0
    # the documented command, with the folder's own definitions
    by_hand = _invoke("ingest", str(out / "logs"), "--sources-dir", str(out / "sources"), "--json")
    manifest = json.loads((out / "demo.json").read_text("utf-8"))
    report = json.loads(by_hand.strip().splitlines()[-1])
    assert report["stored"] == manifest["events"] and report["quarantined"] == 0
    assert _lake_events(settings.LAKE_DIR) == manifest["events"]


def test_write_source_definitions_keeps_other_files(tmp_path: Path) -> None:
    own = tmp_path / "mine.toml"
    own.write_text('id = "mine"\n', "utf-8")
    stale = tmp_path / "jsonl.toml"
    stale.write_text("# an old copy\n", "utf-8")
    written = write_source_definitions(tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in SHIPPED_SOURCES.glob("*.toml"))
    assert own.read_text("utf-8") == 'id = "mine"\n'
    assert stale.read_bytes() == (SHIPPED_SOURCES / "jsonl.toml").read_bytes()

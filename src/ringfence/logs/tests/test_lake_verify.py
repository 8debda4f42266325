"""``ringfence verify``: an intact lake passes; every altered, removed or inserted file and every change to
the manifest is named, and the command exits non-zero."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from ringfence.cli.main import cli
from ringfence.logs import lake
from ringfence.logs.lake.manifest import ManifestBroken, canonical, entry_hash, genesis, manifest_path

from .test_lake_support import hourly, jst, lake_root

__all__ = ["lake_root"]

pytestmark = pytest.mark.django_db


def run_verify(*args: str):
    return CliRunner().invoke(cli, ["verify", *args])


@pytest.fixture
def filled(lake_root):
    """A lake with two systems over three JST days, written in two batches (six files or more)."""
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 72, "cis.log"))
    lake.append(hourly("MDMS", jst(2026, 10, 1, 0), 72, "mdms.log"))
    return lake_root


def manifest_lines(root):
    return manifest_path(root).read_text(encoding="utf-8").splitlines(keepends=True)


def test_intact_lake_exits_zero_with_a_one_line_summary(filled):
    report = lake.verify_lake()
    assert report.ok and report.files == 6 and report.rows == 144
    assert report.bytes == sum(p.stat().st_size for p in filled.rglob("*.parquet"))
    result = run_verify()
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "6" in lines[0] and "144" in lines[0] and report.head_hash in lines[0]


def test_an_altered_file_and_a_deleted_file_are_both_named(filled):
    files = sorted(f.path for f in lake.live_files())
    altered, deleted = files[0], files[3]
    target = filled / altered
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, in the middle of the data pages
    target.write_bytes(bytes(data))
    (filled / deleted).unlink()
    result = run_verify()
    assert result.exit_code != 0
    problem_lines = [line for line in result.output.splitlines() if line.startswith(("altered", "missing"))]
    assert any(altered in line and line.startswith("altered") for line in problem_lines), result.output
    assert any(deleted in line and line.startswith("missing") for line in problem_lines), result.output
    assert len(problem_lines) == 2
    report = json.loads(run_verify("--json").output)
    assert report["ok"] is False
    assert {(p["kind"], p["path"]) for p in report["problems"]} == {
        ("altered", altered),
        ("missing", deleted),
    }


def test_a_file_inserted_behind_the_manifest_is_named_and_not_queried(filled):
    first = sorted(f.path for f in lake.live_files())[0]
    stray = filled / first.replace("part-", "part-999-")
    stray.write_bytes((filled / first).read_bytes())
    result = run_verify()
    assert result.exit_code != 0
    assert f"inserted: {stray.relative_to(filled).as_posix()}" in result.output
    total = lake.connect().execute("SELECT count(*) FROM events").fetchall()[0][0]
    assert total == 144  # the stray copy's events do not leak into analyses


def test_an_edited_manifest_line_breaks_the_chain(filled):
    lines = manifest_lines(filled)
    entry = json.loads(lines[2])
    entry["rows"] += 1  # claim one more event; the entry's own hash no longer fits
    lines[2] = canonical(entry).decode() + "\n"
    manifest_path(filled).write_text("".join(lines), encoding="utf-8")
    report = lake.verify_lake()
    assert [p.kind for p in report.problems] == ["chain"]
    assert "line 3" in report.problems[0].message and "altered" in report.problems[0].message
    assert run_verify().exit_code != 0


def test_an_edited_line_with_a_recomputed_hash_still_breaks_the_chain(filled):
    lines = manifest_lines(filled)
    entry = json.loads(lines[2])
    entry["sha256"] = "0" * 64
    entry["hash"] = entry_hash(entry)
    lines[2] = canonical(entry).decode() + "\n"
    manifest_path(filled).write_text("".join(lines), encoding="utf-8")
    kinds = {p.kind for p in lake.verify_lake().problems}
    assert "chain" in kinds  # the next entry's prev no longer matches
    assert "altered" in kinds  # and the file no longer matches the forged hash


def test_a_removed_manifest_line_is_detected(filled):
    lines = manifest_lines(filled)
    del lines[3]
    manifest_path(filled).write_text("".join(lines), encoding="utf-8")
    report = lake.verify_lake()
    assert any(p.kind == "chain" and "line 4" in p.message for p in report.problems)
    assert any(p.kind == "inserted" for p in report.problems)  # its file is no longer listed


def test_a_truncated_manifest_tail_is_detected_against_the_database_head(filled):
    lines = manifest_lines(filled)
    removed = [json.loads(line)["path"] for line in lines[-3:]]
    manifest_path(filled).write_text("".join(lines[:-3]), encoding="utf-8")
    for path in removed:  # a careful intruder removes the files too, so the rest looks consistent
        (filled / path).unlink()
    report = lake.verify_lake()
    messages = [p.message for p in report.problems if p.kind == "chain"]
    assert any("truncated" in m for m in messages), report.problems
    result = run_verify()
    assert result.exit_code != 0 and "truncated" in result.output


def test_a_manifest_replaced_by_a_fresh_valid_chain_is_detected(filled):
    lines = [genesis("intruder")]
    manifest_path(filled).write_text(canonical(lines[0]).decode() + "\n", encoding="utf-8")
    for part in filled.rglob("*.parquet"):
        part.unlink()
    report = lake.verify_lake()
    assert any(p.kind == "chain" and "replaced" in p.message for p in report.problems), report.problems


def test_a_deleted_manifest_is_detected(filled):
    manifest_path(filled).unlink()
    report = lake.verify_lake()
    assert any(p.kind == "chain" and "missing" in p.message for p in report.problems)
    assert sum(p.kind == "inserted" for p in report.problems) == 6


def test_writers_refuse_to_continue_a_tampered_manifest(filled):
    lines = manifest_lines(filled)
    manifest_path(filled).write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(ManifestBroken):
        lake.append(hourly("CIS", jst(2026, 10, 9, 0), 2, "later.log"))
    assert manifest_lines(filled) == lines[:-1]


def _documented_snippet() -> str:
    docs = Path(__file__).resolve().parents[4] / "docs" / "lake.md"
    text = docs.read_text(encoding="utf-8")
    section = text[text.index("## Checking integrity by hand") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_manual_check_agrees(filled):
    snippet = _documented_snippet()
    result = subprocess.run(
        [sys.executable, "-c", snippet, str(filled)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    listed = dict(line.split("  ", 1)[::-1] for line in result.stdout.splitlines())
    assert set(listed) == {f.path for f in lake.live_files()}
    report = lake.verify_lake()
    assert f"head {report.head_seq} {report.head_hash}" in result.stderr
    (filled / "lake.sha256").write_text(result.stdout, encoding="utf-8")
    if shutil.which("sha256sum"):
        intact = subprocess.run(["sha256sum", "--check", "--quiet", "lake.sha256"], cwd=filled, check=False)
        assert intact.returncode == 0
        victim = filled / sorted(listed)[0]
        victim.write_bytes(victim.read_bytes() + b"x")
        checked = subprocess.run(
            ["sha256sum", "--check", "--quiet", "lake.sha256"],
            cwd=filled,
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode != 0 and sorted(listed)[0] in checked.stdout
    lines = manifest_lines(filled)
    lines[1] = lines[1].replace('"rows":', '"rows":1')
    manifest_path(filled).write_text("".join(lines), encoding="utf-8")
    tampered = subprocess.run(
        [sys.executable, "-c", snippet, str(filled)], capture_output=True, text=True, check=False
    )
    assert tampered.returncode != 0 and "line 2" in tampered.stderr


@hyp_settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_byte_changed_in_the_manifest_is_detected(filled, data):
    path = manifest_path(filled)
    original = path.read_bytes()
    position = data.draw(st.integers(min_value=0, max_value=len(original) - 1), label="position")
    replacement = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b: b != original[position]))
    changed = bytearray(original)
    changed[position] = replacement
    path.write_bytes(bytes(changed))
    try:
        assert not lake.verify_lake().ok
    finally:
        path.write_bytes(original)
    assert lake.verify_lake().ok

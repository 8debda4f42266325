"""Batch ingest against a real lake and database: the demo week, re-runs, compressed copies, quarantine."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ringfence.core.errors import BadInput
from ringfence.demo.generate import generate_demo
from ringfence.logs.ingest.batch import BatchIngest
from ringfence.logs.ingest.models import FileCheckpoint, QuarantinedLine, SourceTally
from ringfence.logs.ingest.routing import SourceRouter, load_definitions
from ringfence.logs.ingest.syslog_intake import split_frames
from ringfence.logs.lake.query import connect

SAMPLES = Path(__file__).parents[2] / "demo" / "sources"
HEADER = "日時,利用者ID,端末名,IPアドレス,操作区分,画面ID,対象ID,件数,結果"


@pytest.fixture
def lake(settings, tmp_path: Path) -> Path:
    settings.LAKE_DIR = tmp_path / "lake"
    settings.DATA_DIR = tmp_path
    return tmp_path / "lake"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, seed=11, size="small")
    return out


def _ingest(*paths: Path, source: str | None = None, workers: int = 1) -> BatchIngest:
    job = BatchIngest(SourceRouter(load_definitions(SAMPLES), source), workers=workers)
    job.run(list(paths))
    return job


def _raw(lake: Path) -> list[str]:
    return [row[0] for row in connect(root=lake).execute("SELECT raw FROM events").fetchall()]


def _csv(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp932"))
    return path


def _row(n: int, op: str = "照会", result: str = "成功") -> str:
    return f"2026/10/13 10:{n // 60 % 60:02d}:{n % 60:02d},U{n:05d},TDB001-0001,10.1.1.1,{op},DSP010,03{n:020d},1,{result}"


@pytest.mark.django_db
def test_the_demo_week_ingests_from_all_its_formats_and_a_rerun_adds_nothing(demo: Path, lake: Path) -> None:
    expected = json.loads((demo / "demo.json").read_text())["events"]
    first = _ingest(demo / "logs").summary
    systems = {
        entry["system"] for entry in json.loads((demo / "logs" / "sources.json").read_text())["systems"]
    }
    assert first.totals.stored == expected
    assert first.totals.quarantined == 0
    assert first.totals.read == first.totals.stored + first.totals.skipped
    stored_systems = {
        row[0] for row in connect(root=lake).execute("SELECT DISTINCT system FROM events").fetchall()
    }
    assert stored_systems == systems and len(systems) == 23

    again = _ingest(demo / "logs", workers=2).summary
    assert again.totals.stored == 0
    assert again.totals.duplicates == expected
    assert again.files_unchanged == again.files == first.files
    assert connect(root=lake).execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone() == (
        expected,
        expected,
    )
    assert SourceTally.objects.filter(source="takuso-access").get().events > 0


@pytest.mark.django_db
def test_parsing_in_worker_processes_stores_the_same_events(demo: Path, lake: Path) -> None:
    expected = json.loads((demo / "demo.json").read_text())["events"]
    summary = _ingest(demo / "logs", workers=2).summary
    assert (summary.totals.stored, summary.totals.duplicates) == (expected, 0)
    assert summary.files == len([p for p in (demo / "logs").rglob("*") if p.is_file()]) - 1  # sources.json
    assert FileCheckpoint.objects.count() == summary.files
    assert _ingest(demo / "logs").summary.totals.stored == 0


@pytest.mark.django_db
def test_compressed_copies_are_the_same_file_and_a_bad_line_is_quarantined_with_its_place(
    tmp_path: Path, lake: Path
) -> None:
    rows = [_row(n) for n in range(50)]
    rows[9] = _row(9, op="謎の操作")  # not in the strict value mapping
    plain = _csv(tmp_path / "in" / "TAKUSO" / "access_20261013.csv", rows)
    summary = _ingest(plain).summary
    assert (summary.totals.stored, summary.totals.quarantined, summary.totals.skipped) == (49, 1, 1)
    bad = QuarantinedLine.objects.get()
    assert (bad.line, bad.source, bad.source_file) == (11, "takuso-access", str(plain))
    assert "謎の操作" in bad.raw and bad.reason

    gz = tmp_path / "gz" / "TAKUSO" / "access_20261013.csv.gz"
    gz.parent.mkdir(parents=True)
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    archive = tmp_path / "zip" / "TAKUSO" / "week.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(plain, "logs/access_20261013.csv")
    for copy in (gz, archive):
        result = _ingest(copy).summary
        assert result.totals.stored == 0 and result.totals.duplicates == 49, copy
    assert QuarantinedLine.objects.count() == 1
    assert len(_raw(lake)) == 49


@pytest.mark.django_db
def test_a_grown_file_resumes_and_a_rewritten_file_loses_nothing(tmp_path: Path, lake: Path) -> None:
    path = _csv(tmp_path / "TAKUSO" / "access_20261013.csv", [_row(n) for n in range(20)])
    _ingest(path)
    with path.open("ab") as handle:
        handle.write(("\r\n".join(_row(n) for n in range(20, 30)) + "\r\n").encode("cp932"))
    grown = _ingest(path).summary
    assert (grown.files_resumed, grown.totals.stored, grown.totals.read) == (1, 10, 10)
    assert FileCheckpoint.objects.get().offset == path.stat().st_size

    # Same name, different content (a rewritten export): new lines at old offsets must not pass as known.
    _csv(path, [_row(n, op="検索") for n in range(100, 130)])
    rewritten = _ingest(path).summary
    assert rewritten.totals.stored == 30
    assert rewritten.notes and "access_20261013.csv" in rewritten.notes[0]
    assert len(_raw(lake)) == 60
    assert FileCheckpoint.objects.filter(name="access_20261013.csv").count() == 2


@pytest.mark.django_db
def test_inputs_that_cannot_be_used_stop_the_run_before_anything_is_written(
    tmp_path: Path, lake: Path
) -> None:
    good = _csv(tmp_path / "TAKUSO" / "access_20261013.csv", [_row(1)])
    stray = tmp_path / "UNKNOWN" / "x.log"
    stray.parent.mkdir()
    stray.write_text("hello\n")
    with pytest.raises(BadInput) as excinfo:
        _ingest(good, stray, tmp_path / "missing.csv")
    assert "missing.csv" in " ".join(str(problem) for problem in excinfo.value.problems)
    with pytest.raises(BadInput) as excinfo:
        _ingest(good, stray)
    assert "x.log" in " ".join(str(problem) for problem in excinfo.value.problems)
    assert not (lake / "manifest.jsonl").exists() or not _raw(lake)


@hsettings(max_examples=200, deadline=None)
@given(
    messages=st.lists(st.binary(min_size=1, max_size=40).filter(lambda m: b"\n" not in m and b"\x00" not in m
                                                                and not m[:1].isdigit() and m.strip(b"\r") == m),
                      max_size=20),
    octet=st.lists(st.booleans(), min_size=20, max_size=20),
    cut=st.integers(min_value=1, max_value=50),
)  # fmt: skip
def test_tcp_framing_returns_every_message_whatever_the_framing_and_segment_boundaries(
    messages: list[bytes], octet: list[bool], cut: int
) -> None:
    stream = b"".join(
        (str(len(m)).encode() + b" " + m) if octet[i] else m + b"\n" for i, m in enumerate(messages)
    )
    received: list[bytes] = []
    pending = b""
    for start in range(0, len(stream), cut):
        pending += stream[start : start + cut]
        found, pending = split_frames(pending)
        received.extend(found)
    assert pending == b""
    assert received == messages

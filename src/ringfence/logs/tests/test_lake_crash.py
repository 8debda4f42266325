"""Crashes and failing disks: acknowledged events survive kill -9, unfinished writes are undone, a full disk
or an unusable directory stops with a clear error naming the path and leaves the lake as it was."""

from __future__ import annotations

import errno
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ringfence.core.errors import RingfenceError
from ringfence.logs import lake
from ringfence.logs.lake.durable import io_error
from ringfence.logs.lake.manifest import Op, RemoveReason, append_lines, build_entries, manifest_path
from ringfence.logs.lake.session import writer_session
from ringfence.logs.lake.writer import conform, split_by_partition, write_files

from .test_lake_support import hourly, jst, lake_root

__all__ = ["lake_root"]

pytestmark = pytest.mark.django_db


# --- states a crashed writer leaves, made on purpose -----------------------------------------------------


def test_files_of_a_write_that_never_reached_the_manifest_are_removed_at_start_up(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 3, "a.log"))
    parts = split_by_partition(conform(hourly("CIS", jst(2026, 10, 2, 0), 3, "b.log")))
    with writer_session("crashing-writer") as session:
        drafts, _intent = write_files(session, parts)  # renamed into place, then "killed" before commit
    orphan = drafts[0]["path"]
    assert (lake_root / orphan).exists()
    report = lake.verify_lake()
    assert {(p.kind, p.path) for p in report.problems if p.path == orphan} == {("leftover", orphan)}
    assert lake.connect().execute("SELECT count(*) FROM events").fetchall()[0][0] == 3  # never visible
    lake.recover_lake()
    assert not (lake_root / orphan).exists()
    assert lake.verify_lake().ok


def test_a_torn_last_manifest_line_is_cut_and_writing_continues(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 3, "a.log"))
    with open(manifest_path(lake_root), "ab") as fh:
        fh.write(b'{"seq":2,"op":"add","path":"events/sys')  # power cut in the middle of a line
    assert [p.kind for p in lake.verify_lake().problems] == ["leftover"]
    lake.append(hourly("CIS", jst(2026, 10, 1, 5), 3, "b.log"))
    report = lake.verify_lake()
    assert report.ok and report.rows == 6


def test_an_incomplete_last_transaction_is_cut_whole(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 3, "a.log"))
    live = lake.live_files()[0]
    with writer_session("tester") as session:
        entries = build_entries(
            [
                {"op": Op.REMOVE, "reason": RemoveReason.COMPACTION, **live.draft()},
                {"op": Op.ADD, **live.draft()},
            ],
            session.manifest.head_seq,
            session.manifest.head_hash,
            "tester",
        )
    append_lines(lake_root, entries[:1])  # only the first entry of the transaction reached the disk
    assert [p.kind for p in lake.verify_lake().problems] == ["leftover"]
    lake.recover_lake()
    report = lake.verify_lake()
    assert report.ok and report.files == 1


def test_a_removal_recorded_but_not_carried_out_is_finished_by_recovery(lake_root):
    lake.append(hourly("CIS", jst(2019, 1, 1, 0), 3, "a.log"))
    victim = lake.live_files()[0]
    with writer_session("tester") as session:
        session.begin("manual", [], [victim.path])
        session.commit([{"op": Op.REMOVE, "reason": RemoveReason.PURGE, "note": "test", **victim.draft()}])
        # killed before unlinking
    assert {(p.kind, p.path) for p in lake.verify_lake().problems} == {
        ("leftover", "pending/manual.json"),
        ("leftover", victim.path),
    }
    lake.recover_lake()
    assert not (lake_root / victim.path).exists()
    assert lake.verify_lake().ok


# --- failing disks ------------------------------------------------------------------------------------


def test_a_full_file_system_stops_with_the_path_and_leaves_no_half_file(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 3, "a.log"))
    before = manifest_path(lake_root).read_bytes()
    big = hourly("CIS", jst(2026, 10, 2, 0), 24 * 30, "big.log")
    # The kernel refuses writes past this size with EFBIG, as a full disk refuses with ENOSPC.
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, hard))
    try:
        with pytest.raises(RingfenceError) as caught:
            lake.append(big)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    message = str(caught.value)
    assert str(lake_root / "events" / "system=CIS" / "day=2026-10-02") in message
    assert "too large" in message
    assert manifest_path(lake_root).read_bytes() == before
    assert not list(lake_root.rglob("*.tmp")) and not list((lake_root / "pending").glob("*.json"))
    assert len(list(lake_root.rglob("*.parquet"))) == 1
    assert lake.verify_lake().ok
    assert sum(f.rows for f in lake.append(big)) == 24 * 30  # and writing resumes once there is room


def test_disk_full_and_permission_errors_read_as_such(lake_root):
    full = io_error("/lake/x.parquet", OSError(errno.ENOSPC, "No space left on device"))
    denied = io_error("/lake/x.parquet", OSError(errno.EACCES, "Permission denied"))
    assert "/lake/x.parquet" in str(full) and "disk is full" in str(full)
    assert "permission denied" in str(denied)


def test_a_lake_directory_that_cannot_be_created_gives_a_clear_error(settings, tmp_path, lake_root):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the lake's parent should be")
    settings.LAKE_DIR = blocker / "lake"
    with pytest.raises(RingfenceError) as caught:
        lake.append(hourly("CIS", jst(2026, 10, 1, 0), 1, "a.log"))
    assert str(blocker / "lake") in str(caught.value)


def _make_read_only(directory: Path) -> bool:
    """Make a directory unwritable even for root (immutable attribute) or by mode; False if impossible."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        return True
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, "+i", str(directory)], capture_output=True, check=False).returncode == 0


def _make_writable(directory: Path) -> None:
    if os.geteuid() == 0 and (chattr := shutil.which("chattr")):
        subprocess.run([chattr, "-i", str(directory)], capture_output=True, check=False)
    directory.chmod(0o750)


def test_a_read_only_lake_directory_gives_permission_denied(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 1, "a.log"))
    events = lake_root / "events" / "system=CIS"
    if not _make_read_only(events):
        pytest.skip("cannot make a directory read-only for root here (no chattr +i)")
    try:
        with pytest.raises(RingfenceError) as caught:
            lake.append(hourly("CIS", jst(2026, 10, 2, 0), 1, "b.log"))
    finally:
        _make_writable(events)
    assert "permission denied" in str(caught.value)
    assert str(events / "day=2026-10-02") in str(caught.value)
    assert lake.verify_lake().ok


# --- kill -9 of a real writer process ----------------------------------------------------------------

BATCH = 1500
WRITER = textwrap.dedent(
    f"""
    import datetime as dt, sys, django
    django.setup()
    from ringfence.logs import lake
    from ringfence.logs.lake.synthetic import synthetic_events
    first = int(sys.argv[1])
    # Made before the first write, so the kill lands in lake.append rather than in making events.
    batches = [
        synthetic_events(
            {BATCH}, systems=("CIS", "MDMS", "BADGE"), start=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
            + dt.timedelta(hours=7 * batch), span=dt.timedelta(hours=30), source_file="stream.log",
            first_line=batch * {BATCH} + 1, seed=batch)
        for batch in range(first, first + 12)
    ]
    for batch, events in enumerate(batches, start=first):
        lake.append(events, origin="batch-%d" % batch)
        print("ACK", batch, flush=True)
    """
)
CHECKER = textwrap.dedent(
    f"""
    import json, django
    django.setup()
    from ringfence.logs import lake
    lake.recover_lake()
    report = lake.verify_lake()
    rows = lake.connect().execute(
        "SELECT (source_line - 1) // {BATCH}, count(*), count(DISTINCT event_id) FROM events GROUP BY 1"
    ).fetchall()
    print(json.dumps({{"problems": [str(p) for p in report.problems], "batches": {{int(b): [n, d] for b, n, d in rows}}}}))
    """
)


@pytest.fixture(scope="module")
def migrated_data_dir(tmp_path_factory) -> Path:
    """A data directory with a migrated SQLite database, made once and copied by each test."""
    template = tmp_path_factory.mktemp("lake-template")
    result = subprocess.run(
        [sys.executable, "-m", "ringfence.cli.main", "setup"],
        env=_env(template),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return template


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        RINGFENCE_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="ringfence.settings",
        RINGFENCE_LOG_LEVEL="ERROR",
    )
    return env


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9_and_batches_are_all_or_nothing(migrated_data_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(migrated_data_dir, data_dir)
    env = _env(data_dir)
    rng = random.Random(20261129)
    acknowledged: set[int] = set()
    next_batch = 0
    for _round in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(next_batch)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        acks_this_round = 0
        while acks_this_round < 2:
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "writer died"
            acknowledged.add(int(line.split()[1]))
            acks_this_round += 1
        time.sleep(rng.uniform(0, 0.1))  # land the kill anywhere in the next batches' writing
        writer.send_signal(signal.SIGKILL)
        rest, _err = writer.communicate(timeout=30)
        acknowledged |= {int(line.split()[1]) for line in rest.splitlines() if line.startswith("ACK")}
        next_batch = max(acknowledged) + 1 - rng.randint(0, 1)  # sometimes replay the last acknowledged batch
        checked = subprocess.run(
            [sys.executable, "-c", CHECKER], env=env, capture_output=True, text=True, timeout=120
        )
        assert checked.returncode == 0, checked.stderr
        state = json.loads(checked.stdout)
        assert state["problems"] == []
        batches = {int(k): v for k, v in state["batches"].items()}
        for batch in acknowledged:
            assert batches.get(batch) == [BATCH, BATCH], (batch, batches.get(batch))
        for batch, (count, distinct) in batches.items():
            assert count == distinct == BATCH, (batch, count, distinct)  # whole, and never twice


SAME_BATCH = textwrap.dedent(
    """
    import pathlib, sys, time, django
    django.setup()
    from ringfence.logs import lake
    from ringfence.logs.lake.synthetic import synthetic_events
    events = synthetic_events(20000, systems=("CIS", "MDMS"), source_file="same.log", seed=7)
    go = pathlib.Path(sys.argv[1])
    print("READY", flush=True)
    while not go.exists():
        time.sleep(0.005)
    print(sum(f.rows for f in lake.append(events)), flush=True)
    """
)


@pytest.mark.slow
def test_two_processes_appending_the_same_batch_at_once_store_it_once(migrated_data_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(migrated_data_dir, data_dir)
    env = _env(data_dir)
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", SAME_BATCH, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for writer in writers:  # both have their events in memory and wait at the start line
        assert writer.stdout is not None and writer.stdout.readline().strip() == "READY"
    go.touch()
    outputs = [writer.communicate(timeout=120) for writer in writers]
    assert all(writer.returncode == 0 for writer in writers), [err for _out, err in outputs]
    assert sorted(int(out) for out, _err in outputs) == [0, 20000]  # one stored it, the other found it stored
    checked = subprocess.run(
        [sys.executable, "-c", CHECKER], env=env, capture_output=True, text=True, timeout=120
    )
    state = json.loads(checked.stdout)
    assert state["problems"] == []
    assert sum(count for count, _distinct in state["batches"].values()) == 20000
    assert all(count == distinct for count, distinct in state["batches"].values())

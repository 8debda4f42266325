"""Compaction keeps every event and the chain; purge honours retention and is audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from ringfence.audit.models import AuditEvent
from ringfence.audit.services import verify_chain
from ringfence.cli.main import cli
from ringfence.core.errors import RingfenceError
from ringfence.logs import lake
from ringfence.logs.lake.compaction import id_fingerprint
from ringfence.logs.lake.manifest import manifest_path

from .test_lake_support import hourly, jst, lake_root

__all__ = ["lake_root"]

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 29)


def manifest_entries(root):
    return [json.loads(line) for line in manifest_path(root).read_text(encoding="utf-8").splitlines()]


def test_compaction_merges_small_files_keeping_rows_and_chain(lake_root):
    for batch in range(4):  # four small files in the same partition, as streaming ingest leaves them
        lake.append(hourly("CIS", jst(2026, 10, 1, batch * 5), 5, "stream.log", first_line=batch * 5 + 1))
    lake.append(hourly("MDMS", jst(2026, 10, 1, 0), 3, "mdms.log"))
    before = lake.connect().sql("SELECT event_id FROM events").to_arrow_table().column("event_id")
    inputs = sorted(f.path for f in lake.live_files(system="CIS"))
    assert len(inputs) == 4

    (done,) = lake.compact()
    assert sorted(f.path for f in done.inputs) == inputs
    assert done.output.rows == 20
    after_files = lake.live_files()
    assert [f.path for f in after_files if f.system == "CIS"] == [done.output.path]
    assert all(not (lake_root / path).exists() for path in inputs)
    after = lake.connect().sql("SELECT event_id FROM events").to_arrow_table().column("event_id")
    assert len(after) == len(before) == 23 and id_fingerprint(after) == id_fingerprint(before)
    entries = manifest_entries(lake_root)
    tail = entries[-5:]
    assert [e["op"] for e in tail] == ["add", "remove", "remove", "remove", "remove"]
    assert {e["reason"] for e in tail[1:]} == {"compaction"} and len({e["txn"] for e in tail}) == 1
    report = lake.verify_lake()
    assert report.ok, report.problems
    assert report.files == 2 and report.rows == 23
    assert lake.compact() == []  # nothing left to merge


def test_compaction_refuses_to_launder_an_altered_file(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 3, "a.log"))
    lake.append(hourly("CIS", jst(2026, 10, 1, 5), 3, "b.log"))
    victim = lake_root / sorted(f.path for f in lake.live_files())[0]
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    before = manifest_path(lake_root).read_bytes()
    with pytest.raises(RingfenceError, match="altered"):
        lake.compact()
    assert manifest_path(lake_root).read_bytes() == before
    assert len(list(lake_root.rglob("*.parquet"))) == 2  # the half-done merge was undone
    assert [p.kind for p in lake.verify_lake().problems] == ["altered"]


def test_purge_refuses_inside_the_retention(lake_root):
    lake.append(hourly("CIS", jst(2022, 1, 1, 0), 48, "old.log"))
    with pytest.raises(lake.InsideRetention) as caught:
        lake.purge(dt.date(2022, 6, 1), reason="cleanup", actor="tester", today=TODAY)
    assert "CIS" in str(caught.value) and "2021-11-29" in str(caught.value)
    assert lake.verify_lake().files == 2
    assert not AuditEvent.objects.filter(action="purge").exists()


def test_purge_outside_the_retention_removes_partitions_and_is_audited(lake_root):
    lake.append(hourly("CIS", jst(2020, 3, 1, 0), 72, "2020.log"))  # 1-3 March 2020
    lake.append(hourly("CIS", jst(2022, 3, 1, 0), 24, "2022.log"))
    lake.append(hourly("MDMS", jst(2020, 3, 1, 0), 24, "m2020.log"))
    plan = lake.purge(
        dt.date(2020, 3, 3),
        reason="retention elapsed",
        actor="tester",
        system="CIS",
        dry_run=True,
        today=TODAY,
    )
    assert plan.partitions == ["CIS/2020-03-01", "CIS/2020-03-02"] and plan.rows == 48
    assert lake.verify_lake().files == 5  # a dry run removes nothing

    done = lake.purge(
        dt.date(2020, 3, 3), reason="retention elapsed", actor="tester", system="CIS", today=TODAY
    )
    assert done.rows == 48
    assert not (lake_root / "events/system=CIS/day=2020-03-01").exists()
    remaining = {(f.system, f.day) for f in lake.live_files()}
    assert remaining == {
        ("CIS", dt.date(2020, 3, 3)),
        ("CIS", dt.date(2022, 3, 1)),
        ("MDMS", dt.date(2020, 3, 1)),
    }
    removes = [e for e in manifest_entries(lake_root) if e["op"] == "remove"]
    assert [(e["reason"], e["note"]) for e in removes] == [("purge", "retention elapsed")] * 2
    event = AuditEvent.objects.get(action="purge")
    assert event.pk == done.audit_id and event.actor == "tester" and event.target_ref == "CIS"
    assert event.detail["rows"] == 48 and event.detail["partitions"] == plan.partitions
    assert event.detail["manifest_seq"] == [removes[0]["seq"], removes[-1]["seq"]]
    assert verify_chain() == []
    report = lake.verify_lake()
    assert report.ok and report.rows == 24 + 24 + 24


def test_a_longer_retention_for_one_system_is_honoured_and_its_change_audited(lake_root):
    lake.append(hourly("CIS", jst(2020, 3, 1, 0), 2, "2020.log"))
    lake.append(hourly("MDMS", jst(2020, 3, 1, 0), 2, "m2020.log"))
    lake.set_retention("CIS", 10, actor="compliance", note="keep for the 2030 review")
    assert lake.retention_years("CIS") == 10 and lake.retention_years("MDMS") == 5
    change = AuditEvent.objects.get(action="change", target_type="logs.retention")
    assert change.detail == {"years": 10, "before": 5, "note": "keep for the 2030 review"}
    with pytest.raises(lake.InsideRetention, match="CIS"):
        lake.purge(dt.date(2020, 4, 1), reason="cleanup", actor="tester", today=TODAY)  # all systems
    done = lake.purge(dt.date(2020, 4, 1), reason="cleanup", actor="tester", system="MDMS", today=TODAY)
    assert {f.system for f in done.files} == {"MDMS"}
    assert lake.first_kept_day("CIS", dt.date(2028, 2, 29)) == dt.date(2018, 2, 28)


def test_purge_needs_a_reason(lake_root):
    with pytest.raises(RingfenceError):
        lake.purge(dt.date(2000, 1, 1), reason="  ", actor="tester", today=TODAY)


def test_purge_command_dry_run_then_for_real(lake_root):
    lake.append(hourly("CIS", jst(2019, 5, 1, 0), 24, "2019.log"))
    runner = CliRunner()
    dry = runner.invoke(
        cli, ["lake", "purge", "--before", "2019-06-01", "--reason", "five years", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "CIS/2019-05-01" in dry.output and lake.verify_lake().files == 1
    real = runner.invoke(cli, ["lake", "purge", "--before", "2019-06-01", "--reason", "five years", "--yes"])
    assert real.exit_code == 0, real.output
    assert lake.verify_lake().files == 0
    assert AuditEvent.objects.filter(action="purge", actor__startswith="cli:").count() == 1
    inside = runner.invoke(cli, ["lake", "purge", "--before", "2099-01-01", "--reason", "oops", "--yes"])
    assert inside.exit_code != 0 and isinstance(inside.exception, lake.InsideRetention)


def test_compact_command_reports_and_keeps_verify_green(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 3, "a.log"))
    lake.append(hourly("CIS", jst(2026, 10, 1, 5), 3, "b.log"))
    result = CliRunner().invoke(cli, ["lake", "compact", "--system", "CIS", "--day", "2026-10-01"])
    assert result.exit_code == 0, result.output
    assert "CIS/2026-10-01" in result.output
    assert CliRunner().invoke(cli, ["verify"]).exit_code == 0


def test_a_purge_that_cannot_write_the_manifest_removes_nothing_and_says_so_in_the_audit_trail(lake_root):
    import resource
    import signal

    lake.append(hourly("CIS", jst(2019, 5, 1, 0), 24, "2019.log"))
    size = manifest_path(lake_root).stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))  # the manifest cannot grow: as on a full disk
    try:
        with pytest.raises(RingfenceError):
            lake.purge(dt.date(2019, 6, 1), reason="five years", actor="tester", today=TODAY)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    started, failed = AuditEvent.objects.filter(action="purge").order_by("id")
    assert started.detail["files"] == 1 and "failed" not in started.detail
    assert failed.detail["failed"] is True and failed.detail["purge_event"] == started.pk
    report = lake.verify_lake()
    assert report.ok and report.rows == 24

"""Writing to the lake and reading it back: partitions by system and JST day, Parquet details, DuckDB view,
duplicates, schema errors."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from ringfence.core.errors import BadInput
from ringfence.core.timeutil import JST
from ringfence.logs import lake
from ringfence.logs.lake.layout import PART_PATH
from ringfence.logs.lake.manifest import manifest_path
from ringfence.logs.lake.writer import split_by_partition
from ringfence.logs.schema import EVENT_SCHEMA

from .test_lake_support import hourly, jst, lake_root, make_events

__all__ = ["lake_root"]

pytestmark = pytest.mark.django_db


def test_append_and_read_back_through_duckdb(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 0), 30, "a.log")
    files = lake.append(batch)
    assert sum(f.rows for f in files) == 30
    con = lake.connect()
    stored = con.sql(
        "SELECT event_id, time, system, raw, record_ids FROM events ORDER BY time"
    ).to_arrow_table()
    assert stored.column("event_id").to_pylist() == batch.column("event_id").to_pylist()
    assert stored.column("raw").to_pylist() == batch.column("raw").to_pylist()
    assert stored.column("record_ids").to_pylist() == batch.column("record_ids").to_pylist()
    assert [t.astimezone(dt.UTC) for t in stored.column("time").to_pylist()] == batch.column(
        "time"
    ).to_pylist()
    assert lake.count_events(con) == [("CIS", dt.date(2026, 10, 1), 24), ("CIS", dt.date(2026, 10, 2), 6)]
    wanted = batch.column("event_id").to_pylist()[3:5]
    found = lake.events_by_id([*wanted, "no-such-id"], con)
    assert sorted(found.column("event_id").to_pylist()) == sorted(wanted)


def test_partition_is_the_jst_calendar_day_not_the_utc_one(lake_root):
    late_evening = jst(2026, 10, 12, 23, 30)  # 14:30 UTC on the 12th
    after_midnight = jst(2026, 10, 13, 0, 30)  # 15:30 UTC on the 12th: same UTC day, next JST day
    assert late_evening.astimezone(dt.UTC).date() == after_midnight.astimezone(dt.UTC).date()
    files = lake.append(
        make_events([{"time": late_evening, "source_line": 1}, {"time": after_midnight, "source_line": 2}])
    )
    by_day = {f.day: f for f in files}
    assert set(by_day) == {dt.date(2026, 10, 12), dt.date(2026, 10, 13)}
    assert "/system=CIS/day=2026-10-12/" in "/" + by_day[dt.date(2026, 10, 12)].path
    assert "/system=CIS/day=2026-10-13/" in "/" + by_day[dt.date(2026, 10, 13)].path
    rows = lake.connect().sql("SELECT day, source_line FROM events ORDER BY source_line").fetchall()
    assert rows == [(dt.date(2026, 10, 12), 1), (dt.date(2026, 10, 13), 2)]


def test_files_are_zstd_parquet_sorted_by_time_private_and_named_by_partition(lake_root):
    # Deliberately out of order: the writer sorts.
    rows = [{"time": jst(2026, 10, 1, h), "source_line": 10 - h} for h in (9, 3, 7, 1)]
    rows += [{"system": "MDMS", "time": jst(2026, 10, 1, 5), "source_line": 20}]
    files = lake.append(make_events(rows))
    assert sorted((f.system, f.rows) for f in files) == [("CIS", 4), ("MDMS", 1)]
    for f in files:
        assert PART_PATH.fullmatch(f.path), f.path
        path = lake_root / f.path
        assert path.stat().st_mode & 0o777 == 0o640
        meta = pq.ParquetFile(path).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
        times = pq.read_table(path, partitioning=None).column("time").to_pylist()
        assert times == sorted(times)
        assert pq.read_schema(path).remove_metadata().equals(EVENT_SCHEMA.remove_metadata())
    assert not list(lake_root.rglob("*.tmp"))


def test_manifest_lists_each_file_with_hash_rows_and_times(lake_root):
    files = lake.append(hourly("CIS", jst(2026, 10, 1, 22), 4, "a.log"))
    lines = [json.loads(line) for line in manifest_path(lake_root).read_text(encoding="utf-8").splitlines()]
    assert lines[0]["op"] == "init" and lines[0]["seq"] == 0
    adds = {line["path"]: line for line in lines if line["op"] == "add"}
    assert set(adds) == {f.path for f in files}
    for f in files:
        entry = adds[f.path]
        assert entry["rows"] == f.rows and entry["bytes"] == (lake_root / f.path).stat().st_size
        assert entry["system"] == "CIS" and entry["day"] == f.day.isoformat()
        assert dt.datetime.fromisoformat(entry["min_time"]) <= dt.datetime.fromisoformat(entry["max_time"])
        assert entry["actor"] == "system:ingest" and len(entry["sha256"]) == 64
    assert [line["seq"] for line in lines] == list(range(len(lines)))


def test_reingesting_the_same_batch_adds_nothing(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 0), 48, "a.log")
    assert sum(f.rows for f in lake.append(batch)) == 48
    assert lake.append(batch) == []
    overlapping = hourly("CIS", jst(2026, 10, 2, 12), 24, "a.log", first_line=37)  # lines 37..60
    assert sum(f.rows for f in lake.append(overlapping)) == 12
    repeated_inside = pa.concat_tables([hourly("CIS", jst(2026, 10, 5, 0), 3, "b.log")] * 2)
    assert sum(f.rows for f in lake.append(repeated_inside)) == 3
    con = lake.connect()
    ((total, distinct),) = con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchall()
    assert total == distinct == 63


def test_known_event_ids_finds_exactly_the_stored_ones(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 0), 24, "a.log")
    lake.append(batch.slice(0, 10))
    ids = batch.column("event_id").to_pylist()
    assert lake.known_event_ids("CIS", [dt.date(2026, 10, 1)], ids) == set(ids[:10])
    assert lake.known_event_ids("MDMS", [dt.date(2026, 10, 1)], ids) == set()
    assert lake.known_event_ids("CIS", [dt.date(2026, 10, 2)], ids) == set()


def test_missing_column_is_named(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 0), 2, "a.log").drop_columns(["outcome"])
    with pytest.raises(BadInput) as caught:
        lake.append(batch)
    assert [p.field for p in caught.value.problems] == ["outcome"]
    assert not manifest_path(lake_root).exists()


def test_null_in_a_required_field_names_file_line_and_field(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 0), 3, "auth.log", first_line=41)
    raw = batch.column("raw").to_pylist()
    raw[1] = None
    batch = batch.set_column(batch.schema.get_field_index("raw"), pa.field("raw", pa.string()), [raw])
    with pytest.raises(BadInput) as caught:
        lake.append(batch)
    (problem,) = caught.value.problems
    assert (str(problem.file), problem.line, problem.field) == ("auth.log", 42, "raw")
    assert "auth.log:42 [raw]" in str(problem)


def test_wrong_type_and_bad_system_code_are_named(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 0), 2, "a.log")
    as_text = batch.set_column(1, pa.field("time", pa.string()), [["yesterday", "today"]])
    with pytest.raises(BadInput) as caught:
        lake.append(as_text, origin="batch-7")
    assert [(p.file, p.field) for p in caught.value.problems] == [("batch-7", "time")]
    bad_system = batch.set_column(2, pa.field("system", pa.string()), [["CIS", "../etc"]])
    with pytest.raises(BadInput) as caught:
        lake.append(bad_system)
    assert [(p.field, p.line) for p in caught.value.problems] == [("system", 2)]
    assert not list(lake_root.rglob("*.parquet"))


def test_times_in_another_zone_are_accepted_as_the_same_instant(lake_root):
    batch = hourly("CIS", jst(2026, 10, 1, 8), 1, "a.log")
    tokyo = batch.set_column(
        1,
        pa.field("time", pa.timestamp("ms", tz="Asia/Tokyo")),
        [batch.column("time").cast(pa.timestamp("ms", tz="Asia/Tokyo"))],
    )
    (written,) = lake.append(tokyo)
    assert written.min_time == jst(2026, 10, 1, 8)


@hyp_settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["CIS", "MDMS", "BADGE-1"]),
            st.datetimes(
                min_value=dt.datetime(2000, 1, 1),
                max_value=dt.datetime(2040, 1, 1),
                timezones=st.just(dt.UTC),
            ),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_split_keeps_every_event_in_the_partition_of_its_jst_day(events):
    table = make_events([{"system": s, "time": t, "source_line": i} for i, (s, t) in enumerate(events)])
    parts = split_by_partition(table)
    seen: list[int] = []
    for partition, part in parts:
        for system, when, line in zip(
            part.column("system").to_pylist(),
            part.column("time").to_pylist(),
            part.column("source_line").to_pylist(),
            strict=True,
        ):
            assert system == partition.system
            assert when.astimezone(JST).date() == partition.day
            seen.append(line)
        times = part.column("time")
        assert pc.all(pc.less_equal(times.slice(0, len(times) - 1), times.slice(1))).as_py() in (True, None)
    assert sorted(seen) == list(range(len(events)))
    assert len({(p.system, p.day) for p, _ in parts}) == len(parts)


def test_duplicates_are_found_whatever_the_time_ranges_of_the_files(lake_root):
    # Two files in one partition with interleaved time ranges; the replay overlaps both only partly.
    lake.append(hourly("CIS", jst(2026, 10, 1, 0, 0), 6, "a.log"))  # 00:00..05:00
    lake.append(hourly("CIS", jst(2026, 10, 1, 3, 30), 6, "b.log"))  # 03:30..08:30
    replay = pa.concat_tables(
        [
            hourly("CIS", jst(2026, 10, 1, 4, 0), 2, "a.log", first_line=5),
            hourly("CIS", jst(2026, 10, 1, 20), 1, "c.log"),
        ]
    )
    assert sum(f.rows for f in lake.append(replay)) == 1  # lines 5-6 of a.log are known; c.log's line is new
    assert lake.verify_lake().rows == 13


def test_a_writer_catches_up_with_entries_another_writer_appended(lake_root):
    from ringfence.logs.lake import session as writer_sessions

    lake.append(hourly("CIS", jst(2026, 10, 1, 0), 5, "a.log"))
    stale = writer_sessions._cache[lake_root.resolve()]
    writer_sessions._cache.clear()  # as if another process: it reads the manifest afresh and appends
    lake.append(hourly("CIS", jst(2026, 10, 1, 6), 5, "b.log"))
    writer_sessions._cache[lake_root.resolve()] = stale  # this process still knows only a.log
    replay_and_new = pa.concat_tables(
        [hourly("CIS", jst(2026, 10, 1, 6), 5, "b.log"), hourly("CIS", jst(2026, 10, 1, 12), 5, "c.log")]
    )
    assert sum(f.rows for f in lake.append(replay_and_new)) == 5  # b.log's events were seen through catch-up
    assert writer_sessions._cache[lake_root.resolve()][1] is stale[1]  # caught up in place, not re-read
    report = lake.verify_lake()
    assert report.ok and report.rows == 15 and report.files == 3

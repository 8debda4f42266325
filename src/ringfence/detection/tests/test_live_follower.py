"""The monitor's manifest follower on a real lake: new files after a position, compaction, purge, torn tails."""

from __future__ import annotations

import pytest

from ringfence.detection.live.follower import Position, lake_head, new_files, read_events
from ringfence.logs import lake
from ringfence.logs.lake.manifest import manifest_path
from ringfence.logs.tests.test_lake_support import hourly, jst, lake_root

__all__ = ["lake_root"]
pytestmark = pytest.mark.django_db


def _ids(table_paths: list[str], root) -> set[str]:
    return set(read_events(root, table_paths).column("event_id").to_pylist())


def test_files_after_a_position_in_order_and_the_position_moves_on(lake_root):
    first = lake.append(hourly("CIS", jst(2026, 10, 12, 9), 3, "a.log"))
    start = lake_head(lake_root)
    assert start.seq == first[0].seq and start.offset == manifest_path(lake_root).stat().st_size
    assert start.lake_id
    assert new_files(lake_root, start).items == []

    second = lake.append(hourly("CIS", jst(2026, 10, 12, 12), 2, "b.log"))
    third = lake.append(hourly("MDMS", jst(2026, 10, 13, 1), 4, "c.log"))
    found = new_files(lake_root, start)
    assert found.paths == [second[0].path, third[0].path]
    assert found.position == lake_head(lake_root)
    assert found.items[0][1].seq == second[0].seq < found.items[1][1].seq
    events = read_events(lake_root, found.paths)
    assert events.num_rows == 6
    assert set(events.column("system").to_pylist()) == {"CIS", "MDMS"}
    # From the very beginning: every file.
    assert len(new_files(lake_root, Position()).paths) == 3


def test_compaction_output_is_skipped_because_its_events_were_seen(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 12, 9), 2, "a.log"))
    lake.append(hourly("CIS", jst(2026, 10, 12, 13), 2, "b.log"))
    seen = lake_head(lake_root)
    lake.compact()
    after = lake.append(hourly("CIS", jst(2026, 10, 12, 18), 1, "c.log"))
    found = new_files(lake_root, seen)
    assert found.paths == [after[0].path]


def test_compacted_unseen_inputs_are_read_from_the_compacted_file(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 12, 9), 2, "a.log"))
    seen = lake_head(lake_root)
    lake.append(hourly("CIS", jst(2026, 10, 12, 13), 3, "b.log"))  # never read by the monitor
    lake.compact()  # merges a and b; b's file is gone
    found = new_files(lake_root, seen)
    assert len(found.paths) == 1
    events = read_events(lake_root, found.paths)
    assert events.num_rows == 5  # the seen events come again; the monitor drops those it holds


def test_purged_files_are_not_read(lake_root):
    lake.append(hourly("CIS", jst(2020, 1, 6, 9), 2, "old.log"))
    start = Position()
    lake.purge(jst(2021, 1, 1).date(), reason="test", actor="test", today=jst(2026, 10, 12).date())
    assert new_files(lake_root, start).paths == []


def test_an_unfinished_last_line_is_not_consumed(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 12, 9), 1, "a.log"))
    start = lake_head(lake_root)
    lake.append(hourly("CIS", jst(2026, 10, 12, 10), 1, "b.log"))
    path = manifest_path(lake_root)
    whole = path.read_bytes()
    path.write_bytes(whole[:-5])  # the writer is mid-line
    assert new_files(lake_root, start).items == []
    assert new_files(lake_root, start).position == start
    path.write_bytes(whole)
    assert len(new_files(lake_root, start).items) == 1


def test_a_stale_offset_falls_back_to_the_sequence(lake_root):
    lake.append(hourly("CIS", jst(2026, 10, 12, 9), 1, "a.log"))
    head = lake_head(lake_root)
    added = lake.append(hourly("CIS", jst(2026, 10, 12, 10), 1, "b.log"))
    wrong = Position(seq=head.seq, offset=3, lake_id=head.lake_id)  # offset inside the first line
    assert new_files(lake_root, wrong).paths == [added[0].path]

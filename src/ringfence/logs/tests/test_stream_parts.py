"""Parts of the streaming service on their own: journal frames after a crash, tailing across rotation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.logs.ingest.journal import Journal, read_segment
from ringfence.logs.ingest.models import FileCheckpoint
from ringfence.logs.ingest.records import pack_messages, record_batches, unpack_messages
from ringfence.logs.ingest.routing import load_definitions
from ringfence.logs.ingest.syslog_intake import split_frames
from ringfence.logs.ingest.tail import Tailer

SAMPLES = Path(__file__).parents[2] / "demo" / "sources"


def _line(n: int) -> bytes:
    return (f"<134>Oct 13 09:{n // 60 % 60:02d}:{n % 60:02d} keito-ap01 keito[1]: user=u{n} src=10.0.0.1 "
            f"host=T{n} action=view target=G{n:07d} count=1 outcome=success").encode()  # fmt: skip


def test_a_torn_last_frame_ends_the_segment_and_earlier_records_survive(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    for n in range(3):
        journal.append({"source": "s", "origin": f"o{n}", "kind": "lines"}, b"line %d\n" % n)
    journal.close()
    (segment,) = journal.segments()
    data = segment.read_bytes()
    segment.write_bytes(data[:-3])  # a crash in the middle of the last write
    assert [r.header["origin"] for r in read_segment(segment)] == ["o0", "o1"]
    damaged = bytearray(data)
    damaged[-1] ^= 0xFF  # a flipped bit fails the CRC
    segment.write_bytes(bytes(damaged))
    assert [r.header["origin"] for r in read_segment(segment)] == ["o0", "o1"]
    # A new journal on the same folder never appends behind the damaged frame.
    again = Journal(tmp_path / "j")
    again.append({"source": "s", "origin": "o3", "kind": "lines"}, b"x\n")
    again.close()
    assert [r.header["origin"] for p in again.segments() for r in read_segment(p)] == ["o0", "o1", "o3"]


def test_journal_records_parse_to_the_same_event_ids_every_time(tmp_path: Path) -> None:
    definition = load_definitions(SAMPLES)["keito-syslog"]
    messages = [_line(n) for n in range(5)] + [b"<134>Oct 13 09:00:00 host app: line\nwith a break"]
    assert unpack_messages(pack_messages(messages)) == messages
    journal = Journal(tmp_path / "j")
    journal.append(
        {"source": definition.id, "origin": "syslog:t:1", "kind": "messages"}, pack_messages(messages)
    )
    (record,) = [r for p in journal.seal() for r in read_segment(p)]
    first = [e["event_id"] for b in record_batches(record, definition, tmp_path) for e in b.events()]
    second = [e["event_id"] for b in record_batches(record, definition, tmp_path) for e in b.events()]
    assert first == second and len(set(first)) == len(first) >= 5


def test_an_oversized_tcp_frame_is_refused_not_buffered() -> None:
    with pytest.raises(ValueError):
        split_frames(b"999999999 " + b"x" * 10)
    messages, rest = split_frames(b"20 <134>abcdefg")
    assert messages == [] and rest == b"20 <134>abcdefg"  # incomplete: wait for more bytes


@pytest.mark.django_db
def test_a_file_rotated_while_the_service_was_down_is_finished_before_the_new_one(tmp_path: Path) -> None:
    definition = load_definitions(SAMPLES)["keito-syslog"]
    journal = Journal(tmp_path / "j")
    log = tmp_path / "app.log"
    log.write_bytes(b"".join(_line(n) + b"\n" for n in range(5)))
    tailer = Tailer(log, definition, journal)
    tailer.step()
    assert FileCheckpoint.objects.get().offset == log.stat().st_size
    tailer.handle.close()  # type: ignore[union-attr]  # the service stops

    # While it is down: two more lines, then rotation, then a new file.
    with log.open("ab") as old:
        old.write(b"".join(_line(n) + b"\n" for n in range(5, 7)))
    log.rename(tmp_path / "app.log.1")
    log.write_bytes(b"".join(_line(n) + b"\n" for n in range(100, 103)))

    restarted = Tailer(log, definition, journal)
    restarted.step()
    restarted.step()
    journal.close()
    lines: list[tuple[str, bytes]] = []
    for segment in journal.segments():
        for record in read_segment(segment):
            lines.extend((record.header["origin"], line) for line in record.body.splitlines())
    texts = [line for _origin, line in lines]
    assert texts == [_line(n) for n in [*range(7), *range(100, 103)]]
    origins = [origin for origin, _line in lines]
    assert len(set(origins[:7])) == 1 and origins[7] != origins[0]

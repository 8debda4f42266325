"""The nightly compaction job: merges what streaming left, and records refusals instead of hiding them."""

from __future__ import annotations

import pytest

from ringfence.audit.models import AuditEvent
from ringfence.logs import lake
from ringfence.logs.lake.nightly import ACTOR, compact_small_files

from .test_lake_support import hourly, jst, lake_root  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_nightly_compaction_merges_and_records(lake_root):  # noqa: F811
    for batch in range(3):
        lake.append(hourly("CIS", jst(2026, 10, 2, batch * 4), 4, "stream.log", first_line=batch * 4 + 1))
    assert len(lake.live_files(system="CIS")) == 3

    outcome = compact_small_files()

    assert outcome == {"ok": True, "partitions": 1, "files_merged": 3, "rows": 12}
    assert len(lake.live_files(system="CIS")) == 1
    assert lake.verify_lake().ok
    event = AuditEvent.objects.get(actor=ACTOR)
    assert event.detail["files_merged"] == 3


def test_nightly_compaction_records_an_altered_file(lake_root):  # noqa: F811
    lake.append(hourly("CIS", jst(2026, 10, 2, 0), 3, "a.log"))
    lake.append(hourly("CIS", jst(2026, 10, 2, 6), 3, "b.log"))
    victim = lake_root / sorted(f.path for f in lake.live_files())[0]
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))

    outcome = compact_small_files()

    assert outcome["ok"] is False
    assert "altered" in str(outcome["error"])
    assert AuditEvent.objects.get(actor=ACTOR).detail["ok"] is False

"""Shared helpers of the lake tests (no tests here): a lake in a temporary directory and event builders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.utils import translation

from ringfence.core.timeutil import JST
from ringfence.logs.schema import EVENT_SCHEMA, event_id


@pytest.fixture
def lake_root(settings, tmp_path) -> Iterator[Path]:
    """An empty lake under the test's temporary directory (``settings.LAKE_DIR``); messages in English."""
    root = tmp_path / "lake"
    settings.LAKE_DIR = root
    with translation.override("en"):
        yield root


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment in Japan time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=JST)


def make_events(rows: list[dict[str, Any]], source_file: str = "app.log") -> pa.Table:
    """Events with sensible defaults; each row gives at least ``time`` (and usually ``system``)."""
    data: dict[str, list[Any]] = {name: [] for name in EVENT_SCHEMA.names}
    for index, row in enumerate(rows, start=1):
        line = row.get("source_line", index)
        values = {
            "event_id": event_id("app", source_file, line),
            "system": "CIS",
            "source": "app",
            "class": "record_access",
            "activity": "view",
            "outcome": "success",
            "account": f"u{index:05d}",
            "record_ids": [f"C{index:010d}"],
            "record_count": 1,
            "raw": f"line {line} of {source_file}: user=u{index:05d} act=view",
            "source_file": source_file,
            "source_offset": (line - 1) * 40,
            "source_line": line,
            "ingested_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            **row,
        }
        for name in data:
            data[name].append(values.get(name))
    return pa.Table.from_pydict(data, schema=EVENT_SCHEMA)


def hourly(system: str, start: dt.datetime, hours: int, source_file: str, first_line: int = 1) -> pa.Table:
    """One event per hour from ``start``."""
    return make_events(
        [
            {"system": system, "time": start + dt.timedelta(hours=h), "source_line": first_line + h}
            for h in range(hours)
        ],
        source_file=source_file,
    )

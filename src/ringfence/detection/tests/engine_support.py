"""Shared helpers of the engine tests (no tests here): tiny rule files and rows of the enriched relation."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa

from ringfence.core.timeutil import JST
from ringfence.detection.engine.cases import events_table

AFFILIATE = """
title: Affiliate staff on a T&D system
id: 6b1f1c52-0000-4000-8000-000000000001
name: t_affiliate
title_ja: 特定関係事業者の社員によるアクセス
description_ja: 説明
control: continuous-monitoring
logsource: {product: ringfence, service: enriched}
detection:
  sel:
    person_employment_type: affiliate
    outcome: success
  condition: sel
falsepositives: [none]
level: critical
"""

FAILED = """
title: Failed logon
id: 6b1f1c52-0000-4000-8000-000000000002
name: t_failed
logsource: {product: ringfence, service: enriched}
detection:
  sel:
    activity: logon
    outcome: failure
  condition: sel
level: informational
---
title: Failed logon burst
id: 6b1f1c52-0000-4000-8000-000000000003
name: t_failed_burst
correlation:
  type: event_count
  rules: [t_failed]
  group-by: [src_ip]
  timespan: 10m
  condition: {gte: 3}
level: high
ringfence:
  entity: [src_ip]
"""

WINDOWS = """
title: A Windows process rule
id: 6b1f1c52-0000-4000-8000-000000000004
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains: mimikatz
  condition: sel
level: high
"""


def write_rules(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, day, hour, minute, second, tzinfo=JST)


def rows(events: list[dict[str, Any]]) -> pa.Table:
    """Rows of the enriched relation (unnamed columns NULL)."""
    return events_table(events, Path("test"), "test")

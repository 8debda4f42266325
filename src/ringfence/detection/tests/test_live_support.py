"""Shared helpers of the live-monitor tests (no tests here): a rule folder, a registry world, a day of events.

The rules cover each kind the monitor must carry across micro-batches: plain detections (one on an
enriched registry field, one on a first-seen flag that needs the history) and the correlations
event_count, value_count and temporal. The events of one JST day contain bursts that trigger each
correlation, spread so that random micro-batch splits cut through them.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from django.utils import translation

from ringfence.alerts.findings import Finding
from ringfence.core.timeutil import JST
from ringfence.logs.tests.test_lake_support import make_events

DAY = dt.date(2026, 10, 13)  # a Tuesday, no holiday
DAY_START = dt.datetime(2026, 10, 13, tzinfo=JST)

RULES = """\
title: Access by an affiliate's staff (live test)
id: 7d0c1b8e-0000-4000-8000-000000000001
name: live_affiliate
description: The account's owner at the event's time works for the affiliate.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {person_employment_type: affiliate}
  condition: selection
level: high
---
title: Export (live test)
id: 7d0c1b8e-0000-4000-8000-000000000002
name: live_export
description: Any export.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {activity: export}
  condition: selection
level: medium
---
title: First use of an account on a terminal (live test)
id: 7d0c1b8e-0000-4000-8000-000000000003
name: live_first_seen
description: The account was never seen on this terminal or address before.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {first_seen_account_terminal: true}
  condition: selection
level: low
ringfence: {entity: [system, account, src_ip]}
---
title: Failed logon (live test base)
id: 7d0c1b8e-0000-4000-8000-000000000004
name: live_failed
description: Base rule.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {activity: logon, outcome: failure}
  condition: selection
level: informational
---
title: Failed logons in a burst (live test)
id: 7d0c1b8e-0000-4000-8000-000000000005
name: live_failed_burst
description: Three failed logons of one account within ten minutes.
correlation:
  type: event_count
  rules: [live_failed]
  group-by: [system, account]
  timespan: 10m
  condition: {gte: 3}
level: high
---
title: Successful logon (live test base)
id: 7d0c1b8e-0000-4000-8000-000000000006
name: live_logon
description: Base rule.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {activity: logon, outcome: success}
  condition: selection
level: informational
---
title: One account from many addresses (live test)
id: 7d0c1b8e-0000-4000-8000-000000000007
name: live_many_addresses
description: Logons of one account from three or more addresses within an hour.
correlation:
  type: value_count
  rules: [live_logon]
  group-by: [account]
  timespan: 1h
  condition: {field: src_ip, gte: 3}
level: medium
ringfence: {entity: [account]}
---
title: Logon then export (live test)
id: 7d0c1b8e-0000-4000-8000-000000000008
name: live_logon_export
description: A logon and an export of one account within thirty minutes.
correlation:
  type: temporal
  rules: [live_logon, live_export]
  group-by: [account]
  timespan: 30m
  generate: true
level: medium
ringfence: {entity: [account]}
"""

ACCOUNTS = ["u001", "svc01", "e002", "x777"]
ADDRESSES = ["10.20.1.5", "10.20.1.6", "10.20.1.7", "192.168.5.10", "10.1.0.9"]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    """A folder holding the test rules (as a user's rules folder would)."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "live.yml").write_text(RULES, encoding="utf-8")
    return folder


@pytest.fixture
def isolated_data(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Data directory, lake and monitor state under the test's temporary directory; messages in English."""
    settings.DATA_DIR = tmp_path / "data"
    settings.LAKE_DIR = tmp_path / "data" / "lake"
    settings.DATA_DIR.mkdir()
    with translation.override("en"):
        yield settings.DATA_DIR


def at(minutes: float) -> dt.datetime:
    """A moment of the test day, ``minutes`` after midnight JST."""
    return DAY_START + dt.timedelta(minutes=minutes)


def event(minutes: float, account: str, activity: str, outcome: str = "success", ip: str = "10.20.1.5"):
    """One event row for ``make_events``."""
    klass = "authentication" if activity == "logon" else "record_access"
    return {
        "time": at(minutes),
        "system": "CIS",
        "class": klass,
        "activity": activity,
        "outcome": outcome,
        "account": account,
        "src_ip": ip,
    }


def day_of_events(seed: int = 7, noise: int = 60, days_later: int = 0) -> pa.Table:
    """The test day (or one ``days_later``): random background activity plus bursts that trigger every
    correlation, time-ordered."""
    rng = random.Random(seed)
    rows = [
        event(
            rng.uniform(0, 24 * 60 - 1),
            rng.choice(ACCOUNTS),
            rng.choice(["view", "view", "view", "logon", "export"]),
            rng.choice(["success"] * 9 + ["failure"]),
            rng.choice(ADDRESSES),
        )
        for _ in range(noise)
    ]
    # event_count: e002 fails four times in six minutes around 09:00
    rows += [event(540 + 2 * i, "e002", "logon", "failure", "10.20.1.6") for i in range(4)]
    # value_count: u001 logs on from three addresses within 40 minutes around 13:00
    rows += [event(780 + 20 * i, "u001", "logon", "success", ADDRESSES[i]) for i in range(3)]
    # temporal: svc01 logs on at 16:00 and exports at 16:20
    rows += [event(960, "svc01", "logon"), event(980, "svc01", "export")]
    rows.sort(key=lambda r: r["time"])
    shift = dt.timedelta(days=days_later)
    lines = [
        dict(row, time=row["time"] + shift, source_line=index) for index, row in enumerate(rows, start=1)
    ]
    return make_events(lines, source_file=f"live-test-{days_later}.log")


def evidence_by_key(findings: list[Finding]) -> dict[str, set[str]]:
    """Finding key -> the event IDs of its evidence (merged over findings with the same key)."""
    merged: dict[str, set[str]] = {}
    for finding in findings:
        merged.setdefault(finding.key, set()).update(e.event_id for e in finding.evidence)
    return merged


def describe_keys(findings: list[Finding]) -> dict[str, tuple[str, str, str]]:
    """Finding key -> (rule, entity, window start) for readable assertion messages."""
    return {f.key: (f.rule_id, f.entity, f.window_start.isoformat()) for f in findings}

"""Synthetic access events in the normalised schema, for tests and benchmarks of the lake.

The raw lines look like a customer-system application log (about 200 bytes); accounts, hosts and
addresses repeat as they do in real logs; event IDs are made with ``schema.event_id`` from a file name and
line number, as a parser makes them, so generating the same lines again gives the same IDs.
"""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa

from ringfence.core.timeutil import JST
from ringfence.logs.schema import EVENT_SCHEMA, event_id

ACTIVITIES = ("view", "search", "update", "export", "logon", "logoff", "print")
OUTCOMES = ("success", "success", "success", "success", "failure", "denied")
FUNCTIONS = ("customer.view", "customer.search", "contract.update", "usage.export", "bill.print")


def synthetic_events(
    count: int,
    *,
    systems: tuple[str, ...] = ("CIS", "MDMS"),
    start: dt.datetime = dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
    span: dt.timedelta = dt.timedelta(days=3),
    source_file: str = "synthetic.log",
    first_line: int = 1,
    seed: int = 0,
) -> pa.Table:
    """``count`` events spread evenly over ``span`` from ``start`` across ``systems``, in line order."""
    rng = random.Random(seed)
    step = span / max(count, 1)
    ingested = start + span
    rows: dict[str, list[object]] = {name: [] for name in EVENT_SCHEMA.names}
    for index in range(count):
        line = first_line + index
        when = start + step * index
        system = systems[rng.randrange(len(systems))]
        account = f"u{rng.randrange(10000, 10400)}"
        host = f"PC-N{rng.randrange(1000, 1300)}"
        ip = f"10.20.{rng.randrange(40)}.{rng.randrange(1, 250)}"
        activity = ACTIVITIES[rng.randrange(len(ACTIVITIES))]
        outcome = OUTCOMES[rng.randrange(len(OUTCOMES))]
        function = FUNCTIONS[rng.randrange(len(FUNCTIONS))]
        record = f"C{rng.randrange(10**9, 10**10)}"
        session = f"s{rng.randrange(10**7, 10**8)}"
        raw = (
            f"{when.astimezone(JST):%Y-%m-%dT%H:%M:%S.%f}+09:00 APP01 cis-app[4721]: audit sys={system} "
            f"user={account} host={host} src={ip} func={function} act={activity} rec=customer:{record} "
            f'result={outcome} sess={session} msg="顧客情報照会"'
        )
        values = {
            "event_id": event_id("app", source_file, line),
            "time": when,
            "system": system,
            "source": "app",
            "class": "authentication" if activity in ("logon", "logoff") else "record_access",
            "activity": activity,
            "outcome": outcome,
            "account": account,
            "account_domain": "CORP",
            "target_account": None,
            "src_ip": ip,
            "src_host": host,
            "terminal": host,
            "dst_host": "APP01",
            "logon_type": None,
            "session_id": session,
            "function": function,
            "record_type": "customer",
            "record_ids": [record],
            "record_count": 1,
            "message": "顧客情報照会",
            "extra": None,
            "raw": raw,
            "source_file": source_file,
            "source_offset": (line - 1) * 220,
            "source_line": line,
            "ingested_at": ingested,
        }
        for name, value in values.items():
            rows[name].append(value)
    return pa.Table.from_pydict(rows, schema=EVENT_SCHEMA)

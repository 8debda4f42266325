"""Continuous monitoring latency: an event's arrival over HTTP → its alert in the database.

Usage: ``.venv/bin/python bench/monitor_latency.py [--probes N] [--gap S] [--background EPS]``

The whole built-in rule pack is evaluated, as in production, plus the probe rule.

Starts ``ringfence stream run --monitor`` as a child process on a temporary SQLite data directory (with
``--flush-interval``, default 0.25 s). One sender posts background traffic (JSON lines, ``--background``
events per second in batches of a tenth of a second, ordinary views by 50 accounts); another posts N probe
events ``--gap`` seconds apart, each by an account of its own, which a user rule (``rules/probe.yml``)
turns into one alert per probe. Latency of a probe = the alert's ``created`` time (written by the
monitor's intake) minus the moment just before its POST was sent — journal fsync, flush into the lake,
manifest, enrichment, the rule pack and the alert intake included. Reports p50, p95, p99 and max, and
that every probe raised exactly one alert.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "src/ringfence/demo/sources"
RINGFENCE = [sys.executable, "-m", "ringfence.cli.main"]

PROBE_ID = "0b9f3c52-5a53-4d51-9c8e-6b1f3f0f0a01"
PROBE_RULE = """\
title: Latency probe
id: 0b9f3c52-5a53-4d51-9c8e-6b1f3f0f0a01
description: Matches the benchmark's probe events, one alert per probe account.
logsource: {product: ringfence, service: enriched}
detection:
  selection: {account|startswith: probe-}
  condition: selection
level: high
"""


def env(data: Path) -> dict[str, str]:
    result = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    result["RINGFENCE_DATA_DIR"] = str(data)
    result["PYTHONPATH"] = str(ROOT / "src")
    return result


def cli(data: Path, *args: str) -> str:
    out = subprocess.run([*RINGFENCE, *args], env=env(data), capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise SystemExit(out.stderr)
    return out.stdout


def line(account: str, action: str, target: str) -> bytes:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps(
        {"ts": now, "user": account, "src_ip": "10.20.1.5", "src_host": "TD-PC-0001", "action": action,
         "target": target, "count": 1, "outcome": "success"}
    ).encode()  # fmt: skip


class Sender:
    """One keep-alive HTTP connection posting batches for the jsonl source."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection(host, port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sent = 0

    def post(self, lines: list[bytes]) -> None:
        self.sent += 1
        self.connection.request(
            "POST", "/v1/sources/mdms-audit/events", body=b"\n".join(lines) + b"\n",
            headers={**self.headers, "X-Batch-Id": f"b{id(self)}-{self.sent}"},
        )  # fmt: skip
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between probes")
    parser.add_argument("--background", type=int, default=500, help="background events per second")
    parser.add_argument("--flush-interval", type=float, default=0.25)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="ringfence-monitor-bench-"))
    cli(data, "setup")
    token = cli(data, "stream", "token", "mdms-audit", "--label", "bench").strip()
    (data / "rules").mkdir()
    (data / "rules" / "probe.yml").write_text(PROBE_RULE, encoding="utf-8")
    service = subprocess.Popen(
        [*RINGFENCE, "stream", "run", "--sources-dir", str(SAMPLES), "--http", "127.0.0.1:0", "--monitor",
         "--flush-interval", str(args.flush_interval)],
        env=env(data), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert service.stdout is not None
    ready = json.loads(service.stdout.readline())
    host, port = ready["http"]

    stop = threading.Event()
    background_events = 0

    def background() -> None:
        nonlocal background_events
        sender = Sender(host, port, token)
        per_tick = max(1, args.background // 10)
        tick = 0
        while not stop.is_set():
            began = time.monotonic()
            sender.post(
                [
                    line(f"u{(tick * per_tick + i) % 50:05d}", "view", f"C{tick:06d}{i:04d}")
                    for i in range(per_tick)
                ]
            )
            background_events += per_tick
            tick += 1
            time.sleep(max(0.0, 0.1 - (time.monotonic() - began)))

    thread = threading.Thread(target=background, daemon=True)
    if args.background:
        thread.start()
    time.sleep(2)  # the monitor's first rounds (rule compilation, registry snapshot) are not measured
    probe_sender = Sender(host, port, token)
    sent_at: dict[str, float] = {}
    for number in range(args.probes):
        account = f"probe-{number:05d}"
        sent_at[account] = time.time()
        probe_sender.post([line(account, "view", f"P{number:06d}")])
        time.sleep(args.gap)
    deadline = time.time() + 30
    db = sqlite3.connect(data / "ringfence.sqlite3", timeout=30)
    created: dict[str, float] = {}
    while time.time() < deadline and len(created) < args.probes:
        rows = db.execute(
            "SELECT account, created FROM alerts_alert WHERE rule_id = ?", [PROBE_ID]
        ).fetchall()
        created = {
            account: dt.datetime.fromisoformat(stamp).replace(tzinfo=dt.UTC).timestamp()
            for account, stamp in rows
        }
        time.sleep(0.2)
    counts = db.execute(
        "SELECT count(*), count(DISTINCT account) FROM alerts_alert WHERE rule_id = ?", [PROBE_ID]
    ).fetchone()
    stop.set()
    service.send_signal(signal.SIGTERM)
    service.wait(timeout=120)
    latencies = sorted(created[a] - sent_at[a] for a in sent_at if a in created)
    missing = args.probes - len(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, round(p / 100 * (len(latencies) - 1)))]

    result = {
        "probes": args.probes,
        "alerts": counts[0],
        "distinct_probe_alerts": counts[1],
        "missing": missing,
        "background_events_per_s": args.background,
        "background_events": background_events,
        "flush_interval_s": args.flush_interval,
        "p50_s": round(pct(50), 3),
        "p95_s": round(pct(95), 3),
        "p99_s": round(pct(99), 3),
        "max_s": round(latencies[-1], 3),
    }
    print(json.dumps(result, indent=2))
    if not args.keep:
        import shutil

        shutil.rmtree(data, ignore_errors=True)
    else:
        print(f"data kept in {data}")
    if missing or counts[0] != args.probes:
        raise SystemExit("not every probe raised exactly one alert")


if __name__ == "__main__":
    main()

"""``ringfence stream run --monitor`` as a real process on 127.0.0.1: an event posted over HTTP becomes an alert.

The latency itself is measured by bench/monitor_latency.py (docs/benchmarks.md); this test asserts the
behaviour: the alert appears, once per incident, the service reports the monitor in its health answer,
and an event the service received before the rules matched nothing raises nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

RINGFENCE = [sys.executable, "-m", "ringfence.cli.main"]
SAMPLES = Path(__file__).parents[2] / "demo" / "sources"
PROBE_ID = "3f1d1c7a-7c9e-4a55-9e55-1d2b0c9a0b01"
PROBE_RULE = f"""\
title: Stream probe
id: {PROBE_ID}
description: The probe accounts of this test.
logsource: {{product: ringfence, service: enriched}}
detection:
  selection: {{account|startswith: probe-}}
  condition: selection
level: high
"""
pytestmark = pytest.mark.slow


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["RINGFENCE_DATA_DIR"] = str(data_dir)
    return env


def _cli(data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [*RINGFENCE, *args], env=_env(data_dir), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _post(base: str, token: str, lines: list[dict[str, Any]], batch: str) -> None:
    body = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    request = urllib.request.Request(
        f"{base}/v1/sources/mdms-audit/events", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "X-Batch-Id": batch},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def _line(account: str, target: str) -> dict[str, Any]:
    return {"ts": "2026-10-13T01:00:00.000Z", "user": account, "src_ip": "10.20.1.5", "src_host": "TD-PC-0001",
            "action": "view", "target": target, "count": 1, "outcome": "success"}  # fmt: skip


def _probe_alerts(data_dir: Path) -> list[tuple[str, int]]:
    con = sqlite3.connect(data_dir / "ringfence.sqlite3", timeout=30)
    try:
        return con.execute(
            "SELECT a.account, count(e.id) FROM alerts_alert a "
            "LEFT JOIN alerts_alertevidence e ON e.alert_id = a.id WHERE a.rule_id = ? GROUP BY a.account",
            [PROBE_ID],
        ).fetchall()
    finally:
        con.close()


def _wait_for(data_dir: Path, expected: list[tuple[str, int]], timeout: float = 60) -> None:
    """Until the probe alerts (account, evidence count) are ``expected``; fails with what there is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sorted(_probe_alerts(data_dir)) == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"after {timeout} s: {_probe_alerts(data_dir)}, expected {expected}")


def test_an_event_posted_over_http_becomes_an_alert(tmp_path: Path) -> None:
    _cli(tmp_path, "setup")
    token = _cli(tmp_path, "stream", "token", "mdms-audit", "--label", "monitor test").strip()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "probe.yml").write_text(PROBE_RULE, encoding="utf-8")
    service = subprocess.Popen(
        [*RINGFENCE, "stream", "run", "--sources-dir", str(SAMPLES), "--http", "127.0.0.1:0", "--monitor"],
        env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert service.stdout is not None
        ready = service.stdout.readline()
        assert ready, service.stderr.read() if service.stderr else ""
        host, port = json.loads(ready)["http"]
        base = f"http://{host}:{port}"

        sent = time.monotonic()
        _post(base, token, [_line("probe-1", "C1"), _line("someone", "C2")], "b1")
        _wait_for(tmp_path, [("probe-1", 1)])
        latency = time.monotonic() - sent

        # The same incident again (same account, same day): evidence added, no second alert.
        _post(base, token, [_line("probe-1", "C3")], "b2")
        _post(base, token, [_line("probe-2", "C4")], "b3")
        _wait_for(tmp_path, [("probe-1", 2), ("probe-2", 1)])

        # The health answer carries the monitor's figures as of its last finished round.
        deadline = time.monotonic() + 30
        while True:
            with urllib.request.urlopen(base + "/v1/health", timeout=10) as response:
                monitor = json.loads(response.read())["monitor"]
            if monitor["events"] == 4 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert monitor["events"] == 4 and monitor["last_error"] == "", monitor
        print(f"arrival to alert: {latency:.3f} s")
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=120)

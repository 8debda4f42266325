"""The streaming service as a real process on real sockets: kill -9 mid-load, syslog over TCP and UDP, tailing.

The service runs on its own SQLite data directory (as ``ringfence stream run`` runs in production); the
lake it writes is read back from the test with DuckDB over the manifest's live files.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ringfence.logs.lake.query import connect

SAMPLES = Path(__file__).parents[2] / "demo" / "sources"
RINGFENCE = [sys.executable, "-m", "ringfence.cli.main"]
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
        [*RINGFENCE, *args], env=_env(data_dir), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class Service:
    """``ringfence stream run`` in a child process; ``addresses`` from its ready line."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [*RINGFENCE, "stream", "run", "--sources-dir", str(SAMPLES), "--flush-interval", "0.3", *args],
            env=_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(self.process.stderr.read() if self.process.stderr else "no output")
        self.addresses: dict[str, Any] = json.loads(line)

    @property
    def http(self) -> str:
        host, port = self.addresses["http"]
        return f"http://{host}:{port}"

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.http + "/v1/health", timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


def _post(url: str, token: str, batch_id: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Authorization": f"Bearer {token}", "X-Batch-Id": batch_id}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _batch(number: int, size: int = 200) -> list[bytes]:
    lines = []
    for index in range(size):
        second = (number * size + index) % 86_400
        lines.append(
            json.dumps(
                {
                    "ts": f"2026-10-13T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000Z",
                    "user": f"u{index % 17}",
                    "src_ip": "10.4.1.2",
                    "src_host": "TDB001-0001",
                    "action": "view",
                    "target": f"B{number:05d}L{index:04d}",
                    "count": 1,
                    "outcome": "success",
                }
            ).encode()
        )
    return lines


def _stored_raw(data_dir: Path) -> list[str]:
    con = connect(root=data_dir / "lake")
    return [row[0] for row in con.execute("SELECT raw FROM events").fetchall()]


def _wait_drained(service: Service, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = service.health()
        if health["journal_segments"] == 0 and not health["last_error"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"journal not drained: {service.health()}")


def test_kill_minus_nine_mid_load_keeps_exactly_the_acknowledged_batches(tmp_path: Path) -> None:
    _cli(tmp_path, "setup")
    token = _cli(tmp_path, "stream", "token", "mdms-audit", "--label", "test sender").strip()
    service = Service(tmp_path, "--http", "127.0.0.1:0")
    url = service.http + "/v1/sources/mdms-audit/events"
    sent: dict[str, list[bytes]] = {f"batch-{n}": _batch(n) for n in range(400)}
    acknowledged: list[str] = []
    stop = threading.Event()

    def sender() -> None:
        for batch_id, lines in sent.items():
            if stop.is_set():
                return
            try:
                if _post(url, token, batch_id, b"\n".join(lines) + b"\n") == 200:
                    acknowledged.append(batch_id)
            except (OSError, urllib.error.URLError):
                return  # the service died under us: this batch was not acknowledged

    thread = threading.Thread(target=sender)
    thread.start()
    while len(acknowledged) < 60:
        time.sleep(0.01)
    service.kill()
    stop.set()
    thread.join()
    acked = set(acknowledged)
    assert 60 <= len(acked) < len(sent), "the kill must come mid-load"

    service = Service(tmp_path, "--http", "127.0.0.1:0")
    try:
        _wait_drained(service)
        stored = _stored_raw(tmp_path)
        expected_acked = {line.decode() for batch_id in acked for line in sent[batch_id]}
        all_lines = {line.decode() for lines in sent.values() for line in lines}
        assert expected_acked <= set(stored), "an acknowledged event was lost"
        assert set(stored) <= all_lines
        assert len(stored) == len(set(stored)), "duplicates after restart"

        # The sender replays everything it has no acknowledgement for, and (to be safe) a few it has.
        url = service.http + "/v1/sources/mdms-audit/events"
        replay = [b for b in sent if b not in acked] + sorted(acked)[:5]
        for batch_id in replay:
            assert _post(url, token, batch_id, b"\n".join(sent[batch_id]) + b"\n") == 200
        _wait_drained(service)
        stored = _stored_raw(tmp_path)
        assert len(stored) == len(all_lines) == len(set(stored))
        assert set(stored) == all_lines
    finally:
        service.stop()
    result = subprocess.run(
        [*RINGFENCE, "verify"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_http_refuses_missing_wrong_and_foreign_tokens(tmp_path: Path) -> None:
    _cli(tmp_path, "setup")
    token = _cli(tmp_path, "stream", "token", "mdms-audit").strip()
    other = _cli(tmp_path, "stream", "token", "cis-access").strip()
    service = Service(tmp_path, "--http", "127.0.0.1:0")
    try:
        url = service.http + "/v1/sources/mdms-audit/events"
        body = b"\n".join(_batch(1, 3))
        assert _post(url, "", "b1", body) == 401
        assert _post(url, "not-a-token", "b1", body) == 401
        assert _post(url, other, "b1", body) == 403
        assert _post(service.http + "/v1/sources/nope/events", token, "b1", body) == 404
        assert _post(url, token, "bad id with spaces", body) == 400
        assert _post(url, token, "b1", body) == 200
        _wait_drained(service)
    finally:
        service.stop()
    assert len(_stored_raw(tmp_path)) == 3


SYSLOG = (
    "<134>Oct 13 09:{minute:02d}:{second:02d} keito-ap01 keito[1]: user=u{n} src=10.0.0.1 host=T{n} "
    "action=view target=G{n:07d} count=1 outcome=success"
)


def _syslog(n: int) -> bytes:
    return SYSLOG.format(minute=n // 60 % 60, second=n % 60, n=n).encode()


def test_syslog_tcp_both_framings_udp_and_a_rotated_tailed_file(tmp_path: Path) -> None:
    _cli(tmp_path, "setup")
    log = tmp_path / "app.log"
    log.write_bytes(b"".join(_syslog(n) + b"\n" for n in range(3000, 3010)))
    args = ["--syslog-tcp", "127.0.0.1:0=keito-syslog", "--syslog-udp", "127.0.0.1:0=keito-syslog",
            "--tail", f"{log}=keito-syslog"]  # fmt: skip
    service = Service(tmp_path, *args, "--parsers", "2")
    try:
        tcp = tuple(service.addresses["syslog_tcp"][0])
        udp = tuple(service.addresses["syslog_udp"][0])
        with socket.create_connection(tcp) as conn:
            framed = b"".join(str(len(_syslog(n))).encode() + b" " + _syslog(n) for n in range(500))
            newline = b"".join(_syslog(n) + b"\n" for n in range(500, 1000))
            data = framed + newline
            for start in range(0, len(data), 777):  # arbitrary segment boundaries
                conn.sendall(data[start : start + 777])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for n in range(2000, 2050):
                sock.sendto(_syslog(n), udp)
                time.sleep(0.001)
        # Rotation: the file is renamed and a new one started; lines written to the old one still count.
        time.sleep(1.0)
        with log.open("ab") as old:
            old.write(b"".join(_syslog(n) + b"\n" for n in range(3010, 3020)))
        log.rename(tmp_path / "app.log.1")
        log.write_bytes(b"".join(_syslog(n) + b"\n" for n in range(4000, 4010)) + _syslog(4010))
        time.sleep(2.0)
    finally:
        service.stop()
    stored = _stored_raw(tmp_path)
    expected = {_syslog(n).decode() for n in [*range(1000), *range(2000, 2050), *range(3000, 3020),
                                               *range(4000, 4010)]}  # fmt: skip
    assert len(stored) == len(set(stored))
    assert expected <= set(stored) | {_syslog(n).decode() for n in range(2000, 2050)}  # UDP may drop
    assert {_syslog(n).decode() for n in range(1000)} <= set(stored)
    assert {_syslog(n).decode() for n in range(3000, 3020)} <= set(stored)
    assert _syslog(4010).decode() not in stored, "an unfinished last line is not read from a live file"

    # After a restart the tail resumes at its saved offset: no line is read twice, the finished line is read.
    with log.open("ab") as live:
        live.write(b"\n" + _syslog(4011) + b"\n")
    service = Service(tmp_path, "--tail", f"{log}=keito-syslog")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _syslog(4011).decode() not in _stored_raw(tmp_path):
            time.sleep(0.3)
    finally:
        service.stop()
    stored = _stored_raw(tmp_path)
    assert len(stored) == len(set(stored))
    assert {_syslog(4010).decode(), _syslog(4011).decode()} <= set(stored)

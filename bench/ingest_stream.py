"""Streaming ingest throughput over HTTP and syslog/TCP, with a zero-loss check.

Usage: ``.venv/bin/python bench/ingest_stream.py [--seconds S] [--senders N] [--batch LINES]``

Starts ``ringfence stream run`` as a child process on a temporary SQLite data directory, then for S
seconds N sender threads post JSON-lines batches (HTTP, keep-alive, one bearer token) and, separately,
N connections send octet-counted RFC 3164 messages (syslog over TCP). Reports events acknowledged per
second while sending, the time until the journal is drained into the lake, the sustained rate
(events / (sending + draining)), and checks that the lake holds exactly the acknowledged events.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
SAMPLES = ROOT / "src/ringfence/logs/tests/samples/sources"
RINGFENCE = [sys.executable, "-m", "ringfence.cli.main"]
PARSERS = [1]  # --parsers of the service


def env(data: Path) -> dict[str, str]:
    result = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    result["RINGFENCE_DATA_DIR"] = str(data)
    result["PYTHONPATH"] = str(ROOT / "src")
    return result


def start_service(data: Path, *args: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    process = subprocess.Popen([*RINGFENCE, "stream", "run", "--sources-dir", str(SAMPLES), "--parsers",
                                str(PARSERS[0]), *args],
                               env=env(data), stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def lake_count(data: Path) -> tuple[int, int]:
    code = ("import os,django;os.environ['DJANGO_SETTINGS_MODULE']='ringfence.settings';django.setup();"
            "from ringfence.logs.lake.query import connect;"
            "print(*connect().execute('select count(*), count(distinct event_id) from events').fetchone())")  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code], env=env(data), capture_output=True, text=True, check=True
    )
    total, distinct = out.stdout.split()[-2:]
    return int(total), int(distinct)


_cpu_before = [0.0]


def _children_cpu() -> float:
    """CPU seconds of child processes ended since the last call (the service, mostly)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    spent, _cpu_before[0] = total - _cpu_before[0], total
    return spent


def json_body(lines: int) -> bytes:
    rows = []
    for i in range(lines):
        second = i % 86_400
        rows.append(json.dumps({
            "ts": f"2026-10-13T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{i % 1000:03d}Z",
            "user": f"u{i % 977:05d}", "src_ip": f"10.4.{i % 250}.{i % 200 + 10}", "src_host": f"TDB{i % 500:03d}-0001",
            "action": "view", "target": f"03{i:020d}", "count": 1, "outcome": "success"}))  # fmt: skip
    return ("\n".join(rows) + "\n").encode()


def drain(data: Path, url: str, expected: int, started: float) -> float:
    """Seconds from ``started`` until the journal is empty (every acknowledged batch in the lake)."""
    while True:
        with urllib.request.urlopen(url + "/v1/health", timeout=30) as response:
            health = json.loads(response.read())
        if health["journal_segments"] == 0 and health["stored"]["read"] >= expected:
            return time.perf_counter() - started
        time.sleep(0.2)


def bench_http(data: Path, seconds: float, senders: int, batch: int) -> None:
    token = subprocess.run([*RINGFENCE, "stream", "token", "mdms-audit"], env=env(data), capture_output=True,
                           text=True, check=True).stdout.strip()  # fmt: skip
    _children_cpu()
    process, addresses = start_service(data, "--http", "127.0.0.1:0")
    host, port = addresses["http"]  # type: ignore[misc]
    body = json_body(batch)
    acked = [0] * senders
    stop = time.perf_counter() + seconds

    def send(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        number = 0
        while time.perf_counter() < stop:
            number += 1
            conn.request("POST", "/v1/sources/mdms-audit/events", body=body,
                         headers={"Authorization": f"Bearer {token}", "X-Batch-Id": f"s{index}-{number}"})  # fmt: skip
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                acked[index] += batch

    started = time.perf_counter()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sending = time.perf_counter() - started
    total = sum(acked)
    drained = drain(data, f"http://{host}:{port}", total, started)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    service_cpu = _children_cpu()
    stored, distinct = lake_count(data)
    print(f"http    parsers={PARSERS[0]} acknowledged {total:,} events in {sending:.1f} s = {total / sending:,.0f}/s; "
          f"in the lake after {drained:.1f} s = {total / drained:,.0f}/s sustained; "
          f"lake holds {stored:,} ({distinct:,} distinct): {'zero loss' if stored == distinct == total else 'MISMATCH'}; "
          f"service CPU {service_cpu:.1f} s = {total / service_cpu:,.0f} events per CPU-second")  # fmt: skip


def syslog_line(i: int) -> bytes:
    return (f"<134>Oct 13 09:{i // 60 % 60:02d}:{i % 60:02d} keito-ap01 keito[{i % 9000}]: user=u{i % 977} "
            f"src=10.0.{i % 250}.1 host=T{i % 500} action=view target=G{i:09d} count=1 outcome=success").encode()  # fmt: skip


def bench_syslog(data: Path, seconds: float, senders: int) -> None:
    process, addresses = start_service(
        data, "--syslog-tcp", "127.0.0.1:0=keito-syslog", "--http", "127.0.0.1:0"
    )
    tcp = tuple(addresses["syslog_tcp"][0])  # type: ignore[index]
    host, port = addresses["http"]  # type: ignore[misc]
    chunk_lines = 2000
    framed = b"".join(str(len(m)).encode() + b" " + m for m in (syslog_line(i) for i in range(chunk_lines)))
    sent = [0] * senders
    stop = time.perf_counter() + seconds

    def send(index: int) -> None:
        with socket.create_connection(tcp) as conn:  # type: ignore[arg-type]
            while time.perf_counter() < stop:
                conn.sendall(framed)
                sent[index] += chunk_lines

    started = time.perf_counter()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sending = time.perf_counter() - started
    total = sum(sent)
    drained = drain(data, f"http://{host}:{port}", total, started)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    service_cpu = _children_cpu()
    stored, distinct = lake_count(data)
    print(f"syslog  parsers={PARSERS[0]} sent {total:,} events in {sending:.1f} s = {total / sending:,.0f}/s; "
          f"in the lake after {drained:.1f} s = {total / drained:,.0f}/s sustained; "
          f"lake holds {stored:,} ({distinct:,} distinct): {'zero loss' if stored == distinct == total else 'MISMATCH'}; "
          f"service CPU {service_cpu:.1f} s = {total / service_cpu:,.0f} events per CPU-second")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--only", choices=["http", "syslog"])
    parser.add_argument("--parsers", type=int, default=1, help="parser processes of the service")
    args = parser.parse_args()
    PARSERS[0] = args.parsers
    for name in ("http", "syslog"):
        if args.only and name != args.only:
            continue
        data = Path(tempfile.mkdtemp(prefix=f"ringfence-bench-stream-{name}-"))
        subprocess.run([*RINGFENCE, "setup"], env=env(data), check=True, capture_output=True)
        _children_cpu()
        if name == "http":
            bench_http(data, args.seconds, args.senders, args.batch)
        else:
            bench_syslog(data, args.seconds, args.senders)


if __name__ == "__main__":
    main()

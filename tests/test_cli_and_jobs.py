"""The console command and the job queue, run as a user runs them: real processes on a real data directory."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

RINGFENCE = [sys.executable, "-m", "ringfence.cli.main"]


def run_cli(data_dir: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["RINGFENCE_DATA_DIR"] = str(data_dir)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [*RINGFENCE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_help_lists_every_job(tmp_path):
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("demo", "import", "export", "serve", "worker", "asof"):
        assert command in result.stdout


def test_unknown_command_fails_with_a_reason(tmp_path):
    result = run_cli(tmp_path, "no-such-job")
    assert result.returncode != 0
    assert "no-such-job" in result.stderr


def test_setup_creates_the_embedded_database_in_the_data_dir(tmp_path):
    result = run_cli(tmp_path, "setup")
    assert result.returncode == 0, result.stderr
    db = tmp_path / "ringfence.sqlite3"
    assert db.exists()
    tables = {row[0] for row in sqlite3.connect(db).execute("select name from sqlite_master where type='table'")}
    assert {"registry_personversion", "audit_auditevent"} <= tables
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_worker_runs_a_queued_job_from_sqlite_storage(tmp_path):
    assert run_cli(tmp_path, "setup").returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["RINGFENCE_DATA_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "ringfence.settings"
    enqueue = (
        "import django; django.setup(); "
        "from ringfence.audit.tasks import audit_chain_check_now; audit_chain_check_now()"
    )
    subprocess.run([sys.executable, "-c", enqueue], env=env, check=True, timeout=60)
    assert (tmp_path / "huey.sqlite3").exists()

    worker = subprocess.Popen(
        [*RINGFENCE, "worker", "--workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        found = False
        while time.monotonic() < deadline and not found:
            time.sleep(0.5)
            con = sqlite3.connect(tmp_path / "ringfence.sqlite3")
            found = bool(
                con.execute(
                    "select count(*) from audit_auditevent where actor = 'system:verify-audit-chain'"
                ).fetchone()[0]
            )
            con.close()
        assert found, "the worker did not run the queued job"
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_user_command_grants_scope_and_refuses_incomplete_scope(tmp_path):
    assert run_cli(tmp_path, "setup").returncode == 0
    ok = run_cli(
        tmp_path, "user", "reviewer1", "--role", "external_reviewer", "--valid-until", "2099-03-31",
        "--password", "Kakunin-2026-pass",
    )
    assert ok.returncode == 0, ok.stderr
    con = sqlite3.connect(tmp_path / "ringfence.sqlite3")
    (valid_until,) = con.execute(
        "select a.valid_until from authz_roleassignment a join auth_user u on u.id = a.user_id "
        "where u.username = 'reviewer1'"
    ).fetchone()
    assert str(valid_until).startswith("2099-03-31 15:00")  # end of 31 March JST, stored in UTC

    refused = run_cli(tmp_path, "user", "mgr1", "--role", "line_manager", "--password", "Kakunin-2026-pass")
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines()[-1].startswith("ringfence: error:")


def test_a_database_behind_the_code_is_refused_with_the_fix(tmp_path):
    """A data directory created by an older version is not half-used: the command names `ringfence setup`."""
    db = tmp_path / "ringfence.sqlite3"
    sqlite3.connect(db).close()  # an empty database: every migration is pending
    result = run_cli(tmp_path, "asof", "CIS", "u1")
    assert result.returncode == 2
    assert "ringfence setup" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli(tmp_path, "asof", "--help").returncode == 0

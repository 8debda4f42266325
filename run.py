#!/usr/bin/env python3
"""Set-up and entry for a fresh machine that has nothing but Python 3.11+.

    python3 run.py demo     build the environment, the demo utility, and serve it on http://127.0.0.1:8000
    python3 run.py test     build the environment and run every check (ruff, mypy, pytest)

Everything else goes through the ``ringfence`` command inside the environment (.venv/bin/ringfence).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("RINGFENCE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"


def say(message: str) -> None:
    print(f"[run.py] {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def must(*args: str | Path, env: dict[str, str] | None = None) -> None:
    code = run(*args, env=env)
    if code != 0:
        say(f"failed ({code}): {' '.join(str(a) for a in args)}")
        sys.exit(code)


def ensure_environment(extras: str) -> None:
    """Create .venv and install the project; skipped when nothing it depends on changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py must speak to old Pythons too
        sys.exit("ringfence needs Python 3.11 or newer")
    if not PYTHON.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = hashlib.sha256()
    for part in (ROOT / "pyproject.toml", CONSTRAINTS):
        if part.exists():
            fingerprint.update(part.read_bytes())
    fingerprint.update(extras.encode())
    stamp = VENV / f".ringfence-installed-{extras or 'base'}"
    if not stamp.exists() or stamp.read_text() != fingerprint.hexdigest():
        say("installing ringfence and its dependencies (first run takes a few minutes)")
        must(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        target = f".[{extras}]" if extras else "."
        args: list[str | Path] = [PYTHON, "-m", "pip", "install", "--quiet", "-e", target]
        if CONSTRAINTS.exists():
            args += ["-c", CONSTRAINTS]
        must(*args)
        stamp.write_text(fingerprint.hexdigest())
    must(PYTHON, "-m", "ringfence.core.compile_messages")


def ensure_browser() -> None:
    """Browser tests drive the system's Chromium; install it from the distribution when we may."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Chromium for browser tests (apt-get)")
        if run(apt, "update", "-qq") == 0:
            run(apt, "install", "-y", "-qq", "chromium")
    if not Path("/usr/bin/chromium").exists():
        say("Chromium not available: browser tests will be skipped")


def demo(argv: list[str]) -> None:
    ensure_environment("")
    os.execv(str(BIN / "ringfence"), [str(BIN / "ringfence"), "demo", *argv])


def test(argv: list[str]) -> None:
    ensure_environment("dev")
    ensure_browser()
    env = dict(os.environ)
    env.setdefault("RINGFENCE_DATA_DIR", str(ROOT / "var" / "test"))
    pytest_only = "--pytest-only" in argv
    argv = [a for a in argv if a != "--pytest-only"]
    if not pytest_only:
        say("ruff")
        lint_paths = [p for p in ("src", "tests", "bench", "run.py") if (ROOT / p).exists()]
        must(BIN / "ruff", "check", *lint_paths, env=env)
        say("mypy")
        must(BIN / "mypy", env=env)
    say(f"pytest on {'PostgreSQL' if env.get('DATABASE_URL', '').startswith('postgres') else 'SQLite'}")
    sys.exit(run(PYTHON, "-m", "pytest", "-n", os.environ.get("RINGFENCE_TEST_WORKERS", "2"), *argv, env=env))


def main() -> None:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()

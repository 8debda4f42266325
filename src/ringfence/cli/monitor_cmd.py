"""``ringfence monitor``: continuous monitoring that follows the log lake (docs/monitoring.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("monitor")
def monitor() -> None:
    """Continuous monitoring: evaluate the detection rules on events as they enter the lake.

    The same monitor runs inside ``ringfence stream run --monitor``; run this command instead when the
    lake is fed by ``ringfence ingest`` or by a stream service started without --monitor (only one monitor
    at a time: they share the state in <data dir>/monitor).
    """


@monitor.command("run")
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between looks at the lake's manifest.")  # fmt: skip
@click.option("--once", is_flag=True, help="Process what is new, print the figures and stop.")
@click.option("--from-start", is_flag=True,
              help="A new state starts at the lake's first file instead of its current end.")  # fmt: skip
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path),
              help="User rules folder (default <data dir>/rules).")  # fmt: skip
@click.option("--builtin/--no-builtin", default=True, show_default=True,
              help="Evaluate the built-in rule pack (with --no-builtin only the rules folder).")  # fmt: skip
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="State folder (default <data dir>/monitor).")  # fmt: skip
def run(interval: float, once: bool, from_start: bool, rules_dir: Path | None, builtin: bool,
        state_dir: Path | None) -> None:  # fmt: skip
    """Follow the lake until SIGTERM or Ctrl-C; prints one JSON line when ready and one per round with findings."""
    import signal
    import sys
    import threading

    from ringfence.detection.engine import load_ruleset
    from ringfence.detection.live import MonitorRunner

    def rules() -> object:
        return load_ruleset(rules_dir=rules_dir, include_builtin=builtin)

    runner = MonitorRunner(state_dir=state_dir, rules=rules, from_start=from_start, interval=interval)
    try:
        if once:
            result = runner.poll()
            runner.deliver_updates(force=True)
            click.echo(
                json.dumps(
                    {"files": result.files, "events": result.events, "findings": result.findings,
                     "seconds": round(result.seconds, 3), **runner.health()},
                    ensure_ascii=False,
                )
            )  # fmt: skip
            return
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        runner.poll()
        runner.deliver_updates(force=True)
        click.echo(json.dumps({"ready": True, **runner.health()}, ensure_ascii=False))
        sys.stdout.flush()
        while not stopping.wait(interval):
            done = runner.run_round()
            if done is not None and done.findings:
                click.echo(
                    json.dumps({"events": done.events, "findings": done.findings,
                                "seconds": round(done.seconds, 3)})
                )  # fmt: skip
                sys.stdout.flush()
        click.echo(json.dumps({"stopped": True, **runner.health()}, ensure_ascii=False))
    finally:
        runner.close()


@monitor.command("status")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              help="State folder (default <data dir>/monitor).")  # fmt: skip
def status(state_dir: Path | None) -> None:
    """The monitor's position in the lake, watermark and state sizes, as JSON (no personal data)."""
    import duckdb

    from ringfence.detection.live.state import STATE_FILE, default_state_dir, first_row, window_exists

    path = (state_dir or default_state_dir()) / STATE_FILE
    if not path.exists():
        raise click.ClickException(f"no monitor state at {path}: the monitor has not run yet")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as exc:
        raise click.ClickException(f"{path} is held by the running monitor ({exc})") from None
    try:
        row = first_row(
            con, "SELECT seq, lake_id, watermark, batches, events, updated_at FROM monitor_position"
        )
        kept = first_row(con, "SELECT count(*) FROM window_events") if window_exists(con) else (0,)
        history = first_row(con, "SELECT count(*) FROM history_events")
    finally:
        con.close()
    if row is None:
        raise click.ClickException(f"{path} holds no position yet")
    click.echo(
        json.dumps(
            {
                "seq": row[0],
                "lake_id": row[1],
                "watermark": row[2].isoformat() if row[2] else None,
                "batches": row[3],
                "events": row[4],
                "updated_at": row[5].isoformat() if row[5] else None,
                "window_events": kept[0] if kept else 0,
                "history_rows": history[0] if history else 0,
            }
        )
    )

"""``ringfence ingest`` (log files and folders into the lake) and ``ringfence stream`` (the live service)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ringfence.cli.progress import progress


def _sources_dir(value: str | None) -> Path | None:
    """The folder of source definitions: the option, or ``<data dir>/sources`` when that exists."""
    if value:
        return Path(value)
    from django.conf import settings

    default = Path(settings.DATA_DIR) / "sources"
    return default if default.is_dir() else None


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", "source_id", help="Read every file with this source definition (its id).")
@click.option(
    "--sources-dir",
    type=click.Path(file_okay=False),
    help="Folder of source definitions (*.toml); default <data dir>/sources.",
)
@click.option("--flush-events", type=click.IntRange(min=1), default=1_000_000, show_default=True,
              help="Events gathered before each write to the lake.")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes parsing files side by side (the main process writes the lake).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(paths: tuple[Path, ...], source_id: str | None, sources_dir: str | None, flush_events: int,
           workers: int, as_json: bool) -> None:  # fmt: skip
    """Ingest log files (plain, .gz, .zip) and folders into the log lake.

    Files are routed to the definition of the system their folder is named after, unless --source is
    given. A re-run adds no duplicates; lines that cannot be parsed are quarantined and counted.
    """
    from ringfence.logs.ingest.batch import BatchIngest
    from ringfence.logs.ingest.routing import SourceRouter, ingest_definitions

    router = SourceRouter(
        ingest_definitions(_sources_dir(sources_dir), explicit=bool(sources_dir)), source_id
    )
    with progress() as bar:
        job = BatchIngest(router, flush_events=flush_events, workers=workers)
        planned = job.plan(paths)
        task = bar.add_task("ingest", total=sum(item.size for item, _d in planned) or 1)
        job.progress = lambda _name, size: bar.advance(task, size)
        summary = job.run(paths)
    totals = summary.totals
    if as_json:
        click.echo(json.dumps({
            "files": summary.files, "files_unchanged": summary.files_unchanged,
            "files_resumed": summary.files_resumed, **totals.as_dict(), "seconds": round(summary.seconds, 3),
            "by_source": {k: v.as_dict() for k, v in sorted(summary.by_source.items())}, "notes": summary.notes,
        }, ensure_ascii=False))  # fmt: skip
        return
    for note in summary.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"{'source':<28}{'read':>12}{'stored':>12}{'duplicate':>12}{'quarantined':>13}{'skipped':>10}")
    for source, counts in sorted(summary.by_source.items()):
        click.echo(f"{source:<28}{counts.read:>12,}{counts.stored:>12,}{counts.duplicates:>12,}"
                   f"{counts.quarantined:>13,}{counts.skipped:>10,}")  # fmt: skip
    click.echo(f"{'total':<28}{totals.read:>12,}{totals.stored:>12,}{totals.duplicates:>12,}"
               f"{totals.quarantined:>13,}{totals.skipped:>10,}")  # fmt: skip
    click.echo(
        f"{summary.files} files ({summary.files_unchanged} unchanged, {summary.files_resumed} resumed) "
        f"in {summary.seconds:.1f} s, {summary.events_per_second:,.0f} lines/s"
    )
    if totals.quarantined:
        click.echo(
            f"{totals.quarantined:,} lines quarantined: see the sources page or the quarantine list", err=True
        )


def _address(text: str) -> tuple[str, int]:
    host, _sep, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{text!r}: use HOST:PORT")
    return host.strip("[]"), int(port)


def _bound(text: str) -> tuple[str, int, str]:
    address, sep, source = text.partition("=")
    if not sep or not source:
        raise click.BadParameter(f"{text!r}: use HOST:PORT=SOURCE_ID")
    return (*_address(address), source)


@click.group("stream")
def stream() -> None:
    """Live log intake: HTTP batches, syslog over UDP/TCP and file tailing, into the lake."""


@stream.command("run")
@click.option(
    "--sources-dir", type=click.Path(file_okay=False), help="Folder of source definitions (*.toml)."
)
@click.option("--http", "http", help="Listen for HTTP batches on HOST:PORT (e.g. 127.0.0.1:8514).")
@click.option("--syslog-udp", multiple=True, help="HOST:PORT=SOURCE_ID: syslog over UDP for a source.")
@click.option("--syslog-tcp", multiple=True, help="HOST:PORT=SOURCE_ID: syslog over TCP for a source.")
@click.option("--tail", "tails", multiple=True, help="PATH=SOURCE_ID: follow a log file (survives rotation).")
@click.option("--flush-interval", type=float, default=None,
              help="Seconds between moves from the journal to the lake [default: 2, 0.25 with --monitor].")  # fmt: skip
@click.option("--parsers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes parsing journal records side by side.")  # fmt: skip
@click.option("--monitor", is_flag=True,
              help="Continuous monitoring: evaluate the detection rules on every flush (docs/monitoring.md).")  # fmt: skip
def run(sources_dir: str | None, http: str | None, syslog_udp: tuple[str, ...], syslog_tcp: tuple[str, ...],
        tails: tuple[str, ...], flush_interval: float | None, parsers: int, monitor: bool) -> None:  # fmt: skip
    """Run the streaming service until SIGTERM or Ctrl-C; prints one JSON line with its addresses."""
    import signal
    import threading

    from ringfence.logs.ingest.routing import ingest_definitions
    from ringfence.logs.ingest.service import StreamConfig, StreamService

    definitions = ingest_definitions(_sources_dir(sources_dir), explicit=bool(sources_dir))
    tail_specs: list[tuple[Path, str]] = []
    for spec in tails:
        path, sep, source = spec.rpartition("=")
        if not sep or not path:
            raise click.BadParameter(f"{spec!r}: use PATH=SOURCE_ID")
        tail_specs.append((Path(path), source))
    config = StreamConfig(
        definitions=definitions,
        http=_address(http) if http else None,
        syslog_udp=[_bound(s) for s in syslog_udp],
        syslog_tcp=[_bound(s) for s in syslog_tcp],
        tails=tail_specs,
        flush_interval=flush_interval if flush_interval is not None else (0.25 if monitor else 2.0),
        parsers=parsers,
        monitor=monitor,
    )
    service = StreamService(config)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    service.start()
    click.echo(json.dumps({"ready": True, **service.addresses}), nl=True)
    import sys

    sys.stdout.flush()
    stopping.wait()
    service.stop()
    click.echo(json.dumps({"stopped": True, **service.flusher.totals.as_dict()}))


@stream.command("token")
@click.argument("source_id")
@click.option("--label", default="", help="Who or what will use the token.")
def token(source_id: str, label: str) -> None:
    """Issue a bearer token for one source; it is printed once and only its hash is kept."""
    from ringfence.logs.services import issue_token

    click.echo(issue_token(source_id, label=label, actor="system:cli"))

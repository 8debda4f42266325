"""``ringfence demo``: build the demo utility, load its registry, and serve the UI on it."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import click
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError
from django.utils.translation import gettext as _
from rich.progress import TaskID

from ringfence.core.errors import RingfenceError

OWNED_ENTRIES = {"registry", "logs", "sources", "labels.jsonl", "demo.json", "logins.json"}


def _week_start(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _prepare(out: Path, force: bool) -> None:
    """Refuse to write into a folder that is not a demo folder; clear an old demo's files."""
    if out.exists() and not out.is_dir():
        raise RingfenceError(_("%(out)s exists and is not a folder") % {"out": out})
    if out.is_dir():
        foreign = {p.name for p in out.iterdir()} - OWNED_ENTRIES
        if foreign and not force:
            raise RingfenceError(
                _("%(out)s holds other files (%(names)s); use an empty folder or --force")
                % {"out": out, "names": ", ".join(sorted(foreign)[:3])}
            )
        for name in ("registry", "logs", "sources"):
            if (out / name).is_dir():
                shutil.rmtree(out / name)


@click.command()
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same files, byte for byte.")
@click.option("--size", type=click.Choice(["small", "default", "large"]), default="default", show_default=True,
              help="Log events: small ~20,000, default ~2,000,000, large ~20,000,000.")  # fmt: skip
@click.option("--week-start", callback=_week_start, help="First day of the log week (default 2026-10-12).")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default <data dir>/demo)."
)
@click.option("--no-serve", is_flag=True, help="Write and load only; do not create logins or serve.")
@click.option("--no-ingest", is_flag=True, help="Do not ingest the week of logs into the lake.")
@click.option(
    "--no-analyze",
    is_flag=True,
    help="Do not run the detection rules and the week's analysis campaign (implied by --no-ingest).",
)
@click.option("--force", is_flag=True, help="Rebuild even if the folder already holds this demo.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the UI on 127.0.0.1.")
def demo(
    seed: int,
    size: str,
    week_start: dt.date | None,
    out: Path | None,
    no_serve: bool,
    no_ingest: bool,
    no_analyze: bool,
    force: bool,
    port: int,
) -> None:
    """Build a believable T&D utility (registry, one week of logs, labelled violations), load it, serve it."""
    from ringfence.cli.progress import progress
    from ringfence.demo.calendar import DEFAULT_WEEK_START
    from ringfence.demo.generate import GENERATOR_VERSION, generate_demo, read_manifest
    from ringfence.demo.load import create_demo_logins, load_registry, registry_loaded

    started = time.monotonic()
    out = (out or Path(settings.DATA_DIR) / "demo").resolve()
    week = week_start or DEFAULT_WEEK_START
    manifest = read_manifest(out)
    same = bool(manifest) and manifest == {**(manifest or {}), "seed": seed, "size": size,
                                           "week_start": week.isoformat(), "generator_version": GENERATOR_VERSION}  # fmt: skip
    timings: dict[str, float] = {}
    try:
        call_command("migrate", interactive=False, verbosity=0)
        timings["database ready"] = time.monotonic() - started
    except OperationalError as exc:  # fail before minutes of generation, with one line the user can act on
        reason = str(exc).strip().splitlines()[-1]
        raise RingfenceError(_("cannot use the database: %(reason)s") % {"reason": reason}) from exc
    if same and not force:
        click.echo(
            _("demo in %(out)s is up to date (seed %(seed)s, size %(size)s); --force rebuilds it")
            % {"out": out, "seed": seed, "size": size}
        )
        summary: dict[str, object] = dict(manifest or {})
    else:
        _prepare(out, force)
        with progress() as bar:
            tasks: dict[str, TaskID] = {}

            def report(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = bar.add_task(
                        {"registry": "registry files", "logs": "log files"}[step], total=total
                    )
                bar.update(tasks[step], completed=done, total=total)

            result = generate_demo(out, seed=seed, size=size, week_start=week, progress=report)
        summary = dict(result.__dict__)
        timings["generated"] = result.seconds
    if registry_loaded(out) and not force:
        click.echo(_("registry already loaded"))
    else:
        load_started = time.monotonic()
        with progress() as bar:
            tables: dict[str, TaskID] = {}

            def table_progress(table: str, done: int, total: int) -> None:
                if table not in tables:
                    tables[table] = bar.add_task(f"import {table}", total=total)
                bar.update(tables[table], completed=done, total=total)

            loaded = load_registry(out, progress=table_progress)
        tables_loaded = ", ".join(f"{t['table']} {t['rows']}" for t in loaded)
        click.echo(_("registry loaded: %(tables)s") % {"tables": tables_loaded})
        timings["loaded"] = time.monotonic() - load_started
    if not no_ingest:
        timings["ingested"] = _ingest(out)
        if not no_analyze:
            timings["analysed"] = _analyse(week)
    timings["total"] = time.monotonic() - started
    _print_summary(out, summary, timings)
    if no_serve:
        return
    password, logins = create_demo_logins(out)
    click.echo(_("demo logins (password for all: %(password)s)") % {"password": password})
    for login in logins:
        click.echo(f"  {login.username:<14} {', '.join(login.roles):<18} {login.scope}")
    from ringfence.cli.serve_cmd import serve

    click.get_current_context().invoke(serve, host="127.0.0.1", port=port, threads=8)


def _ingest(out: Path) -> float:
    """Ingest ``out/logs`` into the lake with a progress bar, print the summary; returns the seconds taken.

    The definitions are also copied to ``<data dir>/sources``, the default of ``ringfence ingest``, so later
    runs by hand find them.
    """
    from ringfence.cli.progress import progress
    from ringfence.demo.ingest import ingest_demo_logs, write_source_definitions

    sources = out / "sources"
    write_source_definitions(sources)  # a demo folder written before the definitions were shipped has none
    write_source_definitions(Path(settings.DATA_DIR) / "sources")
    with progress() as bar:
        task = bar.add_task(_("ingest logs"), total=None)
        summary = ingest_demo_logs(
            out / "logs", sources, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    totals = summary.totals
    click.echo(
        _(
            "logs ingested: %(files)d files (%(unchanged)d unchanged), read %(read)s, stored %(stored)s, "
            "duplicate %(duplicates)s, quarantined %(quarantined)s"
        )
        % {
            "files": summary.files,
            "unchanged": summary.files_unchanged,
            "read": f"{totals.read:,}",
            "stored": f"{totals.stored:,}",
            "duplicates": f"{totals.duplicates:,}",
            "quarantined": f"{totals.quarantined:,}",
        }
    )
    for note in summary.notes:
        click.echo(_("note: %(note)s") % {"note": note}, err=True)
    if totals.quarantined:
        click.echo(
            _("%(count)s lines quarantined: see the sources page or the quarantine list")
            % {"count": f"{totals.quarantined:,}"},
            err=True,
        )
    return summary.seconds


DEMO_CAMPAIGN = "デモ: 半期アクセスログ分析 %(start)s〜%(end)s"


def _analyse(week: dt.date) -> float:
    """Run the rule pack over the demo week (alerts) and its semi-annual analysis campaign; returns seconds.

    A demo re-run finds the campaign already computed and leaves it (and its sign-offs) alone; the detection
    run raises no alert twice, because alerts are keyed by incident.
    """
    from ringfence.analysis.models import Campaign
    from ringfence.analysis.services.campaigns import create_campaign, run_campaign
    from ringfence.core.timeutil import JST
    from ringfence.registry.models import InformationSystem

    began = time.monotonic()
    start = dt.datetime.combine(week, dt.time(), tzinfo=JST)
    end = start + dt.timedelta(days=7)
    last = (end - dt.timedelta(days=1)).date()
    name = DEMO_CAMPAIGN % {"start": week.isoformat(), "end": last.isoformat()}
    campaign = Campaign.objects.filter(name=name, start=start, end=end).first()
    if campaign is not None and campaign.computed_at is not None:
        click.echo(_("analysis campaign %(id)s of the demo week already computed") % {"id": campaign.pk})
        return time.monotonic() - began
    click.echo(_("running the detection rules and the analysis of the demo week"))
    if campaign is None:
        # Every system of the demo, not only those holding non-public information: the demo shows the whole
        # catalogue of 23 systems, as the reporting utility's report does.
        codes = list(InformationSystem.objects.order_by("code").values_list("code", flat=True))
        campaign = create_campaign(name=name, start=start, end=end, actor="system:demo", systems=codes)
    campaign = run_campaign(campaign, actor="system:demo")
    conclusions: dict[str, int] = {}
    for conclusion in campaign.systems.values_list("conclusion", flat=True):
        conclusions[conclusion] = conclusions.get(conclusion, 0) + 1
    from ringfence.alerts.models import Alert

    click.echo(
        _("analysis campaign %(id)s: %(conclusions)s; %(alerts)s alerts")
        % {
            "id": campaign.pk,
            "conclusions": ", ".join(f"{k} {v}" for k, v in sorted(conclusions.items())),
            "alerts": Alert.objects.filter(first_seen__gte=start, first_seen__lt=end).count(),
        }
    )
    return time.monotonic() - began


def _print_summary(out: Path, summary: dict[str, object], timings: dict[str, float]) -> None:
    people = summary.get("people", {})
    assert isinstance(people, dict)
    click.echo(_("demo utility in %(out)s") % {"out": out})
    click.echo("  people: " + ", ".join(f"{k} {v:,}" for k, v in people.items()))
    click.echo(f"  systems {summary.get('systems')}, accounts {summary.get('accounts'):,}, "
               f"terminals {summary.get('terminals'):,}")  # fmt: skip
    by_format = summary.get("events_by_format", {})
    assert isinstance(by_format, dict)
    click.echo(
        f"  events {summary.get('events'):,}: " + ", ".join(f"{k} {v:,}" for k, v in by_format.items())
    )
    scenarios = summary.get("scenarios", {})
    assert isinstance(scenarios, dict)
    click.echo(
        f"  scenarios {sum(scenarios.values())} ({len(scenarios)} kinds), labels in {out / 'labels.jsonl'}"
    )
    click.echo("  time " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items()))

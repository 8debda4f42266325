"""``ringfence import TABLE FILE`` and ``ringfence import bundle DIR``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from ringfence.core.wareki import DateParseError, parse_date

from .progress import progress

if TYPE_CHECKING:
    from ringfence.registry.imports import ImportReport

OUTCOMES = ("created", "changed", "unchanged", "deleted")


def parse_as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """``--as-of`` in any form the importer reads (2024-04-01, 令和6年4月1日, R6.4.1 ...)."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except DateParseError as exc:
        raise click.BadParameter(str(exc)) from exc


def print_summary(reports: list[ImportReport], console: Console | None = None) -> None:
    """One line per imported table: rows and outcomes, time taken, and whether it was a dry run."""
    from django.utils.translation import gettext as _

    console = console or Console()
    dry = any(r.dry_run for r in reports)
    table = Table(title=_("dry run — nothing was written") if dry else _("import finished"))
    table.add_column(_("table"), no_wrap=True)
    table.add_column(_("file"), overflow="fold", max_width=24)
    table.add_column(_("rows"), justify="right", no_wrap=True)
    labels = {
        "created": _("created"),
        "changed": _("changed"),
        "unchanged": _("unchanged"),
        "deleted": _("deleted"),
    }
    for outcome in OUTCOMES:
        table.add_column(labels[outcome], justify="right", no_wrap=True)
    table.add_column(_("seconds"), justify="right", no_wrap=True)
    for report in reports:
        table.add_row(
            report.table,
            report.path.name,
            str(report.rows),
            *(str(report.counts[o]) for o in OUTCOMES),
            f"{report.duration_seconds:.2f}",
        )
    console.print(table)


@click.command(name="import")
@click.argument("table")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TOML mapping file."
)
@click.option(
    "--as-of", callback=parse_as_of, help="Date rows without valid_from take effect (default today)."
)
@click.option("--dry-run", is_flag=True, help="Check and count what would change; write nothing.")
@click.option("--full-list", is_flag=True, help="accounts: the file lists every account of its systems.")
@click.option(
    "--actor", default="system:import", show_default=True, help="Who is recorded in the audit trail."
)
def import_(
    table: str,
    path: Path,
    mapping: Path | None,
    as_of: dt.date | None,
    dry_run: bool,
    full_list: bool,
    actor: str,
) -> None:
    """Import FILE (CSV, TSV, Excel) into TABLE; `import bundle DIR` imports a folder of <table>.csv files.

    Every bad row is listed as file:line [column]: reason and nothing is imported (exit code 1).
    """
    from django.utils.translation import gettext as _

    from ringfence.registry.imports import import_bundle, run_import

    with progress() as bar:
        tasks: dict[str, object] = {}

        def on_progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)  # type: ignore[arg-type]

        if table == "bundle":
            if mapping is not None or full_list:
                raise click.UsageError(
                    _("a bundle takes <table>.mapping.toml files beside the data, not options")
                )
            reports = import_bundle(path, as_of=as_of, dry_run=dry_run, actor=actor, progress=on_progress)
        else:
            reports = [
                run_import(
                    table, path, mapping=mapping, as_of=as_of, dry_run=dry_run, full_list=full_list, actor=actor,
                    progress=lambda done, total: on_progress(table, done, total),
                )
            ]  # fmt: skip
    print_summary(reports)

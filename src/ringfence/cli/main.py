"""The ``ringfence`` console command: one entry point for every job.

Subcommands live in their own modules and are imported only when called, so ``ringfence --help`` is fast
and a broken optional dependency of one job does not break the others.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from ringfence.core.errors import BadInput, RingfenceError

# name -> (module, attribute, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": (
        "ringfence.cli.demo_cmd",
        "demo",
        "Build the demo utility (registry, logs, labels), ingest its week, serve it.",
    ),
    "import": ("ringfence.cli.import_cmd", "import_", "Import a registry table from CSV or Excel."),
    "export": (
        "ringfence.cli.export_cmd",
        "export",
        "Export registry tables (CSV, Excel, Parquet for DuckDB).",
    ),
    "serve": ("ringfence.cli.serve_cmd", "serve", "Serve the web UI."),
    "worker": ("ringfence.cli.serve_cmd", "worker", "Run the background job worker (Huey)."),
    "setup": ("ringfence.cli.setup_cmd", "setup", "Create or upgrade the database."),
    "user": ("ringfence.cli.setup_cmd", "user", "Create a login with a role."),
    "asof": ("ringfence.cli.asof_cmd", "asof", "Who owned an account of a system at a moment."),
    "reconcile": (
        "ringfence.cli.identity_cmd",
        "reconcile_cmd",
        "Reconcile accounts against HR; findings as JSON/CSV.",
    ),
    "campaign": (
        "ringfence.cli.identity_cmd",
        "campaign",
        "Access reviews and company-wide password changes.",
    ),
    "verify": ("ringfence.cli.lake_cmd", "verify", "Check that the log lake is complete and unaltered."),
    "lake": ("ringfence.cli.lake_cmd", "lake", "Log lake: purge past retention, compact, recover."),
    "ingest": ("ringfence.cli.ingest_cmd", "ingest", "Ingest log files and folders into the log lake."),
    "stream": ("ringfence.cli.ingest_cmd", "stream", "Live log intake: HTTP, syslog, file tailing."),
    "sources": ("ringfence.cli.sources_cmd", "sources", "Log-source definitions: import/export TOML files."),
    "analyze": (
        "ringfence.cli.analyze_cmd",
        "analyze",
        "Run the detection rules over a period of the lake; alerts as JSON/CSV.",
    ),
    "score": (
        "ringfence.cli.analyze_cmd",
        "score",
        "Score a period's alerts against a labels file (recall, precision).",
    ),
    "rules": (
        "ringfence.cli.rules_cmd",
        "rules",
        "Detection rules: list, validate, test against sample events.",
    ),
    "monitor": (
        "ringfence.cli.monitor_cmd",
        "monitor",
        "Continuous monitoring: evaluate the rules as events arrive.",
    ),
    "alerts": ("ringfence.cli.alerts_cmd", "alerts", "Alerts: list, notify, suppressions."),
    "report": (
        "ringfence.cli.report_cmd",
        "report",
        "Periodic analysis campaigns: create, run, export reports.",
    ),
}


class LazyGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Remembered so that asking a subcommand for help never needs a ready database.
        ctx.meta["asks_help"] = any(arg in ("-h", "--help") for arg in args)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module_name, attribute, _ = SUBCOMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SUBCOMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ringfence.settings")
    import django

    django.setup()


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="RINGFENCE_DATA_DIR",
    help="Directory holding the database, job queue and log lake (env RINGFENCE_DATA_DIR, default ./var).",
)
@click.version_option(package_name="ringfence")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """ringfence — proof that non-public network-business information stays ring-fenced (行為規制)."""
    if data_dir:
        os.environ["RINGFENCE_DATA_DIR"] = data_dir
    setup_django()
    if ctx.invoked_subcommand not in SELF_MIGRATING and not ctx.meta.get("asks_help"):
        require_current_schema()


# Commands that create or upgrade the database themselves.
SELF_MIGRATING = frozenset({"setup", "serve", "demo"})


def require_current_schema() -> None:
    """Refuse to run on a database that lacks migrations, with the command that fixes it."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RingfenceError(
            f"the database in {connection.settings_dict['NAME']} needs {len(pending)} migration(s); "
            "run `ringfence setup` first"
        )


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="ringfence", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("ringfence: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BadInput as exc:
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        click.echo(f"ringfence: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except RingfenceError as exc:
        click.echo(f"ringfence: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()

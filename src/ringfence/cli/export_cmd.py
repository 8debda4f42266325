"""``ringfence export TABLE|all --format csv|xlsx|parquet --out PATH``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .import_cmd import parse_as_of


@click.command()
@click.argument("table")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "parquet"]), default="csv", show_default=True
)
@click.option(
    "--out", required=True, type=click.Path(path_type=Path), help="File (one table) or folder (all)."
)
@click.option(
    "--as-of", callback=parse_as_of, help="Export what was valid at 00:00 JST of this date (default now)."
)
@click.option(
    "--japanese-headers", is_flag=True, help="Japanese column names (the importer reads them back)."
)
@click.option("--cp932", is_flag=True, help="CSV in CP932 (Shift_JIS) instead of UTF-8 with BOM.")
@click.option(
    "--actor", default="system:export", show_default=True, help="Who is recorded in the audit trail."
)
def export(
    table: str, fmt: str, out: Path, as_of: dt.date | None, japanese_headers: bool, cp932: bool, actor: str
) -> None:
    """Export TABLE (or `all`) in the canonical columns; `all` writes one file per table into a folder."""
    from django.utils.translation import gettext as _

    from ringfence.registry.exports import export_all, export_table
    from ringfence.registry.imports import TABLES

    if table != "all" and table not in TABLES:
        raise click.BadParameter(
            _("unknown table %(table)s; tables: all, %(names)s")
            % {"table": table, "names": ", ".join(TABLES)},
            param_hint="TABLE",
        )
    if fmt == "parquet":
        if as_of is not None or japanese_headers or cp932:
            raise click.UsageError(
                _("parquet holds the full history: --as-of, --japanese-headers and --cp932 do not apply")
            )
        from ringfence.registry.lake_export import TABLE_NAMES, export_registry_tables

        if table != "all" and table not in TABLE_NAMES:
            raise click.UsageError(
                _("%(table)s has no Parquet form; Parquet tables: %(names)s")
                % {"table": table, "names": ", ".join(TABLE_NAMES)}
            )
        if table == "all":
            written = export_registry_tables(out, known_at=None)
        else:
            written = export_registry_tables(out, known_at=None, tables=[table])
        rows = [(name, str(path), "") for name, path in sorted(written.items())]
    else:
        encoding = "cp932" if cp932 else "utf-8-sig"
        if table == "all":
            results = export_all(
                out, fmt=fmt, at=as_of, japanese_headers=japanese_headers, encoding=encoding, actor=actor
            )
        else:
            results = [
                export_table(
                    table,
                    out,
                    fmt=fmt,
                    at=as_of,
                    japanese_headers=japanese_headers,
                    encoding=encoding,
                    actor=actor,
                )
            ]
        rows = [(r.table, str(r.path), str(r.rows)) for r in results]
    summary = Table(title=_("export finished"))
    summary.add_column(_("table"))
    summary.add_column(_("file"))
    summary.add_column(_("rows"), justify="right")
    for row in rows:
        summary.add_row(*row)
    Console().print(summary)

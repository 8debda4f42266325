"""``ringfence sources``: log-source definitions between TOML files and the database (the UI's set)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("sources")
def sources() -> None:
    """Log-source definitions: import TOML files into the database, export them back."""


@sources.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--reason", default="", help="Why (kept with each new version).")
def import_(path: Path, reason: str) -> None:
    """Store every *.toml of a folder (or one file); all are checked first, nothing is stored on error."""
    from ringfence.logs.definitions.services import import_files

    results = import_files(path, actor="system:cli", reason=reason)
    for result in results:
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.version.source.source_id}\tv{result.version.number}\t{state}")
    click.echo(f"{sum(r.created for r in results)} of {len(results)} definitions stored as new versions")


@sources.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export(directory: Path) -> None:
    """Write the current version of every stored definition to DIRECTORY/<id>.toml."""
    from ringfence.logs.definitions.services import export_files

    written = export_files(directory, actor="system:cli")
    click.echo(f"{len(written)} definitions written to {directory}")

"""Placeholder: this command is being built (replaced by its owner)."""

import click


@click.command(name="monitor")
def monitor() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")

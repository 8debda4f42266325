"""Placeholder: this command is being built (replaced by its owner)."""

import click


@click.command(name="report")
def report() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")

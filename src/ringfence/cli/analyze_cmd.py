"""Placeholder: this command is being built (replaced by its owner)."""

import click


@click.command(name="analyze")
def analyze() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")


@click.command(name="score")
def score() -> None:
    """Not built yet."""
    raise click.ClickException("not built yet")

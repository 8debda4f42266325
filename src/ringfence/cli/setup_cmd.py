from __future__ import annotations

import click
from django.core.management import call_command


@click.command()
def setup() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    call_command("migrate", interactive=False, verbosity=0)
    click.echo("database ready")


@click.command()
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Role code; repeat for several.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user(username: str, roles: tuple[str, ...], password: str) -> None:
    """Create (or reset) a login USERNAME holding the given roles."""
    from ringfence.authz.services import create_login

    create_login(username=username, password=password, roles=list(roles))
    click.echo(f"login {username} ready with roles {', '.join(roles)}")

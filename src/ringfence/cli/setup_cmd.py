from __future__ import annotations

import datetime as dt

import click
from django.core.management import call_command

from ringfence.core.timeutil import start_of_day_jst


@click.command()
def setup() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    call_command("migrate", interactive=False, verbosity=0)
    click.echo("database ready")


@click.command()
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Role code; repeat for several.")
@click.option("--unit", "units", multiple=True, help="Unit code a line manager is scoped to; repeatable.")
@click.option(
    "--system", "systems", multiple=True, help="System code a system owner is scoped to; repeatable."
)
@click.option(
    "--valid-until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day the login works (required for external reviewers).",
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user(
    username: str,
    roles: tuple[str, ...],
    units: tuple[str, ...],
    systems: tuple[str, ...],
    valid_until: dt.datetime | None,
    password: str,
) -> None:
    """Create (or reset) a login USERNAME holding the given roles and scope.

    Roles: admin, conduct_officer, analyst, line_manager (needs --unit), auditor, system_owner (needs
    --system), external_reviewer (needs --valid-until).
    """
    from ringfence.authz.services import create_login

    until = start_of_day_jst(valid_until.date() + dt.timedelta(days=1)) if valid_until else None
    create_login(
        username=username,
        password=password,
        roles=list(roles),
        units=list(units) or None,
        systems=list(systems) or None,
        valid_until=until,
    )
    click.echo(f"login {username} ready with roles {', '.join(roles)}")

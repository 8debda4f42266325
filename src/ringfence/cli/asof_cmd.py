"""``ringfence asof SYSTEM ACCOUNT [AT]``: who owned an account of a system at a moment.

The answer names the owner's employment type, status, unit (with its path up to the head office) and
employer as they were at that moment, as ringfence knew it now or at ``--known-at``. Looking the owner up
is a view of personal data, so it is recorded in the audit trail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
from typing import Any

import click
from django.utils.translation import gettext as _

from ringfence.core.timeutil import JST, ensure_aware, start_of_day_jst, to_jst


def parse_moment(text: str) -> dt.datetime:
    """``2024-04-01`` (00:00 JST), ``2024-04-01 09:30`` (JST) or an ISO time with an offset."""
    text = text.strip()
    try:
        if len(text) == 10:
            return start_of_day_jst(dt.date.fromisoformat(text))
        return ensure_aware(dt.datetime.fromisoformat(text))
    except ValueError as exc:
        raise click.BadParameter(_("not a date or time: %(text)s") % {"text": text}) from exc


class MomentType(click.ParamType):
    """A click parameter holding a moment (see ``parse_moment``)."""

    name = "moment"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        """Turn the text into an aware datetime or fail with click's usage error."""
        if isinstance(value, dt.datetime):
            return value
        return parse_moment(str(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return to_jst(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _when(value: dt.datetime | None) -> str:
    return "—" if value is None else f"{to_jst(value):%Y-%m-%d %H:%M} JST"


def _label(choices: Any, value: str | None) -> str:
    if not value:
        return "—"
    try:
        return f"{choices(value).label} ({value})"
    except ValueError:
        return value


def _line(label: str, value: str) -> str:
    """One labelled line (the label translated by the caller, outside any f-string, so gettext finds it)."""
    return f"{label}: {value}"


def render_text(answer: Any) -> list[str]:
    """The answer as labelled lines (labels translated; Japanese by default)."""
    from ringfence.registry.choices import AccountKind, AccountStatus, EmploymentType, PersonStatus
    from ringfence.registry.selectors.asof import AccountState

    lines = [
        _line(_("System"), f"{answer.system_code} {answer.system_name}").rstrip(),
        _line(_("Account"), answer.account_id),
        _line(_("At"), _when(answer.at)),
        _line(_("As known at"), _when(answer.known_at) if answer.known_at else _("now")),
    ]
    if answer.state == AccountState.UNKNOWN_ACCOUNT:
        return [*lines, _("The system has no account with this ID in the registry.")]
    if answer.state == AccountState.NOT_VALID:
        return [*lines, _("The account did not exist at that moment.")]
    lines += [
        _line(_("Account kind"), _label(AccountKind, answer.kind)),
        _line(_("Account status"), _label(AccountStatus, answer.status)),
        _line(_("Valid"), f"{_when(answer.valid_from)} – {_when(answer.valid_to)}"),
    ]
    if answer.state == AccountState.NO_OWNER:
        return [*lines, _("The account had no owner at that moment.")]
    owner = answer.owner
    if owner is None:
        return [
            *lines,
            _line(_("Owner"), str(answer.owner_employee_number)),
            _("The owner is not in the personnel registry at that moment."),
        ]
    unit = owner.unit
    return [
        *lines,
        _line(_("Owner"), f"{owner.employee_number} {owner.name_kanji}"),
        _line(_("Employment type"), _label(EmploymentType, owner.employment_type)),
        _line(_("Employer"), owner.employer or "—"),
        _line(_("Status"), _label(PersonStatus, owner.status)),
        _line(_("Unit"), f"{unit.code} {unit.name}" if unit else "—"),
        _line(_("Unit path"), unit.path_names if unit else "—"),
    ]


@click.command("asof")
@click.argument("system")
@click.argument("account")
@click.argument("at", required=False, type=MomentType())
@click.option(
    "--known-at", type=MomentType(), help="Answer with what was known at this moment (default: now)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def asof(
    system: str, account: str, at: dt.datetime | None, known_at: dt.datetime | None, as_json: bool
) -> None:
    """Who owned ACCOUNT of SYSTEM at AT (default: now), with their employment type, unit and employer.

    AT is a date (00:00 JST) or a date and time (JST unless an offset is given).
    """
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record
    from ringfence.registry.selectors.asof import account_owner_at

    when = at or dt.datetime.now(JST)
    answer = account_owner_at(system, account, when, known_at)
    record(
        AuditAction.VIEW,
        actor=f"cli:{getpass.getuser()}",
        target_type="registry.account",
        target_ref=f"{system}:{account}",
        detail={
            "query": "asof",
            "at": when.isoformat(),
            "known_at": known_at.isoformat() if known_at else None,
            "state": answer.state,
            "owner": answer.owner_employee_number,
        },
    )
    if as_json:
        click.echo(json.dumps(_jsonable(dataclasses.asdict(answer)), ensure_ascii=False, indent=2))
    else:
        for line in render_text(answer):
            click.echo(line)

"""``ringfence report``: periodic analysis campaigns and go-live verification without the UI.

    ringfence report create --name "2026 下期" [--from 2026-10-12 --to 2026-10-19] [--system CIS ...]
    ringfence report run ID                  pin the inputs, compute figures and conclusions
    ringfence report list
    ringfence report export ID --format pdf|xlsx|json --out FILE
    ringfence report sign ID --system CIS|all --as review|approve --user LOGIN [--note TEXT]
    ringfence report verify ID               recompute from the pin; exit 1 unless identical
    ringfence report finding ID --system CIS --title T --owner O --due DATE
    ringfence report close-finding FINDING_ID --resolution TEXT

Exports name people and accounts, so each is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import click


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value}") from exc


def _assignments(values: tuple[str, ...], option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values:
        system, sep, login = value.partition("=")
        if not sep or not system or not login:
            raise click.BadParameter(f"{option} {value!r}: expected SYSTEM=LOGIN (SYSTEM may be *)")
        result[system] = login
    return result


def _campaign(campaign_id: int):  # type: ignore[no-untyped-def]
    from ringfence.analysis.models import Campaign
    from ringfence.core.errors import RingfenceError

    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise RingfenceError(f"no campaign {campaign_id}")
    return campaign


def _every_system() -> list[str]:
    from ringfence.registry.models import InformationSystem

    return list(InformationSystem.objects.order_by("code").values_list("code", flat=True))


@click.group(name="report")
def report() -> None:
    """Periodic analysis campaigns and go-live verification: create, run, sign, export."""


@report.command(name="create")
@click.option("--name", required=True, help="Campaign name, e.g. '2026年度下期 アクセスログ分析'.")
@click.option(
    "--from", "start", help="First day (JST, YYYY-MM-DD); default: Monday of the previous full week."
)
@click.option("--to", "end", help="Day after the last (JST, YYYY-MM-DD); default: seven days after --from.")
@click.option(
    "--system",
    "systems",
    multiple=True,
    help="System code (repeat); default: all holding non-public information.",
)
@click.option(
    "--all-systems",
    is_flag=True,
    help="Every system in the registry, not only those holding non-public information.",
)
@click.option("--go-live", "go_live", help="A go-live verification of this system (period: its first days).")
@click.option("--due", help="Sign-off due date (YYYY-MM-DD); default 30 days after the period.")
@click.option("--reviewer", multiple=True, help="SYSTEM=LOGIN responsible reviewer (SYSTEM * for all).")
@click.option("--approver", multiple=True, help="SYSTEM=LOGIN responsible approver (SYSTEM * for all).")
def create(
    name: str,
    start: str | None,
    end: str | None,
    systems: tuple[str, ...],
    all_systems: bool,
    go_live: str | None,
    due: str | None,
    reviewer: tuple[str, ...],
    approver: tuple[str, ...],
) -> None:
    """Create a campaign (planned; `report run` computes it)."""
    from ringfence.analysis.models import CampaignKind
    from ringfence.analysis.services.campaigns import create_campaign, previous_full_week
    from ringfence.analysis.services.schedule import create_go_live_campaign
    from ringfence.core.timeutil import start_of_day_jst

    if go_live:
        campaign = create_go_live_campaign(go_live, actor=_actor(), reviewers=_assignments(reviewer, "--reviewer"),
                                           approvers=_assignments(approver, "--approver"))  # fmt: skip
    else:
        if start:
            first = start_of_day_jst(_day(start))
            last = start_of_day_jst(_day(end)) if end else first + dt.timedelta(days=7)
        else:
            first, last = previous_full_week()
        campaign = create_campaign(
            name=name,
            start=first,
            end=last,
            actor=_actor(),
            kind=CampaignKind.PERIODIC,
            systems=list(systems) or (_every_system() if all_systems else None),
            due_on=_day(due) if due else None,
            reviewers=_assignments(reviewer, "--reviewer"),
            approvers=_assignments(approver, "--approver"),
        )
    click.echo(f"campaign {campaign.pk}: {campaign.name} ({campaign.systems.count()} systems)")


@report.command(name="run")
@click.argument("campaign_id", type=int)
@click.option("--no-detect", is_flag=True, help="Do not run the rule pack first (list existing alerts only).")
def run(campaign_id: int, no_detect: bool) -> None:
    """Pin the lake files and registry time, compute figures and conclusions."""
    import time

    from ringfence.analysis.services.campaigns import run_campaign

    began = time.monotonic()
    campaign = run_campaign(_campaign(campaign_id), actor=_actor(), detect=not no_detect)
    for cs in campaign.systems.select_related("system").order_by("system__code"):
        click.echo(f"{cs.system.code}\t{cs.conclusion}\t{', '.join(str(r.get('kind')) for r in cs.reasons)}")
    click.echo(f"figures sha256 {campaign.figures_sha256}; {time.monotonic() - began:.1f} s")


@report.command(name="list")
def list_() -> None:
    """List campaigns: id, kind, period, status, systems, conclusions."""
    from collections import Counter

    from ringfence.analysis.models import Campaign
    from ringfence.core.timeutil import JST

    for c in Campaign.objects.prefetch_related("systems"):
        tally = Counter(cs.conclusion or "-" for cs in c.systems.all())
        click.echo(
            f"{c.pk}\t{c.kind}\t{c.start.astimezone(JST):%Y-%m-%d}..{c.end.astimezone(JST):%Y-%m-%d}\t{c.status}\t"
            f"{sum(tally.values())} systems\t{dict(sorted(tally.items()))}\t{c.name}"
        )


@report.command(name="export")
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["pdf", "xlsx", "json"]), required=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
def export(campaign_id: int, fmt: str, out: str) -> None:
    """Write the report as PDF, Excel or JSON."""
    from ringfence.analysis.reports import export_report

    campaign = _campaign(campaign_id)
    data = export_report(campaign, fmt, actor=_actor())
    Path(out).write_bytes(data)
    click.echo(f"{out}: {len(data):,} bytes")


@report.command(name="sign")
@click.argument("campaign_id", type=int)
@click.option(
    "--system", "system", required=True, help="System code, or 'all' for every system of the campaign."
)
@click.option("--as", "step", type=click.Choice(["review", "approve"]), required=True)
@click.option("--user", "username", required=True, help="Login signing (its roles and scope are checked).")
@click.option("--note", default="", help="Comment recorded with the signature.")
def sign(campaign_id: int, system: str, step: str, username: str, note: str) -> None:
    """Sign one system's (or every system's) analysis as reviewer or approver."""
    from ringfence.analysis.services.campaigns import access_of, approve, review
    from ringfence.core.errors import RingfenceError

    campaign = _campaign(campaign_id)
    access = access_of(username)
    rows = campaign.systems.select_related("system", "campaign").order_by("system__code")
    if system != "all":
        rows = rows.filter(system__code=system)
        if not rows.exists():
            raise RingfenceError(f"system {system} is not in campaign {campaign_id}")
    for cs in rows:
        if step == "review":
            review(cs, username=username, access=access, note=note)
        else:
            cs.refresh_from_db()
            approve(cs, username=username, access=access, note=note)
        click.echo(f"{cs.system.code}: {step} by {username}")
    campaign.refresh_from_db()
    if campaign.frozen:
        click.echo(f"campaign {campaign.pk} approved and frozen; report sha256 {campaign.report_sha256}")


@report.command(name="verify")
@click.argument("campaign_id", type=int)
def verify(campaign_id: int) -> None:
    """Recompute a computed or frozen campaign from its pinned inputs and compare the figures."""
    from ringfence.analysis.services.campaigns import verify_frozen

    result = verify_frozen(_campaign(campaign_id), actor=_actor())
    click.echo(json.dumps({"identical": result.identical, "stored": result.stored_sha256,
                           "recomputed": result.recomputed_sha256, "differences": result.differences}))  # fmt: skip
    if not result.identical:
        raise SystemExit(1)


@report.command(name="finding")
@click.argument("campaign_id", type=int)
@click.option("--system", required=True)
@click.option("--title", required=True)
@click.option("--owner", required=True, help="Who must act (login or unit).")
@click.option("--due", required=True, help="Due date YYYY-MM-DD.")
@click.option("--detail", default="")
def finding(campaign_id: int, system: str, title: str, owner: str, due: str, detail: str) -> None:
    """Record a finding on one system of a campaign."""
    from ringfence.analysis.services.campaigns import add_finding
    from ringfence.core.errors import RingfenceError

    cs = _campaign(campaign_id).systems.filter(system__code=system).first()
    if cs is None:
        raise RingfenceError(f"system {system} is not in campaign {campaign_id}")
    item = add_finding(cs, title=title, detail=detail, owner=owner, due_on=_day(due), actor=_actor())
    click.echo(f"finding {item.pk}")


@report.command(name="close-finding")
@click.argument("finding_id", type=int)
@click.option("--resolution", required=True)
def close_finding_cmd(finding_id: int, resolution: str) -> None:
    """Close a finding with its resolution."""
    from ringfence.analysis.models import AnalysisFinding
    from ringfence.analysis.services.campaigns import close_finding
    from ringfence.core.errors import RingfenceError

    item = AnalysisFinding.objects.filter(pk=finding_id).first()
    if item is None:
        raise RingfenceError(f"no finding {finding_id}")
    close_finding(item, resolution=resolution, actor=_actor())
    click.echo(f"finding {finding_id} closed")

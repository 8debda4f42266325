"""``ringfence verify`` and ``ringfence lake …``: integrity check, purge, compaction and recovery of the
log lake (see docs/lake.md).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys

import click
from django.utils.translation import gettext as _

from ringfence.cli.progress import progress

PROGRESS_FROM_FILES = 50


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _day(ctx: click.Context | None, param: click.Parameter | None, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(_("not a date (YYYY-MM-DD): %(text)s") % {"text": value}) from exc


@click.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(as_json: bool) -> None:
    """Check that the log lake is complete and unaltered; exit 1 naming every problem.

    Every live file is re-hashed (SHA-256) against the manifest, the manifest's hash chain is
    re-computed, its head is compared with the one recorded in the database, and every file under
    events/ that the manifest does not list is named.
    """
    from ringfence.logs.lake import verify_lake
    from ringfence.logs.lake.layout import lake_dir
    from ringfence.logs.lake.manifest import scan

    files = len(scan(lake_dir()).live)
    if files >= PROGRESS_FROM_FILES and not as_json:
        with progress() as bar:
            task = bar.add_task(_("Verifying"), total=files)
            report = verify_lake(
                on_progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    else:
        report = verify_lake()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(str(problem))
        if report.ok:
            click.echo(report.summary())
        else:
            click.echo(
                _("lake NOT intact: %(count)d problem(s) in %(root)s")
                % {"count": len(report.problems), "root": report.root},
                err=True,
            )
    if not report.ok:
        sys.exit(1)


@click.group("lake")
def lake() -> None:
    """Manage the log lake: purge past retention, compact small files, recover after a crash."""


@lake.command("purge")
@click.option("--before", required=True, callback=_day, help="Remove days before this JST date (YYYY-MM-DD).")
@click.option("--system", help="Only this system's partitions (default: every system).")
@click.option("--reason", required=True, help="Why (recorded in the manifest and the audit trail).")
@click.option("--yes", is_flag=True, help="Do it without asking.")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def purge_cmd(before: dt.date, system: str | None, reason: str, yes: bool, dry_run: bool) -> None:
    """Remove partitions wholly older than the retention (default 5 years); refuses inside retention."""
    from ringfence.logs.lake import purge

    plan = purge(before, reason=reason, actor=_actor(), system=system, dry_run=True)
    for partition in plan.partitions:
        click.echo(partition)
    click.echo(
        _("%(files)d file(s), %(rows)d event(s), %(bytes)d bytes before %(before)s")
        % {"files": len(plan.files), "rows": plan.rows, "bytes": plan.bytes, "before": before.isoformat()}
    )
    if dry_run or not plan.files:
        return
    if not yes and not click.confirm(_("Purge these partitions for good?"), default=False):
        raise click.exceptions.Abort()
    done = purge(before, reason=reason, actor=_actor(), system=system)
    click.echo(
        _("purged %(files)d file(s), %(rows)d event(s); audit event %(audit)s")
        % {"files": len(done.files), "rows": done.rows, "audit": done.audit_id}
    )


@lake.command("compact")
@click.option("--system", help="Only this system.")
@click.option("--day", callback=_day, help="Only this JST day (YYYY-MM-DD).")
def compact_cmd(system: str | None, day: dt.date | None) -> None:
    """Merge the small files of each partition into one; the manifest chain stays valid."""
    from ringfence.logs.lake import compact

    with progress() as bar:
        task = bar.add_task(_("Compacting"), total=None)
        done = compact(
            system, day, actor=_actor(), on_progress=lambda n, t: bar.update(task, completed=n, total=t)
        )
    for item in done:
        click.echo(
            _("%(partition)s: %(inputs)d files -> %(path)s (%(rows)d events)")
            % {
                "partition": f"{item.partition.system}/{item.partition.day.isoformat()}",
                "inputs": len(item.inputs),
                "path": item.output.path,
                "rows": item.output.rows,
            }
        )
    click.echo(_("%(count)d partition(s) compacted") % {"count": len(done)})


@lake.command("recover")
def recover_cmd() -> None:
    """Finish or undo what a crashed writer left (writers also do this when they start)."""
    from ringfence.logs.lake import recover_lake

    state = recover_lake(actor=_actor())
    click.echo(
        _("lake consistent: %(files)d files, manifest head %(seq)d")
        % {"files": len(state.live), "seq": state.head_seq}
    )


@lake.command("retention")
@click.argument("system", required=False)
@click.option("--years", type=click.IntRange(min=1, max=100), help="Set SYSTEM's retention in years.")
@click.option("--note", default="", help="Why (recorded in the audit trail).")
def retention_cmd(system: str | None, years: int | None, note: str) -> None:
    """Show retention per system, or set SYSTEM's with --years (default 5 years)."""
    from ringfence.logs.lake import first_kept_day, live_files, retention_years, set_retention

    if years is not None:
        if not system:
            raise click.UsageError(_("--years needs a SYSTEM"))
        set_retention(system, years, actor=_actor(), note=note)
    systems = [system] if system else sorted({f.system for f in live_files()})
    for code in systems:
        click.echo(
            _("%(system)s: %(years)d years, keeps days from %(day)s")
            % {"system": code, "years": retention_years(code), "day": first_kept_day(code).isoformat()}
        )

"""``ringfence analyze`` and ``ringfence score``: batch detection over a period of the lake, and its score
against a labels file (see docs/detection.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import sys
from pathlib import Path
from typing import Any

import click
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.timeutil import JST, ensure_aware, start_of_day_jst


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def period_bound(text: str, *, end: bool, option: str) -> dt.datetime:
    """A JST date (``--to`` includes the whole day) or an ISO time (exact; JST when it has no offset)."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return start_of_day_jst(day + dt.timedelta(days=1) if end else day)
        return ensure_aware(dt.datetime.fromisoformat(text))
    except ValueError as exc:
        raise BadInput(
            _("bad period"),
            [InputProblem(option, None, None, _("not a date or time: %(text)s") % {"text": text})],
        ) from exc


def _iso(value: dt.datetime) -> str:
    return value.astimezone(JST).isoformat()


def finding_rows(result: Any, language: str = "en") -> list[dict[str, Any]]:
    """One flat dict per finding, for JSON and CSV."""
    rows = []
    for finding in result.findings:
        meta = result.ruleset.meta.get(finding.rule_id)
        rows.append(
            {
                "key": finding.key,
                "rule_id": finding.rule_id,
                "rule": meta.name if meta else "",
                "title": meta.title(language) if meta else finding.rule_title,
                "severity": finding.severity,
                "entity": finding.entity,
                "window_start": _iso(finding.window_start),
                "window_end": _iso(finding.window_end),
                "first_seen": _iso(finding.first_seen),
                "last_seen": _iso(finding.last_seen),
                "system": finding.system,
                "account": finding.account,
                "person": finding.person,
                "terminal": finding.terminal,
                "source_ip": finding.source_ip,
                "events": finding.detail.get("events", len(finding.evidence)),
                "corr_value": finding.detail.get("corr_value"),
                "evidence": [e.event_id for e in finding.evidence],
            }
        )
    return rows


def render(result: Any, fmt: str) -> str:
    rows = finding_rows(result)
    if fmt == "json":
        summary = {
            "period": [_iso(result.start), _iso(result.end)],
            "systems": list(result.systems),
            "ruleset": result.ruleset.digest,
            "rules": len(result.ruleset.rules),
            "events": result.events,
            "matched_events": result.matched_events,
            "findings": len(result.findings),
            "alerts_new": result.alerts_new,
            "alerts_updated": result.alerts_updated,
            "duration_s": round(result.duration_s, 3),
            "run_id": result.run_id,
        }
        return json.dumps({"summary": summary, "findings": rows}, ensure_ascii=False, indent=2) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["key"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "evidence": " ".join(row["evidence"])})
    return out.getvalue()


def _summary(result: Any) -> None:
    click.echo(
        _(
            "%(events)s events, %(matched)s matched, %(findings)s findings (%(new)s new alerts, %(updated)s updated) "
            "in %(seconds).1f s"
        )
        % {
            "events": f"{result.events:,}",
            "matched": f"{result.matched_events:,}",
            "findings": len(result.findings),
            "new": result.alerts_new,
            "updated": result.alerts_updated,
            "seconds": result.duration_s,
        },
        err=True,
    )
    for rule_id, count in sorted(result.per_rule.items(), key=lambda item: (-item[1], item[0])):
        meta = result.ruleset.meta[rule_id]
        title = meta.title(get_language() or "en")
        click.echo(f"  {count:6d}  {meta.severity:<13} {meta.name or rule_id}  {title}", err=True)


def _run_with_status(label: str, job: Any) -> Any:
    from ringfence.cli.progress import console

    if not console.is_terminal:
        return job(None)
    with console.status(label) as status:
        return job(lambda stage: status.update(f"{label}: {stage}"))


@click.command(name="analyze")
@click.option("--from", "start", required=True, help="First JST day (YYYY-MM-DD) or an ISO time.")
@click.option(
    "--to", "end", required=True, help="Last JST day, included (YYYY-MM-DD), or an ISO end time (excluded)."
)
@click.option("--system", "systems", multiple=True, help="Only this system (repeatable); default all.")
@click.option(
    "--rules-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="User rules folder (default <data dir>/rules).",
)
@click.option("--no-alerts", is_flag=True, help="Do not raise alerts; only report the findings.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), help="Write the findings in this format."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File for --format (default stdout)."
)
@click.option(
    "--history-days",
    type=click.IntRange(0, 3660),
    help="Days before the period read for first-seen and baselines (default 28).",
)
def analyze(
    start: str,
    end: str,
    systems: tuple[str, ...],
    rules_dir: Path | None,
    no_alerts: bool,
    fmt: str | None,
    out: Path | None,
    history_days: int | None,
) -> None:
    """Run the detection rules over a period of the lake and raise alerts.

    Evaluates the built-in pack and the user's rules over the period with one scan per rule group,
    groups the matches into incidents (one per rule, entity and JST day by default) and hands them to
    the alerts app. The run is recorded and audited. Example:

      ringfence analyze --from 2026-10-12 --to 2026-10-18 --format json --out week.json
    """
    from ringfence.audit.models import AuditAction
    from ringfence.audit.services import record
    from ringfence.detection.engine import analyze as run_analysis

    period_start = period_bound(start, end=False, option="--from")
    period_end = period_bound(end, end=True, option="--to")
    if out is not None and fmt is None:
        fmt = "json" if out.suffix.lower() == ".json" else "csv"
    result = _run_with_status(
        _("Analysing"),
        lambda progress: run_analysis(
            period_start,
            period_end,
            systems=list(systems) or None,
            rules_dir=rules_dir,
            raise_alerts=not no_alerts,
            lookback_days=history_days,
            actor=_actor(),
            progress=progress,
        ),
    )
    _summary(result)
    if fmt:
        text = render(result, fmt)
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
            click.echo(_("findings written to %(path)s") % {"path": out}, err=True)
        record(
            AuditAction.EXPORT,
            actor=_actor(),
            target_type="detection.analysis",
            target_ref=str(result.run_id),
            detail={"format": fmt, "file": str(out) if out else "stdout", "findings": len(result.findings)},
        )


def _labels_period(labels: list[Any]) -> tuple[dt.datetime, dt.datetime]:
    starts = [label.start for label in labels if label.start is not None]
    ends = [label.end for label in labels if label.end is not None]
    if not starts or not ends:
        raise BadInput(_("the labels give no period; pass --from and --to"))
    first = min(starts).astimezone(JST).date()
    last = max(ends).astimezone(JST).date()
    return start_of_day_jst(first), start_of_day_jst(last + dt.timedelta(days=1))


def score_table(result: Any, names: dict[str, str] | None = None) -> str:
    lines = [
        f"{'scenario':<9}{'kind':<32}{'system':<9}{'caught':<8}{'events':>12}  rules",
    ]
    for s in result.scenarios:
        events = "-" if s.method != "detection" else f"{s.events_in_evidence}/{s.labelled_events}"
        named = [names.get(rule, rule) for rule in s.rules] if names else s.rules
        rules = ", ".join(named) if s.method == "detection" else _("(source health: silent source)")
        caught = _("yes") if s.caught else _("NO")
        lines.append(f"{s.label.id:<9}{s.label.kind:<32}{s.label.system:<9}{caught:<8}{events:>12}  {rules}")
    lines.append("")
    lines.append(_("recall by kind:"))
    for kind, (caught, total) in result.by_kind().items():
        lines.append(f"  {kind:<32}{caught}/{total}")
    lines.append("")
    lines.append(
        _(
            "recall %(recall).1f%% (%(caught)d/%(total)d scenarios), precision %(precision).1f%% "
            "(%(true)d/%(findings)d findings hold a labelled event)"
        )
        % {
            "recall": result.recall * 100,
            "caught": sum(s.caught for s in result.scenarios),
            "total": len(result.scenarios),
            "precision": result.precision * 100,
            "true": result.true_findings,
            "findings": result.findings,
        }
    )
    if result.unlabelled_by_rule:
        lines.append(_("findings outside any scenario, by rule:"))
        for rule, count in sorted(result.unlabelled_by_rule.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {count:6d}  {names.get(rule, rule) if names else rule}")
    return "\n".join(lines) + "\n"


@click.command(name="score")
@click.option(
    "--labels",
    "labels_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="labels.jsonl of the demo.",
)
@click.option("--from", "start", help="First JST day (default: the labels' first day).")
@click.option("--to", "end", help="Last JST day, included (default: the labels' last day).")
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path), help="User rules folder.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON score to this file."
)
def score(
    labels_path: Path, start: str | None, end: str | None, rules_dir: Path | None, fmt: str, out: Path | None
) -> None:
    """Score detection against a labels file: recall per scenario and kind, precision.

    Runs a fresh analysis of the period (nothing is written: no alerts, no run record) and checks, for
    every labelled scenario, whether some finding's evidence holds one of its events. The silent log
    source is scored through source health, not a rule. Definitions in docs/detection.md.
    """
    from ringfence.detection.engine import analyze as run_analysis
    from ringfence.detection.engine.scoring import labelled_event_ids, read_labels, silent_systems
    from ringfence.detection.engine.scoring import score as compute
    from ringfence.logs import lake

    labels = read_labels(labels_path)
    default_start, default_end = _labels_period(labels) if not (start and end) else (None, None)
    period_start = period_bound(start, end=False, option="--from") if start else default_start
    period_end = period_bound(end, end=True, option="--to") if end else default_end
    assert period_start is not None and period_end is not None
    result = _run_with_status(
        _("Analysing"),
        lambda progress: run_analysis(
            period_start,
            period_end,
            rules_dir=rules_dir,
            raise_alerts=False,
            record_run=False,
            progress=progress,
        ),
    )
    con = lake.connect()
    try:
        labelled = labelled_event_ids(con, labels, labels_path.resolve().parent)
        days = []
        day = period_start.astimezone(JST).date()
        while start_of_day_jst(day) < period_end:
            days.append(day)
            day += dt.timedelta(days=1)
        silent = silent_systems(con, days)
    finally:
        con.close()
    scored = compute(result.findings, labels, labelled, silent)
    names = {rule_id: meta.name or rule_id for rule_id, meta in result.ruleset.meta.items()}
    document = {"period": [_iso(period_start), _iso(period_end)], "rule_names": names, **scored.as_dict()}
    if fmt == "json":
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        click.echo(score_table(scored, names), nl=False)
    if out is not None:
        out.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

"""``ringfence rules list|validate|test``: the detection rules from the command line (docs/detection.md)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput


@click.group(name="rules")
def rules() -> None:
    """Detection rules: list, validate, test against sample events."""


def _rows(ruleset: Any) -> list[dict[str, Any]]:
    rows = []
    for rule_id, meta in sorted(
        ruleset.meta.items(), key=lambda item: (not item[1].builtin, item[1].path, item[0])
    ):
        rows.append(
            {
                "id": rule_id,
                "name": meta.name,
                "kind": meta.kind,
                "severity": meta.severity,
                "control": meta.control,
                "origin": "built-in" if meta.builtin else "user",
                "enabled": meta.enabled,
                "alerts": rule_id in ruleset.alerting,
                "state": meta.inactive_reason or "active",
                "threshold": meta.threshold,
                "timespan": meta.timespan,
                "title_en": meta.title_en,
                "title_ja": meta.title_ja,
                "path": meta.path,
            }
        )
    return rows


@rules.command(name="list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path), help="User rules folder.")
def list_rules(fmt: str, rules_dir: Path | None) -> None:
    """Every rule loaded: built-in pack and user rules, with its state (enabled, alerting, inactive)."""
    from ringfence.detection.engine import load_ruleset

    ruleset = load_ruleset(rules_dir=rules_dir, strict=False)
    rows = _rows(ruleset)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["id"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        for row in rows:
            flags = ("on " if row["enabled"] else "off") + (" alert" if row["alerts"] else "      ")
            state = "" if row["state"] == "active" else f"  [{row['state']}]"
            click.echo(
                f"{row['name'] or row['id']:<40} {row['kind']:<12} {row['severity']:<13} {flags}  "
                f"{row['origin']:<8} {row['title_en']}{state}"
            )
        click.echo(_("%(count)d rules") % {"count": len(rows)}, err=True)
    for problem in ruleset.problems:
        click.echo(f"  {problem}", err=True)
    if ruleset.problems:
        raise click.exceptions.Exit(1)


def _files(paths: tuple[Path, ...]) -> list[Path]:
    from ringfence.detection.engine.loader import rule_files

    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(rule_files(path))
        elif path.is_file():
            found.append(path)
        else:
            raise BadInput(_("%(path)s does not exist") % {"path": path})
    return found


@rules.command(name="validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Parse and compile rule files (or folders of them); every problem as file:line, exit 1 on any.

    Correlations may refer to rules of the built-in pack. Placeholders of `expand` must be among the
    registry's (docs/detection.md).
    """
    from ringfence.detection.engine import load_ruleset
    from ringfence.detection.engine.placeholders import PLACEHOLDER_NAMES

    files = _files(paths)
    ruleset = load_ruleset(
        extra_files=files,
        include_user=False,
        with_settings=False,
        placeholders=dict.fromkeys(PLACEHOLDER_NAMES, ()),
    )
    wanted = {p.resolve() for p in files}
    mine = [meta for meta in ruleset.meta.values() if Path(meta.path).resolve() in wanted]
    for meta in mine:
        if meta.inactive_reason:
            click.echo(f"{meta.path}: {meta.name or meta.rule_id}: {meta.inactive_reason}", err=True)
    click.echo(_("%(rules)d rule(s) in %(files)d file(s): valid") % {"rules": len(mine), "files": len(files)})


@rules.command(name="test")
@click.argument("rule_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("cases_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def test(rule_file: Path, cases_file: Path) -> None:
    """Run the rules of RULE_FILE over the sample events of CASES_FILE; pass/fail per case, exit 1 on a failure."""
    from ringfence.detection.engine.cases import run_cases

    report = run_cases(rule_file, cases_file)
    for result in report.results:
        if result.passed:
            click.echo(f"PASS  {result.name}: {result.rule}")
        else:
            missing = sorted(result.expected - result.matched)
            unexpected = sorted(result.matched - result.expected)
            click.echo(
                f"FAIL  {result.name}: {result.rule}"
                + (f"  missing {', '.join(missing)}" if missing else "")
                + (f"  unexpected {', '.join(unexpected)}" if unexpected else "")
            )
    failed = sum(not r.passed for r in report.results)
    click.echo(
        _("%(passed)d passed, %(failed)d failed") % {"passed": len(report.results) - failed, "failed": failed}
    )
    if failed:
        raise click.exceptions.Exit(1)

"""Batch analysis of a period of the lake: enrich, evaluate the rule set, group into findings, raise alerts.

``analyze`` is what ``ringfence analyze`` and the analysis campaigns call. Every run is recorded
(``AnalysisRun``: period, systems, rule-set digest, counts, duration) and written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.alerts.findings import Finding
from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem

from .duck import tune
from .evaluate import evaluate_detailed
from .incidents import findings_from
from .loader import RuleSet, load_ruleset

Progress = Callable[[str], None]


@contextmanager
def workspace(con: duckdb.DuckDBPyConnection) -> Iterator[str]:
    """A DuckDB database file attached for the evaluation's tables, removed afterwards."""
    folder = Path(settings.DATA_DIR) / "tmp" / "duckdb"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"analysis-{os.getpid()}-{uuid.uuid4().hex}.duckdb"
    name = "rf_work"
    quoted = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"ATTACH {quoted} AS {name}")
    try:
        yield name
    finally:
        con.execute(f"DETACH {name}")
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)


def history_days() -> int:
    """Days of earlier events read for first-seen pairs and baselines (setting RINGFENCE_DETECTION_HISTORY_DAYS)."""
    return int(getattr(settings, "RINGFENCE_DETECTION_HISTORY_DAYS", 28))


@dataclass
class AnalysisResult:
    """What one analysis found and did."""

    start: dt.datetime
    end: dt.datetime
    systems: tuple[str, ...]
    events: int
    matched_events: int
    rows: pa.Table
    findings: list[Finding]
    ruleset: RuleSet
    duration_s: float
    alerts_new: int = 0
    alerts_updated: int = 0
    run_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def per_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule_id for f in self.findings).items()))


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _timestamp(value: dt.datetime) -> str:
    """A TIMESTAMPTZ literal (views cannot take prepared parameters)."""
    return f"TIMESTAMPTZ '{value.astimezone(dt.UTC).isoformat()}'"


def known_systems(snapshot_dir: Path, con: duckdb.DuckDBPyConnection) -> set[str]:
    """System codes in the registry snapshot or in the lake."""
    path = str(snapshot_dir / "systems.parquet").replace("'", "''")
    names = {
        row[0] for row in con.execute(f"SELECT DISTINCT system_code FROM read_parquet('{path}')").fetchall()
    }
    names |= {row[0] for row in con.execute("SELECT DISTINCT system FROM events").fetchall()}
    return {str(n) for n in names if n}


def prepare(
    con: duckdb.DuckDBPyConnection,
    start: dt.datetime,
    end: dt.datetime,
    *,
    systems: Sequence[str] | None = None,
    snapshot_dir: Path | None = None,
    lookback_days: int | None = None,
    name: str = "enriched",
) -> Path:
    """Attach a registry snapshot to ``con`` (which has the lake's ``events``) and create the enriched view.

    History for first-seen pairs and baselines: the ``lookback_days`` (default ``history_days()``) before
    ``start``. Returns the snapshot directory.
    """
    from ringfence.detection.enrich import attach_registry, create_enriched_view, snapshot_registry

    snapshot = snapshot_dir or snapshot_registry()
    if systems:
        unknown = sorted(set(systems) - known_systems(snapshot, con))
        if unknown:
            raise BadInput(
                _("unknown system(s): %(systems)s") % {"systems": ", ".join(unknown)},
                [
                    InputProblem(
                        "--system",
                        None,
                        "system",
                        _("%(system)s is neither in the registry nor in the lake") % {"system": s},
                    )
                    for s in unknown
                ],
            )
    attach_registry(con, snapshot)
    days = lookback_days if lookback_days is not None else history_days()
    history_start = start - dt.timedelta(days=days)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW rf_history AS SELECT * FROM events "
        f"WHERE day >= DATE '{(history_start.astimezone(dt.UTC) - dt.timedelta(days=1)).date().isoformat()}' "
        f"AND day <= DATE '{(start.astimezone(dt.UTC) + dt.timedelta(days=1)).date().isoformat()}' "
        f"AND time >= {_timestamp(history_start)} AND time < {_timestamp(start)}"
    )
    create_enriched_view(
        con,
        "events",
        name,
        start=start,
        end=end,
        systems=list(systems) if systems else None,
        history="rf_history",
    )
    return snapshot


def _count_events(
    con: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime, systems: Sequence[str]
) -> int:
    where = "time >= ? AND time < ?"
    where += f" AND day >= DATE '{(start.astimezone(dt.UTC) - dt.timedelta(days=1)).date()}'"
    where += f" AND day <= DATE '{(end.astimezone(dt.UTC) + dt.timedelta(days=1)).date()}'"
    if systems:
        where += f" AND system IN ({_sql_list(systems)})"
    return int(con.execute(f"SELECT count(*) FROM events WHERE {where}", [start, end]).fetchall()[0][0])


def analyze(
    start: dt.datetime,
    end: dt.datetime,
    *,
    systems: Sequence[str] | None = None,
    ruleset: RuleSet | None = None,
    raise_alerts: bool = True,
    rules_dir: Path | None = None,
    lookback_days: int | None = None,
    actor: str = "system:analyze",
    progress: Progress | None = None,
    record_run: bool = True,
    con: duckdb.DuckDBPyConnection | None = None,
) -> AnalysisResult:
    """Analyse the lake's events in [start, end) (aware datetimes) of ``systems`` (default all).

    Raises ``BadInput`` for a bad period, an unknown system or invalid rules. ``record_run=False`` writes
    nothing at all (scoring); otherwise the run is stored and audited, and with ``raise_alerts`` the
    findings go to the alerts app.
    """
    from ringfence.logs import lake

    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput(
            _("the period needs time zones"), [InputProblem("--from/--to", None, None, _("naive datetime"))]
        )
    if end <= start:
        raise BadInput(
            _("empty period"),
            [
                InputProblem(
                    "--from/--to",
                    None,
                    None,
                    _("%(end)s is not after %(start)s")
                    % {"end": end.isoformat(), "start": start.isoformat()},
                )
            ],
        )
    began = time.perf_counter()
    timings: dict[str, float] = {}

    def step(label: str) -> None:
        timings[label] = time.perf_counter() - began
        if progress is not None:
            progress(label)

    step("loading rules")
    rules = ruleset or load_ruleset(rules_dir=rules_dir)
    step("connecting the lake")
    own = con is None
    connection = con or lake.connect()
    try:
        tune(connection)
        step("enriching events")
        prepare(connection, start, end, systems=systems, lookback_days=lookback_days)
        events = _count_events(connection, start, end, systems or [])
        step("evaluating rules")
        with workspace(connection) as name:
            evaluation = evaluate_detailed(connection, rules, "enriched", workspace=name)
    finally:
        if own:
            connection.close()
    timings.update({f"evaluate: {k}": round(v, 3) for k, v in evaluation.timings.items()})
    step("grouping findings")
    findings = findings_from(evaluation.rows, rules, "batch")
    result = AnalysisResult(
        start=start,
        end=end,
        systems=tuple(systems or ()),
        events=events,
        matched_events=evaluation.matched_events,
        rows=evaluation.rows,
        findings=findings,
        ruleset=rules,
        duration_s=0.0,
        timings=timings,
    )
    if raise_alerts and record_run and findings:
        step("raising alerts")
        result.alerts_new, result.alerts_updated = _raise(findings, actor)
    result.duration_s = time.perf_counter() - began
    if record_run:
        result.run_id = _record(result, actor)
    step("done")
    return result


def _raise(findings: list[Finding], actor: str) -> tuple[int, int]:
    from ringfence.alerts.services.intake import raise_alerts

    outcome: Any = raise_alerts(findings, actor=actor)
    new = getattr(outcome, "created", getattr(outcome, "new", 0))
    updated = getattr(outcome, "updated", getattr(outcome, "merged", 0))
    return _count(new), _count(updated)


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list | tuple | set | frozenset) else int(value or 0)


def _record(result: AnalysisResult, actor: str) -> int:
    from ringfence.detection.models import AnalysisRun

    run = AnalysisRun.objects.create(
        started_at=timezone.now() - dt.timedelta(seconds=result.duration_s),
        finished_at=timezone.now(),
        period_start=result.start,
        period_end=result.end,
        systems=list(result.systems),
        ruleset_digest=result.ruleset.digest,
        rules=len(result.ruleset.rules),
        events=result.events,
        matches=result.matched_events,
        findings=len(result.findings),
        alerts_new=result.alerts_new,
        alerts_updated=result.alerts_updated,
        per_rule=result.per_rule,
        duration_s=round(result.duration_s, 3),
        actor=actor,
    )
    record(
        AuditAction.JOB,
        actor=actor,
        target_type="detection.analysis",
        target_ref=str(run.pk),
        detail={
            "period": [result.start.isoformat(), result.end.isoformat()],
            "systems": list(result.systems),
            "ruleset": result.ruleset.digest,
            "events": result.events,
            "findings": len(result.findings),
            "alerts_new": result.alerts_new,
            "alerts_updated": result.alerts_updated,
        },
    )
    return int(run.pk)

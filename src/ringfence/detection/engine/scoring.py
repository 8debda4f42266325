"""Scoring detection against a labels file (the demo's ``labels.jsonl``): recall and precision.

Definitions (docs/detection.md):

- a labelled event is the lake event whose ``source_file`` is the label's file (relative to the labels
  file's folder; an absolute path or a path ending in it also matches) and whose ``source_line`` is its line;
- a scenario is **caught** when at least one finding's evidence holds at least one of its labelled events;
  recall per scenario is caught (1) or not (0), per kind the share of its scenarios caught, overall the
  share of all scenarios caught; the events share (labelled events in some evidence) is reported as well;
- **precision** is the share of findings whose evidence holds at least one labelled event (of any
  scenario); findings holding none are listed by rule, so false positives can be tuned;
- scenarios without events (a silent log source) are not a detection rule's matter: they are scored
  through source health (``logs.selectors.silent_days`` over events per system, source and JST day, a
  day under 1 % of the source's median counting as silent — see ``near_silent``) and marked so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ringfence.alerts.findings import Finding
from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.timeutil import JST

HEALTH_KINDS = frozenset({"silent_log_source"})


@dataclass(frozen=True)
class Label:
    """One labelled scenario."""

    id: str
    kind: str
    title_en: str
    title_ja: str
    system: str
    account: str
    start: dt.datetime | None
    end: dt.datetime | None
    events: tuple[tuple[str, int], ...]
    day: dt.date | None = None


@dataclass
class ScenarioScore:
    label: Label
    caught: bool
    method: str  # "detection" or "source health"
    labelled_events: int  # labelled events found in the lake
    events_in_evidence: int
    rules: list[str] = field(default_factory=list)  # rules whose findings caught it
    findings: int = 0


@dataclass
class Score:
    scenarios: list[ScenarioScore]
    findings: int
    true_findings: int
    unlabelled_by_rule: dict[str, int]
    labelled_by_rule: dict[str, int]

    @property
    def recall(self) -> float:
        return sum(s.caught for s in self.scenarios) / len(self.scenarios) if self.scenarios else 0.0

    @property
    def precision(self) -> float:
        return self.true_findings / self.findings if self.findings else 0.0

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (caught, scenarios)."""
        kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for s in self.scenarios:
            kinds[s.label.kind][0] += int(s.caught)
            kinds[s.label.kind][1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(kinds.items())}

    def as_dict(self) -> dict[str, Any]:
        return {
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "findings": self.findings,
            "findings_with_labelled_events": self.true_findings,
            "scenarios": [
                {
                    "id": s.label.id,
                    "kind": s.label.kind,
                    "title_en": s.label.title_en,
                    "title_ja": s.label.title_ja,
                    "system": s.label.system,
                    "caught": s.caught,
                    "method": s.method,
                    "labelled_events": s.labelled_events,
                    "events_in_evidence": s.events_in_evidence,
                    "rules": s.rules,
                    "findings": s.findings,
                }
                for s in self.scenarios
            ],
            "recall_by_kind": {k: {"caught": c, "scenarios": n} for k, (c, n) in self.by_kind().items()},
            "findings_by_rule": {
                rule: {
                    "labelled": self.labelled_by_rule.get(rule, 0),
                    "unlabelled": self.unlabelled_by_rule.get(rule, 0),
                }
                for rule in sorted(set(self.labelled_by_rule) | set(self.unlabelled_by_rule))
            },
        }


def _time(value: Any, path: Path, line: int, name: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise BadInput("bad labels file", [InputProblem(path, line, name, str(exc))]) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)


def read_labels(path: Path) -> list[Label]:
    """The scenarios of a labels.jsonl file; a bad line is refused naming file, line and field."""
    if not path.is_file():
        raise BadInput(f"labels file {path} does not exist")
    labels: list[Label] = []
    problems: list[InputProblem] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            problems.append(InputProblem(path, number, None, f"not JSON: {exc}"))
            continue
        missing = [name for name in ("id", "kind", "events") if name not in data]
        if missing:
            problems.append(InputProblem(path, number, missing[0], "missing"))
            continue
        try:
            events = tuple((str(e["file"]), int(e["line"])) for e in data["events"])
        except (KeyError, TypeError, ValueError):
            problems.append(InputProblem(path, number, "events", "each event needs a file and a line"))
            continue
        day = data.get("day")
        labels.append(
            Label(
                id=str(data["id"]),
                kind=str(data["kind"]),
                title_en=str(data.get("title_en") or ""),
                title_ja=str(data.get("title_ja") or ""),
                system=str(data.get("system") or ""),
                account=str(data.get("account") or ""),
                start=_time(data.get("start"), path, number, "start"),
                end=_time(data.get("end"), path, number, "end"),
                events=events,
                day=dt.date.fromisoformat(day) if day else None,
            )
        )
    if problems:
        raise BadInput(f"{len(problems)} bad line(s) in {path}", problems)
    return labels


def labelled_event_ids(
    con: duckdb.DuckDBPyConnection, labels: Iterable[Label], base_dir: Path
) -> dict[str, set[str]]:
    """scenario id -> the IDs of the lake events its (file, line) pairs point at (``events`` view)."""
    scenario, absolute, relative, lines = [], [], [], []
    for label in labels:
        for file, line in label.events:
            scenario.append(label.id)
            absolute.append(str((base_dir / file).resolve()) if not Path(file).is_absolute() else file)
            relative.append("/" + file.lstrip("/"))
            lines.append(line)
    wanted = pa.table(
        {
            "scenario": scenario,
            "abs_file": absolute,
            "rel_file": relative,
            "line": pa.array(lines, pa.int64()),
        }
    )
    con.register("rf_label_lines", wanted)
    try:
        rows = con.execute(
            "SELECT w.scenario, e.event_id FROM events e JOIN rf_label_lines w ON e.source_line = w.line "
            "AND (e.source_file = w.abs_file OR ends_with(e.source_file, w.rel_file))"
        ).fetchall()
    finally:
        con.unregister("rf_label_lines")
    found: dict[str, set[str]] = defaultdict(set)
    for scenario_id, event in rows:
        found[str(scenario_id)].add(str(event))
    return found


NEAR_SILENT_SHARE = 0.01


def near_silent(counts: dict[str, dict[dt.date, int]]) -> dict[str, dict[dt.date, int]]:
    """Counts with days under 1 % of the key's median logging day set to zero.

    A log that stops at midnight still shows the few lines of a session begun the evening before (in the
    2M demo week: 7 lines on JUKYU's silent day, all before 00:04 JST); such a day is silent for scoring.
    """
    result: dict[str, dict[dt.date, int]] = {}
    for key, days in counts.items():
        logged = sorted(v for v in days.values() if v > 0)
        median = logged[len(logged) // 2] if logged else 0
        result[key] = {
            day: (0 if count < median * NEAR_SILENT_SHARE else count) for day, count in days.items()
        }
    return result


def silent_systems(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> dict[str, tuple[dt.date, ...]]:
    """system -> days one of its sources fell silent among ``days``.

    The source-health rule (``logs.selectors.silent_days``) applied per (system, source) to the events per
    JST day, after ``near_silent``.
    """
    from ringfence.logs.selectors import silent_days

    counts: dict[str, dict[dt.date, int]] = defaultdict(dict)
    if days:
        rows = con.execute(
            "SELECT system, source, day, count(*) FROM events WHERE day >= ? AND day <= ? GROUP BY ALL",
            [days[0], days[-1]],
        ).fetchall()
        for system, source, day, count in rows:
            counts[f"{system}\x1f{source}"][day] = int(count)
    silent: dict[str, set[dt.date]] = defaultdict(set)
    for key, gaps in silent_days(near_silent(dict(counts)), days).items():
        silent[key.split("\x1f")[0]].update(gaps)
    return {system: tuple(sorted(gaps)) for system, gaps in silent.items()}


def score(
    findings: list[Finding],
    labels: list[Label],
    labelled: dict[str, set[str]],
    silent: dict[str, tuple[dt.date, ...]],
) -> Score:
    """Compare findings with the labelled scenarios (see the module docstring for the definitions)."""
    event_to_scenarios: dict[str, set[str]] = defaultdict(set)
    for scenario_id, ids in labelled.items():
        for event in ids:
            event_to_scenarios[event].add(scenario_id)
    caught_by: dict[str, Counter[str]] = defaultdict(Counter)
    in_evidence: dict[str, set[str]] = defaultdict(set)
    labelled_by_rule: Counter[str] = Counter()
    unlabelled_by_rule: Counter[str] = Counter()
    for finding in findings:
        hits: set[str] = set()
        for evidence in finding.evidence:
            for scenario_id in event_to_scenarios.get(evidence.event_id, ()):
                hits.add(scenario_id)
                in_evidence[scenario_id].add(evidence.event_id)
        for scenario_id in hits:
            caught_by[scenario_id][finding.rule_id] += 1
        (labelled_by_rule if hits else unlabelled_by_rule)[finding.rule_id] += 1
    scenarios = []
    for label in labels:
        if label.kind in HEALTH_KINDS or not label.events:
            day = label.day or (label.start.astimezone(JST).date() if label.start else None)
            caught = day is not None and day in silent.get(label.system, ())
            scenarios.append(ScenarioScore(label, caught, "source health", 0, 0))
            continue
        rules = caught_by.get(label.id, Counter())
        scenarios.append(
            ScenarioScore(
                label,
                bool(rules),
                "detection",
                len(labelled.get(label.id, ())),
                len(in_evidence.get(label.id, ())),
                sorted(rules),
                sum(rules.values()),
            )
        )
    return Score(
        scenarios=scenarios,
        findings=len(findings),
        true_findings=sum(labelled_by_rule.values()),
        unlabelled_by_rule=dict(unlabelled_by_rule),
        labelled_by_rule=dict(labelled_by_rule),
    )

"""Generate the whole demo directory: registry files, one week of logs, labels and a manifest."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .build import build_world, rng_for
from .calendar import week_days
from .ingest import write_source_definitions
from .logs.events import Event
from .logs.formats import FORMATS, file_name, jst_date, renderer
from .logs.sources import describe
from .logs.traffic import SHIFT_SYSTEMS, TargetPool, actors_by_system, day_weights, ordinary_day
from .registry_files import write_registry
from .scenarios import Scenario, plan_scenarios
from .world import World

# Ordinary events asked of the traffic generator: a little over the round figures, so that the count written
# stays above them after the silent log source has lost its day.
EVENTS = {"small": 20_200, "default": 2_020_000, "large": 20_200_000}
MANIFEST = "demo.json"
GENERATOR_VERSION = 1

# Progress callback: (step description, done, total)
Progress = Callable[[str, int, int], None]


@dataclass
class DemoSummary:
    """What a demo run produced (also written to ``demo.json``)."""

    seed: int
    size: str
    week_start: str
    people: dict[str, int] = field(default_factory=dict)
    units: int = 0
    systems: int = 0
    accounts: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    terminals: int = 0
    events: int = 0
    events_by_format: dict[str, int] = field(default_factory=dict)
    files: int = 0
    scenarios: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    generator_version: int = GENERATOR_VERSION


def _quiet(step: str, done: int, total: int) -> None:
    return None


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of an earlier run in ``out``, or None."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def generate_demo(
    out: Path,
    *,
    seed: int = 1,
    size: str = "default",
    week_start: dt.date | None = None,
    progress: Progress = _quiet,
) -> DemoSummary:
    """Write the demo utility under ``out``: ``registry/``, ``logs/``, ``sources/``, labels and manifest.

    ``sources/`` holds the log-source definitions that read ``logs/`` (``ringfence ingest DIR/logs
    --sources-dir DIR/sources``), so the folder is self-contained.

    The same seed, size and week give byte-identical files.
    """
    from .calendar import DEFAULT_WEEK_START

    if size not in EVENTS:
        raise ValueError(f"unknown size {size!r}")
    week = week_start or DEFAULT_WEEK_START
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # an interrupted run must not look complete
    progress("registry", 0, 1)
    world, hosts = build_world(seed, size, week)
    counts = write_registry(world, out / "registry")
    progress("registry", 1, 1)

    targets = {s.code: TargetPool.for_system(rng_for(seed, f"targets:{s.code}"), s.data_classes, 5000)
               for s in world.systems}  # fmt: skip
    scenarios = plan_scenarios(world, hosts, rng_for(seed, "scenarios"), targets)
    by_format, label_lines, files = _write_logs(world, hosts, targets, scenarios, out, EVENTS[size], progress)
    _write_labels(out / "labels.jsonl", scenarios, label_lines)
    sources = {"generator": "ringfence demo", "seed": seed, "week_start": week.isoformat(),
               "systems": [describe(s) for s in world.systems]}  # fmt: skip
    (out / "logs" / "sources.json").write_text(
        json.dumps(sources, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    write_source_definitions(out / "sources")

    summary = DemoSummary(
        seed=seed,
        size=size,
        week_start=week.isoformat(),
        people=dict(Counter(p.employment_type for p in world.people)),
        units=len(world.units),
        systems=len(world.systems),
        accounts=len(world.accounts),
        faults=dict(Counter(f for a in world.accounts for f in a.faults)),
        terminals=len(world.terminals),
        events=sum(by_format.values()),
        events_by_format=dict(sorted(by_format.items())),
        files=files + len(counts),
        scenarios=dict(Counter(s.kind for s in scenarios)),
    )
    manifest = {k: v for k, v in asdict(summary).items() if k != "seconds"}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summary.seconds = round(time.monotonic() - started, 1)
    return summary


def _write_logs(
    world: World,
    hosts: dict[str, tuple[str, str]],
    targets: dict[str, TargetPool],
    scenarios: list[Scenario],
    out: Path,
    total_events: int,
    progress: Progress,
) -> tuple[Counter[str], dict[str, list[tuple[str, int]]], int]:
    """Write every system's daily files; returns events per format, labelled lines per scenario, file count."""
    days = week_days(world.week_start)
    actors = actors_by_system(world, hosts)
    silent = {
        (s.system, dt.date.fromisoformat(s.detail["day"])) for s in scenarios if s.kind == "silent_log_source"
    }
    injected: dict[tuple[str, dt.date], list[Event]] = {}
    for scenario in scenarios:
        for event in scenario.events:
            injected.setdefault((scenario.system, jst_date(event.ts)), []).append(event)
    weight_sum = sum(s.weight for s in world.systems)
    by_format: Counter[str] = Counter()
    labels: dict[str, list[tuple[str, int]]] = {}
    files = 0
    steps = len(world.systems) * len(days)
    for index, system in enumerate(world.systems):
        rng = rng_for(world.seed, f"logs:{system.code}")
        render = renderer(system.log_format, system.code)
        spec = FORMATS[system.log_format]
        weights = day_weights(days, system.code in SHIFT_SYSTEMS)
        per_week = total_events * system.weight / weight_sum
        directory = out / "logs" / system.code
        directory.mkdir(parents=True, exist_ok=True)
        for d, (day, weight) in enumerate(zip(days, weights, strict=True)):
            progress("logs", index * len(days) + d, steps)
            events = ordinary_day(rng, system.code, day, round(per_week * weight / sum(weights)), actors[system.code],
                                  targets[system.code], system.code == world.misconfigured_system)  # fmt: skip
            events += injected.get((system.code, day), [])
            if (system.code, day) in silent:
                if any(e.label for e in events):
                    raise AssertionError("a scenario was planned on the silent day")
                continue
            events.sort(key=lambda e: e.ts)
            relative = f"logs/{system.code}/{file_name(system.log_format, day)}"
            first_line = 2 if spec["header"] else 1
            for number, event in enumerate(events, start=first_line):
                if event.label:
                    labels.setdefault(event.label, []).append((relative, number))
            lines = [spec["header"]] if spec["header"] else []
            lines.extend(map(render, events))
            newline = spec["newline"]
            payload = (newline.join(lines) + newline) if lines else ""
            (out / relative).write_bytes(payload.encode(spec["encoding"]))
            by_format[system.log_format] += len(events)
            files += 1
    progress("logs", steps, steps)
    return by_format, labels, files


def _write_labels(path: Path, scenarios: list[Scenario], lines: dict[str, list[tuple[str, int]]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for scenario in scenarios:
            handle.write(json.dumps(scenario.label(lines.get(scenario.id, [])), ensure_ascii=False) + "\n")

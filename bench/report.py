"""Benchmark: the whole periodic analysis report over a week of 20 million events.

    .venv/bin/python bench/report.py --demo /tmp/demo-shared/var --work /tmp/h8/large [--size 20]
    .venv/bin/python bench/report.py --work /tmp/h8/large --measure-only

The lake is grown exactly as ``bench/detection.py`` grows it (its ``prepare_data_dir`` and ``grow``): the
loaded demo's registry database is copied, the demo week's events are copied into a fresh lake and
replicas of them (IDs suffixed, times shifted by r × 37 s) are appended through ``lake.append`` until the
size is reached — a bigger utility's week with the demo's systems, accounts and scenarios.

The measurement runs in a fresh subprocess: create a campaign over all 23 systems for the week, compute it
(``run_campaign``: pin the lake files and registry time, export the registry snapshot, completeness,
statistics, enrichment, effectiveness, accounts; the rule pack is not re-run — its detections are listed
from the alerts, as monitoring raised them), then write the PDF (with its 69 charts), the Excel workbook and
the JSON, and finally recompute from the pin (``verify_frozen``) as a re-run of a frozen campaign would.
Wall time per stage and peak RSS are printed, with the conclusions.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _detection_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_detection", ROOT / "bench" / "detection.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(work: Path) -> dict[str, object]:
    """Create, compute, export and verify the campaign (in this process); figures as a dict."""
    import datetime as dt
    import resource

    from ringfence.analysis.reports import export_report
    from ringfence.analysis.services.campaigns import create_campaign, run_campaign, verify_frozen
    from ringfence.core.timeutil import JST
    from ringfence.registry.models import InformationSystem

    bench = _detection_bench()
    start = dt.datetime.fromisoformat(bench.WEEK[0]).replace(tzinfo=JST)
    end = dt.datetime.fromisoformat(bench.WEEK[1]).replace(tzinfo=JST)
    stages: dict[str, float] = {}
    began = time.perf_counter()

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - since, 2)
        return now

    mark = began
    codes = list(InformationSystem.objects.order_by("code").values_list("code", flat=True))
    campaign = create_campaign(name=f"bench {time.strftime('%H:%M:%S')}", start=start, end=end, actor="bench",
                               systems=codes)  # fmt: skip
    compute_stages: dict[str, float] = {}
    run_campaign(campaign, actor="bench", detect=False, timings=compute_stages)
    mark = stage("compute", mark)
    sizes = {}
    for fmt in ("pdf", "xlsx", "json"):
        data = export_report(campaign, fmt, actor="bench")
        (work / f"report.{fmt}").write_bytes(data)
        sizes[fmt] = len(data)
        mark = stage(fmt, mark)
    report_wall = time.perf_counter() - began
    verification = verify_frozen(campaign, actor="bench")
    stage("recompute from pin", mark)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    campaign.refresh_from_db()
    conclusions = dict(campaign.systems.values_list("system__code", "conclusion"))
    return {
        "events": campaign.figures["pin"]["rows"],
        "files": campaign.figures["pin"]["files"],
        "systems": len(codes),
        "report_wall_s": round(report_wall, 1),
        "stages_s": stages,
        "compute_stages_s": compute_stages,
        "identical_on_recompute": verification.identical,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "bytes": sizes,
        "switch": conclusions.get("SWITCH"),
        "jukyu": conclusions.get("JUKYU"),
        "conclusions": {
            c: sum(1 for v in conclusions.values() if v == c) for c in sorted(set(conclusions.values()))
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", type=Path, help="data directory of a loaded demo (default size)")
    parser.add_argument("--size", type=float, default=20, help="millions of events (default 20)")
    parser.add_argument("--work", type=Path, help="working folder (kept; default a new temporary folder)")
    parser.add_argument("--measure-only", action="store_true", help="measure the lake already in --work")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # internal: in a subprocess
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ringfence-bench-report-"))
    data = work / "data"
    bench = _detection_bench()
    if args.measure:
        bench._django(data)
        print(json.dumps(measure(work)))
        return
    if not args.measure_only:
        if args.demo is None:
            parser.error("--demo is needed to build the lake")
        if not (data / "ringfence.sqlite3").exists():
            bench.prepare_data_dir(args.demo, data)
        bench._django(data)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the copied demo database may predate the analysis tables
        [(_wanted, stored, seconds)] = bench.grow(args.demo / "lake", [args.size])
        print(f"lake at {stored:,} events ({seconds:.0f} s of appending)", flush=True)
    done = subprocess.run([sys.executable, __file__, "--work", str(work), "--measure"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(done.returncode)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(figures, indent=1))
    stages = ", ".join(f"{k} {v}" for k, v in {**figures["compute_stages_s"], **figures["stages_s"]}.items())
    print("\n| events | systems | report wall s | CPU s | peak RSS MB | stages (s) |")
    print("|---|---|---|---|---|---|")
    print(f"| {figures['events']:,} | {figures['systems']} | {figures['report_wall_s']} | {figures['cpu_s']} "
          f"| {figures['peak_rss_mb']:,} | {stages} |")  # fmt: skip
    print(f"\nworking folder: {work}")


if __name__ == "__main__":
    main()

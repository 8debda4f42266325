"""Completeness comes first: gaps, silent sources, parse errors and a damaged lake each make a system
"cannot conclude", whatever its accesses say; a complete log is judged on its accesses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ringfence.analysis.models import Conclusion
from ringfence.analysis.services.conclusion import conclude
from ringfence.analysis.services.figures import SystemInfo, compute_figures
from ringfence.analysis.services.pinning import pin_inputs
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.logs.ingest.models import QuarantinedLine
from ringfence.logs.lake import append
from ringfence.logs.lake.layout import lake_dir
from ringfence.logs.tests.test_lake_support import make_events

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 10, 19)  # a week without public holidays
START, END = start_of_day_jst(MONDAY), start_of_day_jst(MONDAY + dt.timedelta(days=7))
PER_HOUR = 60


def _week(
    system: str,
    *,
    skip_day: dt.date | None = None,
    skip_hour: tuple[dt.date, int] | None = None,
    trickle_day: dt.date | None = None,
) -> None:
    """A busy office system: PER_HOUR events in every business hour of the working days."""
    rows: list[dict[str, Any]] = []
    for offset in range(5):
        day = MONDAY + dt.timedelta(days=offset)
        if day == skip_day:
            continue
        for hour in range(7, 21):
            if skip_hour == (day, hour):
                continue
            for n in range(3 if day == trickle_day and hour == 7 else 0 if day == trickle_day else PER_HOUR):
                rows.append({"system": system, "source": f"{system.lower()}-log", "source_line": len(rows) + 1,
                             "time": dt.datetime(day.year, day.month, day.day, hour, n, tzinfo=JST)})  # fmt: skip
    append(make_events(rows, source_file=f"/logs/{system}/week.log"), origin=system, actor="test")


def _figures() -> dict[str, dict[str, Any]]:
    codes = ["GAP", "QUIET", "PARSE", "WHOLE", "LOW"]
    pin = pin_inputs(START, END, codes)
    infos = [SystemInfo(code, code, code, True) for code in codes]
    return compute_figures(pin, START, END, infos)["systems"]


def test_each_kind_of_incompleteness_prevents_a_conclusion(data_dir: Path) -> None:
    _week("GAP", skip_hour=(MONDAY + dt.timedelta(days=2), 10))
    _week("QUIET", skip_day=MONDAY + dt.timedelta(days=3))
    _week("PARSE")
    _week("WHOLE")
    _week("LOW", trickle_day=MONDAY + dt.timedelta(days=1))
    QuarantinedLine.objects.bulk_create(
        QuarantinedLine(source="parse-log", system="PARSE", origin="x", source_file="/logs/PARSE/week.log",
                        line=100_000 + n, offset=n, reason="bad line", raw="???", received_at=END)
        for n in range(120)
    )  # fmt: skip
    figures = _figures()

    gap = figures["GAP"]["completeness"]
    assert gap["gap_hours"] == ["2026-10-21T10"]
    assert conclude(figures["GAP"])[0] == Conclusion.CANNOT_CONCLUDE

    quiet = figures["QUIET"]["completeness"]
    assert quiet["empty_working_days"] == ["2026-10-22"]
    assert {"kind": "silent_source", "source": "quiet-log", "day": "2026-10-22"} in quiet["problems"]
    assert conclude(figures["QUIET"])[0] == Conclusion.CANNOT_CONCLUDE

    low = figures["LOW"]["completeness"]
    assert {"kind": "low_day", "day": "2026-10-20", "events": 3, "typical": 840} in low["problems"]
    assert conclude(figures["LOW"])[0] == Conclusion.CANNOT_CONCLUDE

    parse = figures["PARSE"]["completeness"]
    assert parse["lines_quarantined"] == 120 and parse["lines_stored"] == 5 * 14 * PER_HOUR
    assert parse["parse_error_ppm"] == round(1_000_000 * 120 / (4200 + 120))
    assert conclude(figures["PARSE"]) == (
        Conclusion.CANNOT_CONCLUDE,
        [{"kind": "parse_errors", "rate_ppm": 27778, "limit_ppm": 10000}],
    )

    # A complete log: judged on its accesses (here every account is unknown to the empty registry).
    whole = figures["WHOLE"]
    assert whole["completeness"]["complete"] and whole["completeness"]["problems"] == []
    value, reasons = conclude(whole)
    assert value == Conclusion.NOT_FUNCTIONING
    assert reasons == [
        {"kind": "rights_not_as_entitled", "count": 4200, "by_category": {"unknown_account": 4200}}
    ]
    assert whole["accounts"]["used_unknown_count"] == whole["statistics"]["accounts"] == 4200
    assert len(whole["effectiveness"]["impossible"]) == 200  # listed up to the limit, counted in full
    assert whole["statistics"]["by_weekday"] == [840, 840, 840, 840, 840, 0, 0]
    assert whole["statistics"]["by_hour"][7:21] == [300] * 14


def test_damaged_lake_file_prevents_a_conclusion(data_dir: Path) -> None:
    _week("WHOLE")
    pin = pin_inputs(START, END, ["WHOLE"])
    (path,) = [f.path for f in pin.files if "day=2026-10-20" in f.path]
    with (lake_dir() / path).open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\0\0\0\0")
    figures = compute_figures(pin, START, END, [SystemInfo("WHOLE", "WHOLE", "", True)])["systems"]["WHOLE"]
    problems = figures["completeness"]["problems"]
    assert {"kind": "lake_file", "problem": f"altered: {path}"} in problems
    # The damaged file is left out, so its day shows as empty too: never a silent "functioning".
    assert {"kind": "empty_day", "day": "2026-10-20"} in problems
    assert conclude(figures)[0] == Conclusion.CANNOT_CONCLUDE


def test_system_without_events_cannot_be_concluded(data_dir: Path) -> None:
    _week("WHOLE")
    figures = compute_figures(
        pin_inputs(START, END, ["NONE"]), START, END, [SystemInfo("NONE", "", "", True)]
    )
    assert conclude(figures["systems"]["NONE"]) == (Conclusion.CANNOT_CONCLUDE, [{"kind": "no_events"}])

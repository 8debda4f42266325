"""Every log file parses with an independent reader, and sources.json describes every system's files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ringfence.demo.calendar import is_day_off
from ringfence.demo.logs.formats import jst_date, split

from .readers import JST, read_lines

WEEK = (dt.datetime(2026, 10, 12, tzinfo=JST), dt.datetime(2026, 10, 19, tzinfo=JST))
SHIFT = {"KEITO", "JUKYU", "TEIDEN", "SAIGAI"}


def _sources(demo_dir: Path) -> dict[str, dict]:
    data = json.loads((demo_dir / "logs" / "sources.json").read_text(encoding="utf-8"))
    return {s["system"]: s for s in data["systems"]}


def test_sources_json_describes_every_system_directory(demo_dir: Path) -> None:
    sources = _sources(demo_dir)
    assert len(sources) == 23
    assert {p.name for p in (demo_dir / "logs").iterdir() if p.is_dir()} == set(sources)
    formats = {s["format"] for s in sources.values()}
    assert formats == {"csv_ja_cp932", "csv_ja_utf8", "jsonl", "syslog5424", "syslog3164", "sshd", "apache",
                       "nginx", "winxml", "winjson", "pgaudit", "oracle_audit_csv"}  # fmt: skip
    for source in sources.values():
        assert source["encoding"] in ("utf-8", "cp932")
        assert source["files"].startswith(f"logs/{source['system']}/")
    cp932 = [s for s in sources.values() if s["encoding"] == "cp932"]
    assert cp932 and all("操作区分" in s["value_codes"] for s in cp932)


def test_every_file_parses_and_its_events_fall_in_the_week_in_order(demo_dir: Path) -> None:
    sources = _sources(demo_dir)
    total = 0
    for system, source in sources.items():
        for path in sorted((demo_dir / "logs" / system).iterdir()):
            day = dt.datetime.strptime(path.stem.rsplit("_", 1)[1], "%Y%m%d").date()
            lines = read_lines(path, source["format"])
            times = [line.at for _, line in lines]
            assert times == sorted(times), path
            for _, line in lines:
                assert WEEK[0] <= line.at < WEEK[1], path
                assert line.at.astimezone(JST).date() == day, path
                assert line.account, path
            total += len(lines)
    assert total > 20_000


def test_office_systems_are_quiet_at_night_and_on_days_off_except_for_labelled_events(
    demo_dir: Path, labels
) -> None:
    labelled = {(e["file"], e["line"]) for label in labels for e in label["events"]}
    sources = _sources(demo_dir)
    for system, source in sources.items():
        if system in SHIFT:
            continue
        for path in sorted((demo_dir / "logs" / system).iterdir()):
            relative = str(path.relative_to(demo_dir))
            for number, line in read_lines(path, source["format"]):
                local = line.at.astimezone(JST)
                if (relative, number) in labelled:
                    continue
                assert 7 <= local.hour < 22, (relative, number)
                assert not is_day_off(local.date()), (relative, number)


def test_permission_errors_appear_everywhere_but_on_the_misconfigured_system(demo_dir: Path) -> None:
    sources = _sources(demo_dir)
    denied: dict[str, int] = {}
    for system, source in sources.items():
        for path in (demo_dir / "logs" / system).iterdir():
            denied[system] = denied.get(system, 0) + sum(
                1 for _, line in read_lines(path, source["format"]) if line.outcome == "denied"
            )
    assert denied["SWITCH"] == 0
    assert denied["CIS"] > 0
    assert sum(1 for count in denied.values() if count) >= 5


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_timestamp_arithmetic_matches_the_calendar(ts: int) -> None:
    expected = dt.datetime.fromtimestamp(ts / 1000, JST)
    day, hour, minute, second, ms = split(ts, 9 * 3600 * 1000)
    assert (day, hour, minute, second) == (expected.date(), expected.hour, expected.minute, expected.second)
    assert ms == ts % 1000
    assert jst_date(ts) == expected.date()

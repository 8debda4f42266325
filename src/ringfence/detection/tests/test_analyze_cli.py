"""``ringfence analyze``, ``score`` and ``rules list|validate|test`` in-process, on a real registry and lake."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from ringfence.cli.main import main
from ringfence.detection.models import AnalysisRun

from .analyze_support import AFF, BURST, make_world
from .engine_support import AFFILIATE, FAILED

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> dict[str, Any]:
    return make_world(settings, tmp_path)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        with translation.override("en"):
            returned = main(
                args
            )  # click hands an Exit's code back (the console script passes it to sys.exit)
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_analyze_writes_json_and_csv_and_records_the_run(
    world: dict[str, Any], capsys, tmp_path: Path
) -> None:
    target = tmp_path / "week.json"
    code, _out, err = run(["analyze", "--from", "2024-10-01", "--to", "2024-10-01", "--rules-dir", str(world["rules"]),
                           "--no-alerts", "--out", str(target)], capsys)  # fmt: skip
    assert code == 0, err
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["summary"]["events"] == 9 and document["summary"]["alerts_new"] == 0
    rules = {f["rule_id"]: f for f in document["findings"]}
    assert rules[AFF]["entity"] == "CIS/u001" and len(rules[AFF]["evidence"]) == 3
    assert rules[AFF]["window_start"] == "2024-10-01T00:00:00+09:00"
    assert rules[BURST]["corr_value"] == 4.0
    assert "9 events" in err and "t_affiliate" in err
    assert AnalysisRun.objects.count() == 1
    code, out, _err = run(["analyze", "--from", "2024-10-01", "--to", "2024-10-01", "--rules-dir", str(world["rules"]),
                           "--no-alerts", "--format", "csv"], capsys)  # fmt: skip
    lines = out.splitlines()
    assert (
        code == 0
        and lines[0].startswith("key,rule_id,rule,title")
        and len(lines) == len(document["findings"]) + 1
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "2024-13-01", "--to", "2024-10-01"], "--from"),
        (["--from", "2024-10-02", "--to", "2024-10-01"], "is not after"),
        (
            ["--from", "2024-10-01", "--to", "2024-10-01", "--system", "NOPE"],
            "NOPE is neither in the registry",
        ),
    ],
)
def test_analyze_refuses_bad_input_with_a_clear_line(world, capsys, args: list[str], expected: str) -> None:
    code, _out, err = run(["analyze", *args, "--rules-dir", str(world["rules"]), "--no-alerts"], capsys)
    assert code == 1 and expected in err
    assert "Traceback" not in err and not AnalysisRun.objects.exists()


def test_analyze_refuses_an_invalid_rule_naming_file_and_line(world, capsys) -> None:
    (world["rules"] / "broken.yml").write_text(AFFILIATE.replace("outcome: success", "outcome|contians: s")
                                               .replace("000000000001", "000000000009"), encoding="utf-8")  # fmt: skip
    code, _out, err = run(
        ["analyze", "--from", "2024-10-01", "--to", "2024-10-01", "--rules-dir", str(world["rules"])], capsys
    )
    assert code == 1 and "broken.yml:" in err and "contians" in err


def test_score_reports_recall_precision_and_the_source_health_scenario(world, capsys, tmp_path: Path) -> None:
    labels = tmp_path / "demo" / "labels.jsonl"
    labels.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {"id": "S1", "kind": "affiliate_granted_access", "system": "CIS", "account": "u001",
         "start": "2024-10-01T09:00:00+09:00", "end": "2024-10-01T14:00:00+09:00",
         "events": [{"file": "logs/app.log", "line": 1}, {"file": "logs/app.log", "line": 2}]},
        {"id": "S2", "kind": "password_guessing", "system": "CIS",
         "start": "2024-10-01T20:00:00+09:00", "end": "2024-10-01T20:09:00+09:00",
         "events": [{"file": "logs/app.log", "line": n} for n in (5, 6, 7, 8)]},
        {"id": "S3", "kind": "orphaned_id_in_use", "system": "CIS", "events": [{"file": "logs/app.log", "line": 99}]},
        {"id": "S4", "kind": "silent_log_source", "system": "CIS", "day": "2024-10-01", "events": []},
    ]  # fmt: skip
    labels.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    code, out, err = run(
        ["score", "--labels", str(labels), "--rules-dir", str(world["rules"]), "--format", "json"], capsys
    )
    assert code == 0, err
    score = json.loads(out)
    caught = {s["id"]: (s["caught"], s["method"], s["labelled_events"]) for s in score["scenarios"]}
    assert caught == {
        "S1": (True, "detection", 2),
        "S2": (True, "detection", 4),
        "S3": (False, "detection", 0),  # its line is not in the lake
        "S4": (False, "source health", 0),  # CIS logged that day
    }
    assert score["recall"] == 0.5
    assert score["recall_by_kind"]["password_guessing"] == {"caught": 1, "scenarios": 1}
    s1 = next(s for s in score["scenarios"] if s["id"] == "S1")
    assert AFF in s1["rules"]
    # precision: findings holding a labelled event / all findings (built-in pack included)
    assert score["precision"] == round(score["findings_with_labelled_events"] / score["findings"], 4)
    assert not AnalysisRun.objects.exists()  # scoring writes nothing
    code, table, _ = run(["score", "--labels", str(labels), "--rules-dir", str(world["rules"])], capsys)
    assert "recall 50.0% (2/4 scenarios)" in table and "S3" in table


def test_score_refuses_a_bad_labels_line(world, capsys, tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "S1", "kind": "x", "events": []}\nnot json\n', encoding="utf-8")
    code, _out, err = run(
        ["score", "--labels", str(labels), "--from", "2024-10-01", "--to", "2024-10-01"], capsys
    )
    assert code == 1 and "labels.jsonl:2" in err


def test_rules_list_validate_and_test(world, capsys, tmp_path: Path) -> None:
    code, out, _ = run(["rules", "list", "--rules-dir", str(world["rules"]), "--format", "json"], capsys)
    listed = {r["id"]: r for r in json.loads(out)}
    assert code == 0 and listed[AFF]["origin"] == "user" and listed[BURST]["kind"] == "event_count"
    assert any(r["origin"] == "built-in" for r in listed.values())
    code, out, _ = run(["rules", "validate", str(world["rules"])], capsys)
    assert code == 0 and "3 rule(s) in 2 file(s): valid" in out
    bad = tmp_path / "bad.yml"
    bad.write_text(FAILED.replace("timespan: 10m", "timespan: soon"), encoding="utf-8")
    code, _out, err = run(["rules", "validate", str(bad)], capsys)
    assert code == 1 and "bad.yml" in err

    cases = tmp_path / "cases.yml"
    cases.write_text(textwrap.dedent("""
        cases:
          - name: affiliate staff matches, own staff does not
            events:
              - {event_id: a, time: 2026-10-13T10:00:00+09:00, system: CIS, person_employment_type: affiliate}
              - {event_id: b, time: 2026-10-13T10:01:00+09:00, system: CIS, person_employment_type: own_employee}
            expect:
              t_affiliate: [a]
    """), encoding="utf-8")  # fmt: skip
    code, out, _ = run(["rules", "test", str(world["rules"] / "affiliate.yml"), str(cases)], capsys)
    assert code == 0 and "PASS" in out and "1 passed, 0 failed" in out
    cases.write_text(
        cases.read_text(encoding="utf-8").replace("t_affiliate: [a]", "t_affiliate: [b]"), encoding="utf-8"
    )
    code, out, _ = run(["rules", "test", str(world["rules"] / "affiliate.yml"), str(cases)], capsys)
    assert code == 1 and "FAIL" in out and "missing b" in out and "unexpected a" in out

"""The built-in rule pack as files: valid Sigma, the ringfence attributes every rule must carry, documented.

The behaviour of each rule is tested in test_rule_pack_cases.py.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule

from .rule_pack_support import CASES_DIR, RULES_DIR, enriched_columns, load_cases, pack_documents, pack_files

CONTROLS = {
    "continuous-monitoring",
    "access-rights-effectiveness",
    "terminal-ledger",
    "id-governance",
    "physical-separation",
}
LEVELS = {"informational", "low", "medium", "high", "critical"}
REQUIRED = (
    "id",
    "name",
    "title",
    "description",
    "status",
    "author",
    "date",
    "tags",
    "falsepositives",
    "level",
)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
DOCS = Path(__file__).resolve().parents[4] / "docs" / "rule-pack.md"
DOCUMENTS = pack_documents()


def _label(item: tuple[Path, dict]) -> str:
    return f"{item[0].name}:{item[1].get('name')}"


def test_the_pack_has_the_rules_issue_4_asks_for() -> None:
    names = {document["name"] for _path, document in DOCUMENTS}
    assert {
        "rf_account_unknown", "rf_account_orphaned", "rf_person_affiliate", "rf_person_retired",
        "rf_person_transferred", "rf_person_contractor_outside_contract", "rf_terminal_not_in_ledger",
        "rf_terminal_not_in_use", "rf_affiliate_zone", "rf_shared_id_concurrent", "rf_access_not_entitled",
        "rf_operation_above_entitlement", "rf_bulk_records_hourly", "rf_bulk_records_daily",
        "rf_off_hours_non_public", "rf_day_off_non_public", "rf_failed_logon_burst_source",
        "rf_failed_logon_burst_account", "rf_emergency_id_outside_grant", "rf_first_seen_terminal",
        "rf_first_seen_system",
    } <= names  # fmt: skip


@pytest.mark.parametrize("path", pack_files(), ids=lambda p: p.name)
def test_every_file_is_valid_sigma(path: Path) -> None:
    collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True)
    collection.resolve_rule_references()
    errors = [error for rule in collection.rules for error in rule.errors]
    assert not errors, f"{path.name}: {errors}"
    assert len(collection.rules) >= 1


@pytest.mark.parametrize("path", pack_files(), ids=lambda p: p.name)
def test_every_file_parses_with_the_compiler_front_end(path: Path) -> None:
    from ringfence.detection.sigma import parse_rules

    rules = parse_rules(path.read_text(encoding="utf-8"), str(path))
    assert [str(rule.name) for rule in rules] == [d["name"] for p, d in DOCUMENTS if p == path]


@pytest.mark.parametrize("item", DOCUMENTS, ids=_label)
def test_every_rule_carries_the_required_attributes(item: tuple[Path, dict]) -> None:
    path, rule = item
    missing = [key for key in REQUIRED if not rule.get(key)]
    assert not missing, f"{path.name}: {rule.get('name')} lacks {missing}"
    assert str(uuid.UUID(str(rule["id"]))) == str(rule["id"])
    assert rule["name"].startswith("rf_")
    assert rule["author"] == "ringfence"
    assert rule["level"] in LEVELS
    assert rule["control"] in CONTROLS
    assert JAPANESE.search(rule["title_ja"]) and JAPANESE.search(rule["description_ja"])
    assert not JAPANESE.search(rule["title"]), "the Sigma title is the English one"
    options = rule["ringfence"]
    assert re.fullmatch(r"\d+[mhd]", str(options["incident_window"]))
    assert isinstance(options["entity"], list) and options["entity"]
    assert set(options["entity"]) <= set(enriched_columns())
    if "correlation" not in rule:
        assert rule["logsource"] == {"product": "ringfence", "service": "enriched"}


def test_ids_and_names_are_unique() -> None:
    ids = [str(d["id"]) for _p, d in DOCUMENTS]
    names = [d["name"] for _p, d in DOCUMENTS]
    assert len(ids) == len(set(ids))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("item", DOCUMENTS, ids=_label)
def test_rules_read_only_enriched_columns(item: tuple[Path, dict]) -> None:
    """A misspelt field would silently be read from the ``extra`` JSON and never match: refuse it here."""
    path, rule = item
    columns = set(enriched_columns())
    fields: set[str] = set()
    if "correlation" in rule:
        correlation = rule["correlation"]
        fields |= set(correlation.get("group-by") or [])
        if isinstance(correlation.get("condition"), dict) and "field" in correlation["condition"]:
            fields.add(correlation["condition"]["field"])
        relative = rule["ringfence"].get("relative_to")
        if relative:
            fields.add(relative)
    else:
        for name, selection in rule["detection"].items():
            if name == "condition":
                continue
            items = selection if isinstance(selection, list) else [selection]
            for entry in items:
                fields |= {key.split("|")[0] for key in entry}
                for key, value in entry.items():
                    if "fieldref" in key.split("|")[1:]:
                        fields.add(value)
    assert fields, f"{path.name}: {rule['name']} reads no field"
    assert fields <= columns, f"{path.name}: {rule['name']} reads unknown fields {sorted(fields - columns)}"


def test_correlations_refer_to_pack_rules_that_raise_no_alert_of_their_own() -> None:
    by_name = {d["name"]: d for _p, d in DOCUMENTS}
    for _path, rule in DOCUMENTS:
        if "correlation" not in rule:
            continue
        for reference in rule["correlation"]["rules"]:
            assert reference in by_name, f"{rule['name']} refers to {reference}"
            assert by_name[reference]["level"] == "informational"
        assert not rule["correlation"].get("generate", False)


def test_every_rule_has_matching_and_non_matching_cases() -> None:
    cases = load_cases()
    for _path, rule in DOCUMENTS:
        expectations = {case.expect for case in cases if case.rule == rule["name"]}
        assert expectations == {True, False}, (
            f"{rule['name']}: cases in {CASES_DIR} must show a match and a miss"
        )


def test_every_case_names_a_pack_rule() -> None:
    names = {d["name"] for _p, d in DOCUMENTS}
    assert {case.rule for case in load_cases()} <= names


def test_the_documentation_lists_every_rule() -> None:
    readme = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    docs = DOCS.read_text(encoding="utf-8")
    for _path, rule in DOCUMENTS:
        assert rule["name"] in docs, f"docs/rule-pack.md does not list {rule['name']}"
        assert rule["title_ja"] in docs, f"docs/rule-pack.md lacks the Japanese title of {rule['name']}"
    for path in pack_files():
        assert path.name in readme, f"rules/README.md does not describe {path.name}"


def test_correlation_documents_load_as_correlations() -> None:
    for path in pack_files():
        collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
        kinds = {type(rule) for rule in collection.rules}
        documents = [d for p, d in DOCUMENTS if p == path]
        assert (SigmaCorrelationRule in kinds) == any("correlation" in d for d in documents)


def test_the_engine_loads_the_whole_pack_strictly(tmp_path: Path) -> None:
    """The engine compiles every pack rule (no problem, none inactive); base rules raise no alerts."""
    from ringfence.detection.engine import load_ruleset

    ruleset = load_ruleset(rules_dir=tmp_path, with_settings=False, placeholders={})
    names = {meta.name: meta for meta in ruleset.meta.values()}
    assert set(names) == {d["name"] for _p, d in DOCUMENTS}
    assert not ruleset.problems
    assert not [name for name, meta in names.items() if meta.inactive_reason]
    silent = {name for name, meta in names.items() if not meta.generate_alerts}
    assert silent == {
        "rf_account_activity_with_source",
        "rf_record_volume",
        "rf_failed_logon",
        "rf_first_seen_system",
    }
    for name, meta in names.items():
        document = next(d for _p, d in DOCUMENTS if d["name"] == name)
        assert meta.title_ja == document["title_ja"] and meta.control == document["control"]
        assert meta.entity_fields == tuple(document["ringfence"]["entity"])
        assert meta.builtin

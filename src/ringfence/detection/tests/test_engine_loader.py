"""Loading rules: pack + user folder, metadata, inactive public rules, problems, settings from the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from ringfence.core.errors import BadInput
from ringfence.detection.engine import load_ruleset
from ringfence.detection.engine.loader import BUILTIN_DIR, rule_files
from ringfence.detection.models import RuleSetting
from ringfence.detection.services import change_rule_setting

from .engine_support import AFFILIATE, FAILED, WINDOWS, write_rules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Assertions read the English messages."""
    with translation.override("en"):
        yield


IDS = {
    "affiliate": "6b1f1c52-0000-4000-8000-000000000001",
    "failed": "6b1f1c52-0000-4000-8000-000000000002",
    "burst": "6b1f1c52-0000-4000-8000-000000000003",
    "windows": "6b1f1c52-0000-4000-8000-000000000004",
}


def _load(folder: Path, **kwargs: object):
    return load_ruleset(rules_dir=folder, include_builtin=False, placeholders={}, **kwargs)  # type: ignore[arg-type]


def test_user_rules_load_with_their_metadata_and_correlations_after_their_bases(tmp_path: Path) -> None:
    folder = write_rules(tmp_path / "rules", affiliate=AFFILIATE, failed=FAILED)
    ruleset = _load(folder)
    order = [rule.rule_id for rule in ruleset.rules]
    assert order.index(IDS["failed"]) < order.index(IDS["burst"])
    meta = ruleset.meta[IDS["affiliate"]]
    assert (meta.title_en, meta.title_ja, meta.severity, meta.control) == (
        "Affiliate staff on a T&D system",
        "特定関係事業者の社員によるアクセス",
        "critical",
        "continuous-monitoring",
    )
    assert meta.entity_fields == ("system", "account") and meta.incident_window == dt.timedelta(days=1)
    assert not meta.builtin and meta.false_positives == ("none",)
    burst = ruleset.meta[IDS["burst"]]
    assert burst.kind == "event_count" and burst.threshold == 3 and burst.timespan == "10m"
    assert burst.entity_fields == ("src_ip",)
    # a base rule of a correlation without `generate` raises no alerts of its own
    assert ruleset.alerting == {IDS["affiliate"], IDS["burst"]}


def test_a_public_rule_whose_fields_exist_nowhere_is_listed_inactive_not_an_error(tmp_path: Path) -> None:
    ruleset = _load(write_rules(tmp_path / "rules", windows=WINDOWS, affiliate=AFFILIATE))
    assert ruleset.meta[IDS["windows"]].inactive_reason.startswith("inactive: fields missing (CommandLine)")
    assert IDS["windows"] not in {rule.rule_id for rule in ruleset.rules}
    assert IDS["affiliate"] in ruleset.alerting


def test_a_public_rule_with_mapped_fields_runs(tmp_path: Path) -> None:
    public = """
    title: Logon failure for a user
    id: 6b1f1c52-0000-4000-8000-000000000005
    logsource: {product: windows, service: security}
    detection:
      sel:
        TargetUserName: admin
      condition: sel
    level: low
    """
    ruleset = _load(write_rules(tmp_path / "rules", public=public))
    assert ruleset.meta["6b1f1c52-0000-4000-8000-000000000005"].inactive_reason == ""
    assert "6b1f1c52-0000-4000-8000-000000000005" in ruleset.alerting


def test_bad_rules_name_file_and_line_strict_or_kept_as_problems(tmp_path: Path) -> None:
    bad = AFFILIATE.replace("person_employment_type: affiliate", "person_employment_type|contians: affiliate")
    folder = write_rules(tmp_path / "rules", bad=bad, failed=FAILED)
    with pytest.raises(BadInput) as caught:
        _load(folder)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "bad.yml:" in text and "contians" in text
    lenient = _load(folder, strict=False)
    assert lenient.problems and IDS["burst"] in lenient.alerting


def test_duplicate_ids_and_unknown_references_are_problems(tmp_path: Path) -> None:
    orphan = FAILED.split("---")[1].replace("rules: [t_failed]", "rules: [no_such_rule]")
    folder = write_rules(tmp_path / "rules", one=AFFILIATE, two=AFFILIATE, orphan=orphan)
    with pytest.raises(BadInput) as caught:
        _load(folder)
    reasons = " | ".join(p.reason for p in caught.value.problems)
    assert "also in" in reasons and "no_such_rule" in reasons


def test_missing_rules_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        _load(tmp_path / "nowhere")


def test_settings_disable_a_rule_and_tune_a_correlation(tmp_path: Path) -> None:
    folder = write_rules(tmp_path / "rules", affiliate=AFFILIATE, failed=FAILED)
    change_rule_setting(IDS["affiliate"], actor="officer", reason="noise during migration", enabled=False)
    change_rule_setting(IDS["burst"], actor="officer", reason="fewer alerts", threshold=5, timespan="30m")
    ruleset = _load(folder)
    assert not ruleset.meta[IDS["affiliate"]].enabled
    assert IDS["affiliate"] not in ruleset.alerting
    assert ruleset.meta[IDS["burst"]].threshold == 5 and ruleset.meta[IDS["burst"]].timespan == "30m"
    assert ruleset.compiled(IDS["burst"]).timespan == dt.timedelta(minutes=30)
    sql = ruleset.compiled(IDS["burst"]).sql("m")
    assert ">= 5" in sql and "1800" in sql and ">= 3" not in sql
    untouched = _load(folder, with_settings=False)
    assert untouched.meta[IDS["burst"]].threshold == 3 and IDS["affiliate"] in untouched.alerting
    assert untouched.digest != ruleset.digest


def test_the_built_in_pack_loads_without_problems() -> None:
    ruleset = load_ruleset(include_user=False, with_settings=False, placeholders={}, strict=False)
    assert rule_files(BUILTIN_DIR)
    assert ruleset.problems == []
    assert all(meta.builtin and meta.title_ja for meta in ruleset.meta.values())
    assert ruleset.alerting and ruleset.correlations


def test_setting_versions_are_kept_and_audited(tmp_path: Path) -> None:
    from ringfence.audit.models import AuditEvent

    change_rule_setting("r1", actor="a", reason="first", enabled=False)
    change_rule_setting("r1", actor="b", reason="second", threshold=10)
    versions = list(
        RuleSetting.objects.filter(rule_id="r1")
        .order_by("version")
        .values_list("version", "enabled", "threshold")
    )
    assert versions == [(1, False, None), (2, False, 10.0)]
    audited = AuditEvent.objects.filter(target_type="detection.rule", target_ref="r1")
    assert audited.count() == 2
    with pytest.raises(BadInput) as caught:
        change_rule_setting("r1", actor="c", reason=" ", timespan="soon")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"reason", "timespan"}
    assert RuleSetting.objects.filter(rule_id="r1").count() == 2

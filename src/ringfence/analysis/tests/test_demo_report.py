"""The demo week analysed end to end: all 23 systems, conclusions that match the seeded scenarios, and the
report in PDF, Excel and JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ringfence.alerts.choices import AlertStatus
from ringfence.analysis.models import CampaignStatus, Conclusion
from ringfence.analysis.reports import export_report
from ringfence.analysis.services.campaigns import create_campaign, run_campaign
from ringfence.audit.models import AuditEvent
from ringfence.detection.engine import catalogue
from ringfence.registry.models import InformationSystem

from .conftest import labels, week_of

pytestmark = pytest.mark.django_db

# Scenario kinds in which an account is used without any entitlement of its owner at that moment.
RIGHTS_NOT_AS_ENTITLED = {"retiree_id_in_use", "orphaned_id_in_use", "transferred_out_id_in_use",
                          "emergency_id_outside_grant", "lent_terminal_affiliate_use"}  # fmt: skip


def _label_lines(out: Path, kind: str) -> set[tuple[str, int]]:
    """(file relative to the logs folder, line) of every labelled event of the scenarios of ``kind``."""
    result = set()
    for label in labels(out):
        if label["kind"] == kind:
            for event in label["events"]:
                result.add((event["file"].removeprefix("logs/"), int(event["line"])))
    return result


def test_demo_week_report_over_all_systems(demo_world: Path) -> None:
    start, end = week_of(demo_world)
    codes = list(InformationSystem.objects.order_by("code").values_list("code", flat=True))
    assert len(codes) == 23
    campaign = create_campaign(name="デモ週", start=start, end=end, actor="test", systems=codes)
    run_campaign(campaign, actor="test", detect=False)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPUTED
    conclusions = dict(campaign.systems.values_list("system__code", "conclusion"))
    assert set(conclusions) == set(codes)
    assert all(conclusions.values())

    # The misconfigured system: not functioning, because it let accounts exceed their own privilege.
    assert conclusions["SWITCH"] == Conclusion.NOT_FUNCTIONING
    switch = campaign.systems.get(system__code="SWITCH")
    assert [r["kind"] for r in switch.reasons] == ["not_enforced"]
    impossible = campaign.figures["systems"]["SWITCH"]["effectiveness"]["impossible"]
    assert impossible and all(r["category"] == "beyond_account_privilege" for r in impossible)
    listed = {(r["source_file"].split("/logs/", 1)[1], r["source_line"]) for r in impossible}
    seeded = _label_lines(demo_world, "misconfigured_access_control")
    # Every listed impossible access is a seeded violation, and every seeded update or export is listed.
    assert listed <= seeded
    assert {r["activity"] for r in impossible} == {"update", "export"}
    (switch_account,) = {label["account"] for label in labels(demo_world) if label["system"] == "SWITCH"}
    assert {r["account"] for r in impossible} == {switch_account}

    # The silent source: JUKYU wrote nothing on 2026-10-14, so nothing can be concluded for it.
    assert conclusions["JUKYU"] == Conclusion.CANNOT_CONCLUDE
    jukyu = campaign.systems.get(system__code="JUKYU")
    assert {"kind": "empty_day", "day": "2026-10-14"} in jukyu.reasons
    assert any(r["kind"] == "silent_source" and r["day"] == "2026-10-14" for r in jukyu.reasons)

    # Each scenario in which someone used an account the registry gave them no right to makes its system
    # "not functioning", with that account among the impossible accesses; systems without any scenario
    # and with complete logs are functioning.
    scenario_systems = {label["system"] for label in labels(demo_world)}
    for label in labels(demo_world):
        if label["kind"] in RIGHTS_NOT_AS_ENTITLED:
            assert conclusions[label["system"]] == Conclusion.NOT_FUNCTIONING, label["id"]
            accounts = {
                r["account"]
                for r in campaign.figures["systems"][label["system"]]["effectiveness"]["impossible"]
            }
            assert label["account"] in accounts, label["id"]
    quiet = [code for code in codes if code not in scenario_systems]
    assert len(quiet) >= 5
    for code in quiet:
        assert conclusions[code] == Conclusion.FUNCTIONING, code
    # Systems that are not functioning got a tracked finding with an owner and a due date.
    finding = switch.findings.get()
    assert finding.owner and finding.due_on and finding.status == "open"

    # Statistics add up: events by hour, weekday and day each sum to the events of the system.
    stats = campaign.figures["systems"]["CIS"]["statistics"]
    assert (
        sum(stats["by_hour"])
        == sum(stats["by_weekday"])
        == sum(n for _d, n in stats["by_day"])
        == stats["events"]
    )
    assert sum(stats["by_employment_type"].values()) == stats["events"]
    assert stats["by_employment_type"].get("affiliate", 0) > 0  # the affiliate using a lent terminal

    # JSON: the document with every system.
    document = json.loads(export_report(campaign, "json", actor="test"))
    assert [s["code"] for s in document["report"]["systems"]] == sorted(codes)
    # Excel: a summary sheet and one per system.
    workbook = load_workbook(io.BytesIO(export_report(campaign, "xlsx", actor="test")))
    assert workbook.sheetnames[1:] == sorted(codes)
    summary = {
        row[0]: row[2]
        for row in workbook.worksheets[0].iter_rows(values_only=True)
        if row and row[0] in codes
    }
    assert summary["SWITCH"] == "Not functioning" and summary["JUKYU"] == "Cannot conclude"
    switch_rows = [
        row for row in workbook["SWITCH"].iter_rows(values_only=True) if row and row[1] == switch_account
    ]
    assert len(switch_rows) == len(impossible)
    # PDF: a summary page and at least one page per system.
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(export_report(campaign, "pdf", actor="test"))
    assert len(pdf) >= 24
    text = "".join("".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf)))
    assert "スイッチング支援システム" in text and switch_account in text
    pdf.close()
    # Computed again with the rule pack run first: its detections of the week are listed with their state.
    run_campaign(campaign, actor="test", detect=True)
    campaign.refresh_from_db()
    detections = [d for part in campaign.figures["systems"].values() for d in part["detections"]]
    assert detections and {d["status"] for d in detections} <= set(AlertStatus.values)
    assert {d["rule_id"] for d in detections} <= set(catalogue())
    assert (
        dict(campaign.systems.values_list("system__code", "conclusion")) == conclusions
    )  # rules change no figure
    exports = AuditEvent.objects.filter(
        target_type="analysis.campaign", action="export", target_ref=str(campaign.pk)
    )
    assert sorted(exports.values_list("detail__format", flat=True)) == ["json", "pdf", "xlsx"]

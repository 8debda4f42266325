"""The analysis pages by role: who sees which systems, exports, signs, creates and tracks findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ringfence.analysis.models import Campaign, CampaignSystem, FindingStatus
from ringfence.analysis.services.campaigns import create_campaign, run_campaign
from ringfence.audit.models import AuditEvent
from ringfence.authz.services import create_login
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.logs.lake import append
from ringfence.logs.tests.test_lake_support import make_events
from ringfence.registry.models import InformationSystem, OrgUnit, SystemVersion

pytestmark = pytest.mark.django_db
PASSWORD = "pw-analysis-123456"
MONDAY = dt.date(2026, 10, 19)


@pytest.fixture
def campaign(data_dir: Path) -> Campaign:
    for code, name in (("AAA", "顧客情報システム"), ("BBB", "託送業務システム")):
        system = InformationSystem.objects.create(code=code)
        SystemVersion.objects.create(
            entity=system, name_ja=name, valid_from=start_of_day_jst(dt.date(2020, 4, 1))
        )
        rows = [{"system": code, "source": f"{code.lower()}-log", "source_line": n + 1,
                 "time": dt.datetime(2026, 10, 19 + n % 5, 9 + n % 8, n % 60, tzinfo=JST)} for n in range(40)]  # fmt: skip
        append(make_events(rows, source_file=f"/logs/{code}.log"), origin=code, actor="test")
    start = start_of_day_jst(MONDAY)
    made = create_campaign(name="週次分析", start=start, end=start + dt.timedelta(days=7), actor="test")
    return run_campaign(made, actor="test", detect=False)


def _client(client: Client, username: str, roles: list[str], **scope: Any) -> Client:
    client.force_login(create_login(username, PASSWORD, roles, **scope))
    return client


def test_analyst_sees_everything_and_exports(client: Client, campaign: Campaign) -> None:
    _client(client, "ana", ["analyst"])
    page = client.get(reverse("analysis:campaigns"))
    assert page.status_code == 200 and "週次分析" in page.content.decode()
    detail = client.get(reverse("analysis:campaign", args=[campaign.pk])).content.decode()
    assert 'data-system="AAA"' in detail and 'data-system="BBB"' in detail
    system = client.get(reverse("analysis:system", args=[campaign.pk, "AAA"]))
    assert system.status_code == 200 and "顧客情報システム" in system.content.decode()
    assert AuditEvent.objects.filter(action="view", target_ref=f"{campaign.pk}/AAA", actor="ana").exists()
    chart = client.get(reverse("analysis:chart", args=[campaign.pk, "AAA", "hourly"]))
    assert chart["Content-Type"] == "image/png" and chart.content[:8] == b"\x89PNG\r\n\x1a\n"
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("json", b"{")):
        response = client.get(reverse("analysis:campaign", args=[campaign.pk]), {"format": fmt})
        assert response.status_code == 200 and response.content.startswith(magic), fmt
    # Creating a campaign from the page.
    create_login("chief", PASSWORD, ["conduct_officer"])
    created = client.post(reverse("analysis:campaigns"), {"name": "手動", "start": "2026-10-19", "end": "2026-10-26",
                                                          "reviewer": "ana", "approver": "chief"})  # fmt: skip
    assert created.status_code == 302
    manual = Campaign.objects.filter(name="手動").get()
    assert sorted(manual.systems.values_list("reviewer", "approver")) == [("ana", "chief"), ("ana", "chief")]
    refused = client.post(reverse("analysis:campaigns"), {"name": "x", "start": "2026-10-19", "end": "2026-10-26",
                                                          "reviewer": "nobody"}, follow=True)  # fmt: skip
    assert "nobody" in refused.content.decode() and not Campaign.objects.filter(name="x").exists()


def test_system_owner_sees_and_signs_only_their_system(client: Client, campaign: Campaign) -> None:
    owner = _client(client, "own", ["system_owner"], systems=["AAA"])
    detail = owner.get(reverse("analysis:campaign", args=[campaign.pk])).content.decode()
    assert 'data-system="AAA"' in detail and 'data-system="BBB"' not in detail
    assert owner.get(reverse("analysis:system", args=[campaign.pk, "BBB"])).status_code == 404
    assert owner.get(reverse("analysis:campaign", args=[campaign.pk]), {"format": "pdf"}).status_code == 403
    owner.post(reverse("analysis:sign", args=[campaign.pk, "AAA"]), {"step": "review", "note": "確認済"})
    assert (
        owner.post(reverse("analysis:sign", args=[campaign.pk, "BBB"]), {"step": "review"}).status_code == 404
    )
    aaa = CampaignSystem.objects.get(campaign=campaign, system__code="AAA")
    assert aaa.reviewed_by == "own" and aaa.review_note == "確認済"
    officer = _client(Client(), "chief", ["conduct_officer"])
    officer.post(reverse("analysis:sign", args=[campaign.pk, "AAA"]), {"step": "approve"})
    aaa.refresh_from_db()
    assert aaa.approved_by == "chief"


def test_roles_without_rights_are_refused(client: Client, campaign: Campaign) -> None:
    auditor = _client(client, "aud", ["auditor"])
    assert auditor.get(reverse("analysis:campaign", args=[campaign.pk])).status_code == 200
    assert (
        auditor.post(reverse("analysis:sign", args=[campaign.pk, "AAA"]), {"step": "review"}).status_code
        == 403
    )
    assert auditor.post(reverse("analysis:run", args=[campaign.pk])).status_code == 403
    OrgUnit.objects.create(code="U1")
    manager = _client(Client(), "mgr", ["line_manager"], units=["U1"])
    assert manager.get(reverse("analysis:campaigns")).status_code == 403


def test_findings_are_tracked_to_closure(client: Client, campaign: Campaign) -> None:
    ana = _client(client, "ana", ["analyst"])
    ana.post(reverse("analysis:finding_add", args=[campaign.pk, "BBB"]),
             {"title": "共用IDの棚卸し", "owner": "託送部", "due_on": "2026-12-25"})  # fmt: skip
    cs = CampaignSystem.objects.get(campaign=campaign, system__code="BBB")
    finding = cs.findings.get(title="共用IDの棚卸し")
    assert finding.owner == "託送部" and finding.due_on == dt.date(2026, 12, 25)
    ana.post(reverse("analysis:finding_close", args=[finding.pk]), {"resolution": "共用ID廃止済"})
    finding.refresh_from_db()
    assert (
        finding.status == FindingStatus.CLOSED
        and finding.closed_by == "ana"
        and finding.resolution == "共用ID廃止済"
    )
    steps = AuditEvent.objects.filter(target_type="analysis.finding", target_ref=str(finding.pk)).values_list(
        "action", flat=True
    )
    assert sorted(steps) == ["change", "create"]

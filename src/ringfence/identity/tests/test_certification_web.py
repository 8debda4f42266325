"""An access review end to end through the web: the office opens it, a line manager keeps and revokes, the
revocation becomes a finding for the system owner, the dashboard shows completion by unit, reminders
escalate, and a later reconciliation closes the revocation once the account is disabled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client

from ringfence.authz.services import create_login
from ringfence.identity.models import (
    CertificationCampaign,
    CertificationItem,
    Decision,
    Finding,
    FindingStatus,
)
from ringfence.identity.services.certification import remind_and_escalate
from ringfence.identity.services.reconcile import reconcile
from ringfence.registry.models import OrgUnit, SystemVersion
from ringfence.registry.services.systems import disable_account

from .conftest import snapshot_of

PASSWORD = "Correct-Horse-Battery-9"


def _client(username: str, roles: list[str], **scope) -> Client:
    user = create_login(username, PASSWORD, roles, **scope)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_access_review_runs_end_to_end_through_the_web(demo_registry: Path, mailoutbox) -> None:
    snapshot = snapshot_of(demo_registry)
    office = _client("office", ["conduct_officer"])
    response = office.post(
        "/identity/reviews/",
        {"name": "2026年度下期 アクセス権棚卸し", "due_on": "2026-12-01", "systems": ["CIS", "CALL"]},
    )
    assert response.status_code == 302
    campaign = CertificationCampaign.objects.get()
    assert response["Location"] == f"/identity/reviews/{campaign.pk}/"
    assert campaign.items.count() > 20
    assert set(campaign.items.values_list("system__code", flat=True)) == {"CIS", "CALL"}
    # No one reviews their own accounts.
    assert not campaign.items.filter(reviewer_id=models_f("subject_id")).exists()

    # A branch manager sees only the staff of the branch and the offices below it.
    branch = OrgUnit.objects.get(code="B100")
    manager = _client("branch-manager", ["line_manager"], units=["B100"])
    page = manager.get(f"/identity/reviews/{campaign.pk}/items/?show=all")
    assert page.status_code == 200
    shown = list(page.context["rows"])
    assert shown and all(i.unit.code == "B100" or i.unit.code.startswith("B1") for i, _n, _m in shown)
    mine = [i for i, _name, may in shown if may]
    assert len(mine) >= 2
    keep, revoke = mine[0], mine[1]

    assert manager.post(f"/identity/reviews/items/{keep.pk}/decide/", {"decision": "keep"}).status_code == 302
    # A revocation without a reason is refused and changes nothing.
    manager.post(f"/identity/reviews/items/{revoke.pk}/decide/", {"decision": "revoke", "reason": " "})
    revoke.refresh_from_db()
    assert revoke.decision == Decision.PENDING
    manager.post(
        f"/identity/reviews/items/{revoke.pk}/decide/", {"decision": "revoke", "reason": "異動済みのため不要"}
    )
    keep.refresh_from_db()
    revoke.refresh_from_db()
    assert keep.decision == Decision.KEEP and keep.decided_by == "branch-manager"
    assert revoke.decision == Decision.REVOKE and revoke.finding is not None
    finding = revoke.finding
    owner_unit = SystemVersion.objects.as_of(snapshot).get(entity=revoke.system).owner_unit_id
    assert finding.kind == "revocation_requested" and finding.status == FindingStatus.OPEN
    assert finding.owner_unit_id == owner_unit and finding.account_id == revoke.account_id

    # Items of other units are not theirs to decide.
    elsewhere = campaign.items.exclude(unit__code__startswith="B1").exclude(unit=branch).first()
    assert elsewhere is not None
    refused = manager.post(f"/identity/reviews/items/{elsewhere.pk}/decide/", {"decision": "keep"})
    assert refused.status_code == 403
    elsewhere.refresh_from_db()
    assert elsewhere.decision == Decision.PENDING
    # Staff no line manager answers for (affiliate staff without a unit, the top managers' own accounts)
    # are the office's to review.
    unowned = campaign.items.filter(reviewer__isnull=True, unit__code="B100").first()
    assert unowned is not None  # the branch manager's own account: nobody above B100 manages
    assert campaign.items.filter(reviewer__isnull=True, unit__isnull=True).exists()
    assert (
        manager.post(f"/identity/reviews/items/{unowned.pk}/decide/", {"decision": "keep"}).status_code == 403
    )
    office.post(
        f"/identity/reviews/items/{unowned.pk}/decide/", {"decision": "revoke", "reason": "関係会社社員"}
    )
    unowned.refresh_from_db()
    assert unowned.decision == Decision.REVOKE and unowned.decided_by == "office"
    # Auditors read everything and decide nothing.
    auditor = _client("auditor", ["auditor"])
    assert auditor.get(f"/identity/reviews/{campaign.pk}/items/").status_code == 200
    assert (
        auditor.post(f"/identity/reviews/items/{elsewhere.pk}/decide/", {"decision": "keep"}).status_code
        == 403
    )

    # The dashboard shows completion by unit.
    dashboard = office.get(f"/identity/reviews/{campaign.pk}/")
    assert dashboard.status_code == 200
    rows = {c.unit_code: c for c in dashboard.context["completion"]}
    unit_rows = [rows[code] for code in {keep.unit.code, revoke.unit.code}]
    assert sum(r.decided for r in unit_rows) == 2 and sum(r.revoked for r in unit_rows) == 1
    assert dashboard.context["decided"] == 3
    assert dashboard.context["total"] == campaign.items.count()
    assert f'data-unit="{revoke.unit.code}"' in dashboard.content.decode()
    filed = office.get(f"/identity/reviews/{campaign.pk}/?format=pdf")
    assert filed["Content-Type"] == "application/pdf" and filed.content.startswith(b"%PDF-")
    sheet = office.get(f"/identity/reviews/{campaign.pk}/?format=xlsx")
    import io

    from openpyxl import load_workbook

    accounts = load_workbook(io.BytesIO(sheet.content)).worksheets[1]
    assert accounts.max_row == campaign.items.count() + 1
    decisions = {row[7] for row in accounts.iter_rows(min_row=2, values_only=True)}
    assert decisions == {"keep", "revoke", "pending"}
    # Staff without a unit appear as their own row of the dashboard.
    assert 'data-unit="—"' in dashboard.content.decode()
    # The system owner sees the revocation among their findings.
    system_owner = _client("cis-owner", ["system_owner"], systems=[revoke.system.code])
    listing = system_owner.get(f"/identity/findings/?kind=revocation_requested&system={revoke.system.code}")
    assert finding in list(listing.context["page"])

    # Overdue: a reminder round escalates pending items to the manager above and mails people.
    outcome = remind_and_escalate(
        campaign, today=campaign.due_on + dt.timedelta(days=campaign.escalate_after_days + 1)
    )
    pending = campaign.items.filter(decision=Decision.PENDING)
    assert outcome.reminded == pending.count()
    assert outcome.escalated > 0 and outcome.mails == len(mailoutbox) > 0
    escalated = CertificationItem.objects.filter(campaign=campaign, escalated_to__isnull=False).first()
    assert escalated is not None and escalated.escalated_to_id != escalated.reviewer_id
    again = remind_and_escalate(
        campaign, today=campaign.due_on + dt.timedelta(days=campaign.escalate_after_days + 1)
    )
    assert again.reminded == 0 and again.mails == 0

    # The revocation closes only when a later reconciliation sees the account disabled.
    reconcile(systems=[revoke.system.code], as_of=snapshot, actor="test")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.OPEN
    later = snapshot + dt.timedelta(days=2)
    disable_account(
        revoke.system.code, revoke.account.account_id, effective=later - dt.timedelta(days=1), actor="owner"
    )
    reconcile(systems=[revoke.system.code], as_of=later, actor="test")
    assert Finding.objects.get(pk=finding.pk).status == FindingStatus.RESOLVED


def models_f(name: str):
    from django.db.models import F

    return F(name)

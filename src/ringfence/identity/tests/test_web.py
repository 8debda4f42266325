"""The ID-governance pages per role: system owners upload and work findings, others read or are refused."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from ringfence.audit.models import AuditEvent
from ringfence.authz.services import create_login
from ringfence.identity.models import Finding, FindingNote, FindingStatus, UploadedAccountList
from ringfence.identity.services.reconcile import reconcile
from ringfence.identity.tasks import reconcile_if_imported
from ringfence.registry import services as registry

PASSWORD = "Correct-Horse-Battery-9"


def _client(username: str, roles: list[str], **scope) -> Client:
    client = Client()
    client.force_login(create_login(username, PASSWORD, roles, **scope))
    return client


LIST = (
    "system_code,account_id,owner_employee_number,kind,status,privilege\n"
    "CIS,1000001,1000001,personal,enabled,update\n"
    "CIS,1000002,1000002,personal,enabled,update\n"
    "CIS,1000003,1000003,personal,disabled,update\n"
    "CIS,a000001,A000001,personal,enabled,view\n"
    "CIS,cis_kyoyo01,1000001,shared,enabled,update\n"
)


@pytest.mark.django_db
def test_system_owner_uploads_works_findings_and_exports(small_registry: dt.datetime) -> None:
    reconcile(as_of=small_registry, actor="test")
    owner = _client("cis-owner", ["system_owner"], systems=["CIS"])
    home = owner.get("/identity/")
    assert home.status_code == 200 and home.context["open_total"] == 4

    listing = owner.get("/identity/findings/?system=CIS")
    assert listing.status_code == 200 and listing.context["page"].paginator.count == 4
    assert AuditEvent.objects.filter(
        action="view", target_type="identity.findings", actor="cis-owner"
    ).exists()
    finding = Finding.objects.get(account__account_id="1000003")
    assert (
        owner.post(f"/identity/findings/{finding.pk}/", {"text": "人事に退職日を確認中"}).status_code == 302
    )
    assert FindingNote.objects.get(finding=finding).author == "cis-owner"
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN  # a note never closes a finding

    export = owner.get("/identity/findings/?system=CIS&format=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    assert sheet.max_row == 5 and {sheet.cell(r, 2).value for r in range(2, 6)} >= {"1000003", "a000001"}

    report = owner.get("/identity/findings/?system=CIS&format=pdf")
    assert report["Content-Type"] == "application/pdf" and report.content.startswith(b"%PDF-")
    assert b"HeiseiKakuGo-W5" in report.content and report.content.count(b"/Type /Page\n") >= 1
    assert AuditEvent.objects.filter(
        action="export", target_type="identity.findings", target_ref="pdf"
    ).exists()

    upload = SimpleUploadedFile("CIS_accounts.csv", LIST.encode("utf-8"), content_type="text/csv")
    response = owner.post("/identity/upload/", {"system": "CIS", "as_of": "2026-10-20", "file": upload})
    assert response.status_code == 302 and response["Location"] == "/identity/findings/?system=CIS"
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED
    evidence = UploadedAccountList.objects.get()
    assert evidence.file_name == "CIS_accounts.csv" and evidence.rows == 5 and evidence.run is not None
    runs = owner.get("/identity/runs/")
    assert runs.status_code == 200 and len(runs.context["runs"]) == 2


@pytest.mark.django_db
def test_refusals_by_role_and_scope(small_registry: dt.datetime) -> None:
    reconcile(as_of=small_registry, actor="test")
    registry.catalogue_system(
        "TAKUSO", name_ja="託送業務システム", effective=dt.date(2020, 4, 1), actor="test"
    )
    finding = Finding.objects.filter(system__code="CIS").first()
    assert finding is not None
    other_owner = _client("takuso-owner", ["system_owner"], systems=["TAKUSO"])
    assert other_owner.get(f"/identity/findings/{finding.pk}/").status_code == 404
    assert other_owner.get("/identity/findings/").context["page"].paginator.count == 0
    upload = SimpleUploadedFile("cis.csv", LIST.encode("utf-8"), content_type="text/csv")
    refused = other_owner.post("/identity/upload/", {"system": "CIS", "file": upload})
    assert refused.status_code == 400
    # A TAKUSO owner uploading a file that lists CIS accounts under TAKUSO is refused whole.
    wrong = SimpleUploadedFile("takuso.csv", LIST.encode("utf-8"), content_type="text/csv")
    response = other_owner.post("/identity/upload/", {"system": "TAKUSO", "file": wrong})
    assert response.status_code == 400 and "CIS" in " ".join(response.context["problems"])
    assert not UploadedAccountList.objects.exists()

    manager = _client("manager", ["line_manager"], units=["B100"])
    assert manager.get("/identity/upload/").status_code == 403
    assert manager.post(f"/identity/findings/{finding.pk}/", {"text": "x"}).status_code in (403, 404)
    auditor = _client("auditor", ["auditor"])
    assert auditor.get(f"/identity/findings/{finding.pk}/").status_code == 200
    assert auditor.post(f"/identity/findings/{finding.pk}/", {"text": "x"}).status_code == 403
    assert (
        auditor.post(
            "/identity/reviews/", {"name": "x", "due_on": "2026-12-01", "systems": ["CIS"]}
        ).status_code
        == 403
    )
    assert not FindingNote.objects.exists()
    anonymous = Client()
    assert anonymous.get("/identity/").status_code == 302


@pytest.mark.django_db
def test_office_pages_for_password_change_and_auth_checks(small_registry: dt.datetime) -> None:
    office = _client("office", ["conduct_officer"])
    manager = _client("manager", ["line_manager"], units=["B100"])
    for path in ("/identity/", "/identity/reviews/", "/identity/passwords/", "/identity/auth-checks/",
                 "/identity/runs/", "/identity/auth-checks/CIS/"):  # fmt: skip
        page = office.get(path)
        assert page.status_code == 200, path
        assert 'href="/identity/reviews/"' in page.content.decode()  # the section's navigation
        assert manager.get(path).status_code == 200, path
    # Only the office is offered the forms that open campaigns.
    assert 'name="due_on"' in office.get("/identity/reviews/").content.decode()
    assert 'name="due_on"' not in manager.get("/identity/reviews/").content.decode()
    response = office.post("/identity/passwords/", {"name": "一斉変更", "starts_on": "2026-10-01",
                                                    "deadline": "2026-10-31", "systems": ["CIS"]})  # fmt: skip
    assert response.status_code == 302
    page = office.get(response["Location"])
    assert page.status_code == 200 and page.context["missing"] == 4  # compliance as of now
    xlsx = office.get(response["Location"] + "?format=xlsx")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.worksheets[1].max_row == 5
    report = office.get(response["Location"] + "?format=pdf")
    assert report["Content-Type"] == "application/pdf" and report.content.startswith(b"%PDF-")

    owner = _client("cis-owner", ["system_owner"], systems=["CIS"])
    form = {f"{item}-result": "met" for item in ("personal_ids", "password_policy", "lockout", "two_factor",
                                                  "session_timeout", "log_output")}  # fmt: skip
    form["two_factor-result"] = "partial"
    bad = owner.post("/identity/auth-checks/CIS/", form)
    assert bad.status_code == 400 and any("two_factor" in p for p in bad.context["problems"])
    form["two_factor-evidence"] = "管理者のみ導入済み"
    assert owner.post("/identity/auth-checks/CIS/", form).status_code == 302
    listing = office.get("/identity/auth-checks/")
    (row,) = listing.context["rows"]
    assert row.review is not None and row.gaps == ("two_factor",) and not row.overdue
    assert _client("auditor", ["auditor"]).post("/identity/auth-checks/CIS/", form).status_code == 403


@pytest.mark.django_db
def test_any_account_import_is_followed_by_a_reconciliation(small_registry: dt.datetime, tmp_path) -> None:
    from ringfence.registry.imports import import_table

    assert reconcile_if_imported() is None  # nothing imported yet
    path = tmp_path / "accounts.csv"
    path.write_text(LIST, encoding="utf-8")
    import_table("accounts", path, as_of=dt.date(2026, 10, 20))
    result = reconcile_if_imported()
    assert result is not None and result.run.trigger == "import"
    assert reconcile_if_imported() is None  # already reconciled since that import

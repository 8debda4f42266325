"""``ringfence reconcile`` and ``ringfence campaign`` through the click runner."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringfence.audit.models import AuditEvent
from ringfence.cli.main import cli
from ringfence.identity.models import Finding, FindingStatus, ReconciliationRun

EXPECTED = {
    ("CIS", "1000003", "owner_retired"),
    ("CIS", "a000001", "affiliate_owner"),
    ("CIS", "cis_kyoyo01", "shared_id"),
    ("CIS", "cis_kyoyo01", "password_never_changed"),
}


def _run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


@pytest.mark.django_db
def test_reconcile_prints_json_and_csv(small_registry: dt.datetime, tmp_path: Path) -> None:
    result = _run("reconcile", "--as-of", "2026-10-19", "--format", "json")
    data = json.loads(result.output)
    assert data["accounts"] == 5 and data["systems"] == ["CIS"] and data["opened"] == 4
    assert {(f["system"], f["account_id"], f["kind"]) for f in data["findings"]} == EXPECTED
    assert AuditEvent.objects.filter(action="export", target_type="identity.findings").count() == 1

    out = tmp_path / "findings.csv"
    _run("reconcile", "--system", "CIS", "--as-of", "2026-10-19", "--format", "csv", "-o", str(out))
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {(r["system"], r["account_id"], r["kind"]) for r in rows} == EXPECTED
    # The second run saw the same problems: nothing new opened, nothing resolved.
    second = ReconciliationRun.objects.order_by("-started_at").first()
    assert second is not None and (second.opened, second.kept_open, second.resolved) == (0, 4, 0)

    text = _run("reconcile", "--as-of", "2026-10-19").output
    assert "findings opened 0, still open 4, resolved 0" in text


@pytest.mark.django_db
def test_reconcile_with_import_closes_what_the_list_fixes(
    small_registry: dt.datetime, tmp_path: Path
) -> None:
    _run("reconcile", "--as-of", "2026-10-19", "--format", "json")
    listing = tmp_path / "cis.csv"
    listing.write_text(
        "system_code,account_id,owner_employee_number,kind,status,privilege,password_changed_at\n"
        "CIS,1000001,1000001,personal,enabled,update,2026-10-05\n"
        "CIS,1000002,1000002,personal,enabled,update,2026-09-01\n"
        "CIS,1000003,1000003,personal,disabled,update,\n"
        "CIS,cis_kyoyo01,1000001,shared,enabled,update,2026-10-20\n",
        encoding="utf-8",
    )
    result = _run(
        "reconcile", "--import", str(listing), "--system", "CIS", "--as-of", "2026-10-20", "--format", "json"
    )
    data = json.loads(result.output)
    # 1000003 disabled and a000001 missing from a full list (deleted) close as gone; the shared ID's
    # password now changed closes as fixed, while the shared ID itself stays a finding.
    assert data["resolved"] == 3 and data["opened"] == 0
    assert {(f["account_id"], f["kind"]) for f in data["findings"]} == {("cis_kyoyo01", "shared_id")}
    assert data["open_by_system"] == {"CIS": 1}
    resolutions = dict(
        Finding.objects.filter(status=FindingStatus.RESOLVED).values_list("account__account_id", "resolution")
    )
    assert resolutions == {
        "1000003": "account disabled or deleted",
        "a000001": "account disabled or deleted",
        "cis_kyoyo01": "problem no longer seen",
    }


@pytest.mark.django_db
def test_unknown_system_is_a_one_line_error(small_registry: dt.datetime) -> None:
    result = CliRunner().invoke(cli, ["reconcile", "--system", "NOPE"])
    assert result.exit_code != 0 and "NOPE" in str(result.exception)
    assert ReconciliationRun.objects.count() == 0


@pytest.mark.django_db
def test_password_campaign_commands(small_registry: dt.datetime, tmp_path: Path) -> None:
    out = _run(
        "campaign",
        "password",
        "全社一斉変更",
        "--system",
        "CIS",
        "--from",
        "2026-10-01",
        "--deadline",
        "2026-10-31",
    ).output
    campaign_id = out.split()[2]
    text = _run("campaign", "password-report", campaign_id, "--as-of", "2026-10-19").output
    assert "CIS: 1/5 changed (20%)" in text and "not changed in time: 4" in text
    report = json.loads(
        _run("campaign", "password-report", campaign_id, "--as-of", "2026-10-19", "--format", "json").output
    )
    assert {r["account_id"] for r in report["not_changed"]} == {
        "1000002",
        "1000003",
        "a000001",
        "cis_kyoyo01",
    }
    xlsx = tmp_path / "pw.xlsx"
    _run("campaign", "password-report", campaign_id, "--format", "xlsx", "-o", str(xlsx))
    from openpyxl import load_workbook

    pdf = tmp_path / "pw.pdf"
    _run("campaign", "password-report", campaign_id, "--format", "pdf", "-o", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")
    book = load_workbook(xlsx)
    assert book.sheetnames[0] and book.worksheets[0].max_row == 2  # header + CIS


@pytest.mark.django_db
def test_review_campaign_commands(small_registry: dt.datetime) -> None:
    out = _run(
        "campaign", "review", "棚卸し", "--system", "CIS", "--due", "2099-12-31", "--as-of", "2026-10-19"
    ).output
    # Personal accounts only, with an owner: 1000001, 1000002, 1000003, a000001.
    assert "4 accounts" in out
    campaign_id = out.split()[2]
    # Not yet due: nobody is reminded.
    assert "reminded 0, escalated 0, mails sent 0" in _run("campaign", "remind", campaign_id).output
    assert "no access review 999" in str(CliRunner().invoke(cli, ["campaign", "remind", "999"]).exception)

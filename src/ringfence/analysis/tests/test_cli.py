"""``ringfence report``: create, run, list, sign, verify and export a campaign without the UI."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ringfence.analysis.models import Campaign, CampaignStatus
from ringfence.authz.services import create_login
from ringfence.cli.report_cmd import report
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.logs.lake import append
from ringfence.logs.tests.test_lake_support import make_events
from ringfence.registry.models import InformationSystem, SystemVersion

pytestmark = pytest.mark.django_db


def _world() -> None:
    system = InformationSystem.objects.create(code="AAA")
    SystemVersion.objects.create(
        entity=system, name_ja="顧客情報システム", valid_from=start_of_day_jst(dt.date(2020, 4, 1))
    )
    rows = [{"system": "AAA", "source": "aaa-log", "source_line": n + 1,
             "time": dt.datetime(2026, 10, 19 + n % 5, 10, n % 60, tzinfo=JST)} for n in range(30)]  # fmt: skip
    append(make_events(rows, source_file="/logs/AAA.log"), origin="AAA", actor="test")


def test_report_commands_end_to_end(data_dir: Path, tmp_path: Path) -> None:
    _world()
    create_login("rev", "pw-rev-123456", ["analyst"])
    create_login("boss", "pw-boss-123456", ["conduct_officer"])
    runner = CliRunner()
    created = runner.invoke(report, ["create", "--name", "CLI分析", "--from", "2026-10-19", "--system", "AAA",
                                     "--reviewer", "AAA=rev", "--approver", "*=boss"])  # fmt: skip
    assert created.exit_code == 0, created.output
    campaign_id = int(re.search(r"campaign (\d+)", created.output).group(1))  # type: ignore[union-attr]
    campaign = Campaign.objects.get(pk=campaign_id)
    assert campaign.end - campaign.start == dt.timedelta(days=7)
    assert campaign.systems.get().reviewer == "rev" and campaign.systems.get().approver == "boss"

    ran = runner.invoke(report, ["run", str(campaign_id), "--no-detect"])
    assert ran.exit_code == 0, ran.output
    assert re.search(r"^AAA\tnot_functioning\trights_not_as_entitled$", ran.output, re.M)  # accounts unknown
    listed = runner.invoke(report, ["list"])
    assert f"{campaign_id}\tperiodic\t2026-10-19..2026-10-26\tcomputed" in listed.output

    # Signing checks the named login: the approver cannot sign before the review; then both sign.
    early = runner.invoke(
        report, ["sign", str(campaign_id), "--system", "AAA", "--as", "approve", "--user", "boss"]
    )
    assert isinstance(early.exception, RingfenceError) and "not been reviewed" in str(early.exception)
    assert (
        runner.invoke(
            report, ["sign", str(campaign_id), "--system", "all", "--as", "review", "--user", "rev"]
        ).exit_code
        == 0
    )
    approved = runner.invoke(
        report, ["sign", str(campaign_id), "--system", "AAA", "--as", "approve", "--user", "boss"]
    )
    assert approved.exit_code == 0 and "approved and frozen" in approved.output
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED

    verified = runner.invoke(report, ["verify", str(campaign_id)])
    assert verified.exit_code == 0 and json.loads(verified.output)["identical"] is True

    out = tmp_path / "report.json"
    assert (
        runner.invoke(report, ["export", str(campaign_id), "--format", "json", "--out", str(out)]).exit_code
        == 0
    )
    exported = json.loads(out.read_text("utf-8"))
    assert exported["frozen"] is True and exported["report_sha256"] == campaign.report_sha256
    assert exported["report"]["systems"][0]["approved_by"] == "boss"

    finding = runner.invoke(report, ["finding", str(campaign_id), "--system", "AAA", "--title", "台帳にないID",
                                     "--owner", "rev", "--due", "2026-12-31"])  # fmt: skip
    finding_id = int(finding.output.split()[1])
    closed = runner.invoke(report, ["close-finding", str(finding_id), "--resolution", "台帳に登録"])
    assert closed.exit_code == 0, closed.output


def test_bad_arguments_are_named(data_dir: Path) -> None:
    _world()
    runner = CliRunner()
    bad = runner.invoke(report, ["create", "--name", "x", "--from", "2026-10-19", "--reviewer", "AAA"])
    assert bad.exit_code == 2 and "--reviewer 'AAA': expected SYSTEM=LOGIN" in bad.output
    unknown = runner.invoke(report, ["create", "--name", "x", "--from", "2026-10-19", "--system", "NOPE"])
    assert isinstance(unknown.exception, RingfenceError) and "NOPE" in str(unknown.exception)
    nobody = runner.invoke(report, ["create", "--name", "x", "--from", "2026-10-19", "--reviewer", "*=ghost"])
    assert isinstance(nobody.exception, RingfenceError) and "ghost" in str(nobody.exception)
    assert runner.invoke(report, ["create", "--name", "x", "--from", "19.10.2026"]).exit_code == 2

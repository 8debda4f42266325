"""Stored log-source definitions through the web pages, the ``sources`` command and ingest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditEvent
from ringfence.authz.services import create_login
from ringfence.cli.main import cli
from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.temporal import apply_change
from ringfence.logs.definitions.models import StoredSource, StoredSourceVersion
from ringfence.logs.definitions.selectors import stored_definitions
from ringfence.logs.definitions.services import parse_definition_text, preview_lines
from ringfence.logs.lake.query import connect
from ringfence.registry.models import OrgUnit, OrgUnitVersion

PASSWORD = "correct horse battery staple"
CIS = """id = "cis-access"
system = "CIS"
format = "csv"
time_format = ["%Y/%m/%d %H:%M:%S"]
strict_values = true
required = ["account"]

[fields]
"日時" = "time"
"利用者ID" = "account"
"操作区分" = "activity"
"対象ID" = "record_ids"
"結果" = "outcome"

[values."操作区分"]
"照会" = "view"
"CSV出力" = "export"

[values."結果"]
"成功" = "success"
"権限エラー" = "denied"
"""
SAMPLE = "日時,利用者ID,操作区分,対象ID,結果\n2026/10/12 09:00:00,U001,照会,0300111122223333444455,成功\n2026/10/12 09:05:00,U002,閲覧,0300111122223333444466,成功\n"


def _problems(text: str) -> list[InputProblem]:
    with translation.override("ja"), pytest.raises(BadInput) as caught:
        parse_definition_text(text, file="<new>")
    return list(caught.value.problems)


def _login(client: Client, name: str, role: str) -> Client:
    if role == "line_manager":
        unit = OrgUnit.objects.create(code="B100")
        apply_change(OrgUnitVersion, {"entity": unit}, {"name": "配電部", "kind": "department"},
                     dt.datetime(2020, 1, 1, tzinfo=dt.UTC))  # fmt: skip
        create_login(name, PASSWORD, [role], units=["B100"])
    else:
        create_login(name, PASSWORD, [role])
    assert client.login(username=name, password=PASSWORD)
    return client


def _save(client: Client, text: str, source_id: str | None = None, **extra: str) -> Any:
    url = reverse("logs:definition_edit", args=[source_id]) if source_id else reverse("logs:definition_new")
    return client.post(url, {"toml": text, "action": "save", **extra})


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["analyst", "line_manager", "auditor"])
def test_roles_without_sources_manage_cannot_change_definitions_and_are_recorded(
    client: Client, role: str
) -> None:
    _login(client, "u1", role)
    reads = 200 if role != "line_manager" else 403
    assert client.get(reverse("logs:definitions")).status_code == reads
    response = _save(client, CIS)
    assert response.status_code == 403
    assert not StoredSource.objects.exists()
    denied = AuditEvent.objects.filter(action="denied", actor="u1").values_list("detail", flat=True)
    assert any(d.get("permission") == "sources.manage" for d in denied), list(denied)
    upload = SimpleUploadedFile("cis.toml", CIS.encode())
    assert client.post(reverse("logs:definition_upload"), {"file": upload}).status_code == 403
    assert not StoredSource.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "conduct_officer"])
def test_officer_and_admin_create_a_definition_that_is_audited(client: Client, role: str) -> None:
    _login(client, "boss", role)
    response = _save(client, CIS, reason="初回登録")
    assert response.status_code == 302
    source = StoredSource.objects.get(source_id="cis-access")
    assert (source.system, source.format, source.encoding, source.enabled) == ("CIS", "csv", "utf-8", True)
    assert source.current().toml == CIS and source.current().saved_by == "boss"
    event = AuditEvent.objects.get(action="create", target_ref="cis-access")
    assert event.actor == "boss" and event.detail["reason"] == "初回登録"
    page = client.get(response["Location"]).content.decode()
    assert "利用者ID" in page and "CSV出力" in page and "export" in page  # field and value mapping tables


@pytest.mark.django_db
def test_a_bad_definition_shows_every_problem_with_its_key_and_saves_nothing(client: Client) -> None:
    _login(client, "officer", "conduct_officer")
    bad = CIS.replace('"権限エラー" = "denied"', '"権限エラー" = "forbidden"').replace(
        'format = "csv"', 'format = "xls"'
    )
    response = _save(client, bad)
    page = response.content.decode()
    assert response.status_code == 200
    expected = _problems(bad)
    assert {p.field for p in expected} == {"format", "values.結果.権限エラー"}
    for problem in expected:  # every problem with its key, in the page's language
        assert f'<td class="mono">{escape(problem.field)}</td><td>{escape(problem.reason)}</td>' in page
    response = _save(client, 'id = "x"\nsystem = \n')
    assert '<td class="mono">&lt;new&gt;:2</td>' in response.content.decode()
    assert not StoredSource.objects.exists() and not StoredSourceVersion.objects.exists()
    assert not AuditEvent.objects.filter(target_type="log_source_definition").exists()


@pytest.mark.django_db
def test_an_edit_adds_a_version_with_a_diff_and_never_renames(client: Client) -> None:
    _login(client, "officer", "conduct_officer")
    _save(client, CIS)
    changed = CIS.replace('"CSV出力" = "export"', '"CSV出力" = "export"\n"印刷" = "print"')
    assert _save(client, changed, "cis-access", reason="印刷を追加").status_code == 302
    assert _save(client, changed, "cis-access").status_code == 302  # same text: no new version
    numbers = list(StoredSourceVersion.objects.order_by("number").values_list("number", "toml"))
    assert numbers == [(1, CIS), (2, changed)]
    page = client.get(reverse("logs:definition_detail", args=["cis-access"])).content.decode()
    assert "+&quot;印刷&quot; = &quot;print&quot;" in page and "印刷を追加" in page
    assert AuditEvent.objects.filter(action="change", target_ref="cis-access").count() == 1
    renamed = _save(client, changed.replace("cis-access", "cis-2"), "cis-access")
    with translation.override("ja"):
        reason = escape(_("must stay %(id)s") % {"id": "cis-access"})
    assert (
        renamed.status_code == 200
        and f'<td class="mono">id</td><td>{reason}</td>' in renamed.content.decode()
    )
    assert not StoredSource.objects.filter(source_id="cis-2").exists()
    reserved = _save(client, CIS.replace("cis-access", "new"))
    assert reserved.status_code == 200 and not StoredSource.objects.filter(source_id="new").exists()
    old = client.get(reverse("logs:definition_download", args=["cis-access"]) + "?version=1")
    assert old.content.decode() == CIS and 'filename="cis-access.toml"' in old["Content-Disposition"]


@pytest.mark.django_db
def test_sample_lines_show_parsed_fields_and_quarantine_reasons_without_writing(client: Client) -> None:
    _login(client, "officer", "conduct_officer")
    response = client.post(reverse("logs:definition_new"), {"toml": CIS, "sample": SAMPLE, "action": "test"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "U001" in page and "0300111122223333444455" in page and ">view<" in page
    preview = preview_lines(parse_definition_text(CIS), SAMPLE)
    assert [q[0] for q in preview.quarantined] == [3] and [e["account"] for e in preview.events] == ["U001"]
    assert f'<td class="num">3</td><td>{escape(preview.quarantined[0][2])}</td>' in page
    assert "閲覧" in preview.quarantined[0][2]
    assert not StoredSource.objects.exists()
    assert not AuditEvent.objects.filter(target_type="log_source_definition").exists()


@pytest.mark.django_db
def test_disabled_definitions_are_not_used_by_ingest(client: Client) -> None:
    _login(client, "officer", "conduct_officer")
    _save(client, CIS)
    assert set(stored_definitions()) == {"cis-access"}
    client.post(reverse("logs:definition_toggle", args=["cis-access"]), {"enabled": "0"})
    assert stored_definitions() == {} and not StoredSource.objects.get().enabled
    assert AuditEvent.objects.filter(action="change", detail__enabled=False).exists()


@pytest.mark.django_db
def test_export_then_import_round_trips_and_a_bad_file_imports_nothing(
    client: Client, tmp_path: Path
) -> None:
    _login(client, "officer", "conduct_officer")
    upload = SimpleUploadedFile("cis.toml", CIS.encode())
    assert client.post(reverse("logs:definition_upload"), {"file": upload}).status_code == 302
    runner = CliRunner()
    result = runner.invoke(cli, ["sources", "export", str(tmp_path / "out")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    exported = tmp_path / "out" / "cis-access.toml"
    assert exported.read_text(encoding="utf-8") == CIS
    exported.write_text(CIS.replace('"成功" = "success"', '"成功" = "success"\n"失敗" = "failure"'), "utf-8")
    result = runner.invoke(cli, ["sources", "import", str(tmp_path / "out")], catch_exceptions=False)
    assert result.exit_code == 0 and "v2" in result.output
    assert StoredSource.objects.get().current().toml == exported.read_text(encoding="utf-8")
    (tmp_path / "out" / "zz-bad.toml").write_text('id = "bad"\nsystem = "X"\nformat = "nope"\n', "utf-8")
    exported.write_text(CIS, "utf-8")
    with pytest.raises(BadInput) as caught:
        runner.invoke(cli, ["sources", "import", str(tmp_path / "out")], catch_exceptions=False)
    assert [(Path(p.file).name, p.field) for p in caught.value.problems] == [("zz-bad.toml", "format")]
    assert (
        StoredSourceVersion.objects.count() == 2 and not StoredSource.objects.filter(source_id="bad").exists()
    )


def _lake_events(lake: Path) -> list[tuple[str, str, str]]:
    rows = (
        connect(root=lake).execute("SELECT source, account, activity FROM events ORDER BY account").fetchall()
    )
    return [tuple(r) for r in rows]


@pytest.mark.django_db
def test_ingest_reads_with_a_stored_definition_and_the_file_rule_is_applied(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    settings.LAKE_DIR = tmp_path / "lake"
    settings.DATA_DIR = tmp_path
    _login(client, "officer", "conduct_officer")
    _save(client, CIS.replace('"照会" = "view"', '"照会" = "view"\n"閲覧" = "view"'))
    logs = tmp_path / "logs" / "CIS"
    logs.mkdir(parents=True)
    (logs / "access_20261012.csv").write_text(SAMPLE, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(tmp_path / "logs"), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _lake_events(tmp_path / "lake") == [("cis-access", "U001", "view"), ("cis-access", "U002", "view")]
    # The same id as a file in the default folder: an error naming both; nothing read.
    default = tmp_path / "sources"
    default.mkdir()
    (default / "cis.toml").write_text(CIS, encoding="utf-8")
    with pytest.raises(BadInput) as clash:
        runner.invoke(cli, ["ingest", str(tmp_path / "logs")], catch_exceptions=False)
    ((problem),) = clash.value.problems
    assert Path(problem.file) == default / "cis.toml" and "cis-access" in problem.reason
    assert len(_lake_events(tmp_path / "lake")) == 2
    # Named explicitly, the folder's file wins for that run: 閲覧 is unknown to it and is quarantined.
    (logs / "access_20261013.csv").write_text(SAMPLE.replace("2026/10/12", "2026/10/13"), encoding="utf-8")
    result = runner.invoke(cli, ["ingest", str(logs / "access_20261013.csv"), "--sources-dir", str(default),
                                 "--json"], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"quarantined": 1' in result.output and len(_lake_events(tmp_path / "lake")) == 3

"""``ringfence asof`` through the real click command and the real database."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ringfence.audit.models import AuditEvent
from ringfence.cli.asof_cmd import parse_moment
from ringfence.cli.main import main
from ringfence.core.timeutil import JST

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_text_answer_names_owner_unit_path_and_employment(world, capsys):
    code, out, _err = run(capsys, "asof", "CIS", "u001", "2024-03-31 12:00")
    assert code == 0
    assert "E001 送配 太郎" in out
    assert "本店 > 配電部 > 配電計画課" in out
    assert "own_employee" in out and "active" in out


def test_json_answer_after_owner_change(world, capsys):
    code, out, _err = run(capsys, "asof", "CIS", "u001", "2024-09-02", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["state"] == "owned"
    assert data["owner"]["employee_number"] == "E003"
    assert data["owner"]["employment_type"] == "affiliate"
    assert data["owner"]["employer"] == "北電小売"
    assert [u["code"] for u in data["owner"]["unit"]["path"]] == ["HQ", "NORTH", "NSALES"]
    assert data["at"] == "2024-09-02T00:00:00+09:00"


def test_known_at_before_anything_was_recorded(world, capsys):
    code, out, _err = run(capsys, "asof", "CIS", "u001", "2024-09-02", "--known-at", "2000-01-01", "--json")
    assert code == 0
    assert json.loads(out)["state"] == "not_valid"


def test_account_without_owner_and_unknown_account(world, capsys):
    _code, out, _err = run(capsys, "asof", "CIS", "svc01", "2024-01-01")
    assert "no owner" in out
    code, out, _err = run(capsys, "asof", "CIS", "ghost", "2024-01-01")
    assert code == 0 and "no account with this ID" in out


def test_unknown_system_exits_1_with_one_line(world, capsys):
    code, out, err = run(capsys, "asof", "NOPE", "u001", "2024-01-01")
    assert code == 1
    assert out == ""
    assert err.strip() == "ringfence: error: Unknown system NOPE."


def test_bad_moment_is_a_usage_error(world, capsys):
    code, _out, err = run(capsys, "asof", "CIS", "u001", "yesterday-ish")
    assert code == 2
    assert "yesterday-ish" in err


def test_lookup_is_audited_as_a_view(world, capsys):
    run(capsys, "asof", "CIS", "u001", "2024-05-01")
    event = AuditEvent.objects.filter(action="view", target_ref="CIS:u001").get()
    assert event.actor.startswith("cli:")
    assert event.detail["owner"] == "E001" and event.detail["state"] == "owned"


def test_parse_moment_conventions():
    assert parse_moment("2024-04-01").isoformat() == "2024-04-01T00:00:00+09:00"
    assert parse_moment("2024-04-01 09:30").tzinfo == JST
    assert parse_moment("2024-04-01T00:00:00+00:00").utcoffset() == dt.timedelta(0)

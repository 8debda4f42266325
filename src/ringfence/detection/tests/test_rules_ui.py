"""Rule management pages: list, detail, enable/disable and tuning with a required reason, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ringfence.audit.models import AuditEvent
from ringfence.authz.services import create_login
from ringfence.detection.engine import load_ruleset
from ringfence.detection.models import RuleSetting

from .engine_support import AFFILIATE, FAILED, WINDOWS, write_rules

pytestmark = pytest.mark.django_db
PASSWORD = "Very-long-passw0rd!"
AFF = "6b1f1c52-0000-4000-8000-000000000001"
BURST = "6b1f1c52-0000-4000-8000-000000000003"
WIN = "6b1f1c52-0000-4000-8000-000000000004"


@pytest.fixture
def user_rules(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return write_rules(tmp_path / "rules", affiliate=AFFILIATE, failed=FAILED, windows=WINDOWS)


def _client(role: str) -> Client:
    client = Client()
    until = timezone.now() + dt.timedelta(days=1) if role == "external_reviewer" else None
    create_login(f"u_{role}", PASSWORD, [role], valid_until=until)
    assert client.login(username=f"u_{role}", password=PASSWORD)
    client.cookies["django_language"] = "en"  # assertions read the English texts
    return client


def test_list_shows_pack_and_user_rules_with_their_state(user_rules: Path) -> None:
    page = _client("auditor").get(reverse("detection:rules"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "特定関係事業者の社員によるアクセス" in html or "Affiliate staff on a T&amp;D system" in html
    assert "inactive: fields missing (CommandLine)" in html
    builtin = load_ruleset(include_user=False, with_settings=False, placeholders={}, strict=False)
    assert all(reverse("detection:rule", args=[rid]) in html for rid in builtin.meta)
    only_user = _client("analyst").get(reverse("detection:rules"), {"origin": "user"}, HTTP_HX_REQUEST="true")
    rows = only_user.content.decode()
    assert "<html" not in rows and rows.count("<tr>") == 4  # affiliate, failed, burst, windows


def test_detail_shows_yaml_titles_and_false_positives(user_rules: Path) -> None:
    html = _client("auditor").get(reverse("detection:rule", args=[AFF])).content.decode()
    assert "特定関係事業者の社員によるアクセス" in html and "Affiliate staff on a T&amp;D system" in html
    assert "person_employment_type: affiliate" in html  # the YAML
    assert 'id="setting-form"' not in html  # auditors cannot change rules
    assert _client("auditor").get(reverse("detection:rule", args=["nope"])).status_code == 404


def test_roles_without_rules_permissions_are_refused(user_rules: Path) -> None:
    assert _client("external_reviewer").get(reverse("detection:rules")).status_code == 403
    refused = _client("auditor").post(
        reverse("detection:rule_setting", args=[AFF]), {"enabled": "0", "reason": "x"}
    )
    assert refused.status_code == 403
    assert not RuleSetting.objects.exists()


def test_disabling_needs_a_reason_and_is_versioned_and_audited(user_rules: Path) -> None:
    client = _client("analyst")
    url = reverse("detection:rule_setting", args=[AFF])
    refused = client.post(url, {"enabled": "0", "reason": "  "})
    assert refused.status_code == 400 and "a reason is required" in refused.content.decode()
    assert not RuleSetting.objects.exists()
    done = client.post(url, {"enabled": "0", "reason": "migration week noise"})
    assert done.status_code == 302
    setting = RuleSetting.objects.get(rule_id=AFF)
    assert (setting.version, setting.enabled, setting.changed_by) == (1, False, "u_analyst")
    audit = AuditEvent.objects.get(target_type="detection.rule", target_ref=AFF)
    assert audit.detail["enabled"] is False and audit.detail["reason"] == "migration week noise"
    assert AFF not in load_ruleset(rules_dir=user_rules, include_builtin=False, placeholders={}).alerting
    listing = client.get(reverse("detection:rules"), {"q": "t_affiliate"}).content.decode()
    assert "Disabled" in listing or "無効" in listing


def test_tuning_a_correlation_through_htmx_returns_the_settings_block(user_rules: Path) -> None:
    client = _client("conduct_officer")
    url = reverse("detection:rule_setting", args=[BURST])
    bad = client.post(url, {"enabled": "1", "threshold": "many", "reason": "x"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and "threshold" in bad.content.decode()
    response = client.post(url, {"enabled": "1", "threshold": "7", "timespan": "1h", "reason": "too noisy"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="setting-history"' in html
    assert '<span class="mono" id="threshold">7.0</span>' in html and "too noisy" in html
    meta = load_ruleset(rules_dir=user_rules, include_builtin=False, placeholders={}).meta[BURST]
    assert (meta.threshold, meta.timespan) == (7, "1h")
    client.post(url, {"enabled": "1", "reset": "1", "reason": "back to defaults"})
    meta = load_ruleset(rules_dir=user_rules, include_builtin=False, placeholders={}).meta[BURST]
    assert (meta.threshold, meta.timespan) == (3, "10m")
    assert RuleSetting.objects.filter(rule_id=BURST).count() == 2

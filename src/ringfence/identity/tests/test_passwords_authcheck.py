"""Password-change compliance from exported dates, and the authentication-function checklist."""

from __future__ import annotations

import datetime as dt

import pytest

from ringfence.audit.models import AuditEvent
from ringfence.core.errors import BadInput, RingfenceError
from ringfence.identity.models import AuthCheckItem
from ringfence.identity.services.authcheck import check_status, record_review
from ringfence.identity.services.passwords import PasswordState, create_password_campaign, password_compliance
from ringfence.registry.models import InformationSystem


@pytest.mark.django_db
def test_compliance_per_account_from_exported_dates(small_registry: dt.datetime) -> None:
    campaign = create_password_campaign(
        "全社パスワード一斉変更",
        ["CIS"],
        starts_on=dt.date(2026, 10, 1),
        deadline=dt.date(2026, 10, 31),
        actor="office",
    )
    report = password_compliance(campaign, at=small_registry)
    states = {a.account_id: a.state for a in report.accounts}
    assert states == {
        "1000001": PasswordState.CHANGED,
        "1000002": PasswordState.NOT_CHANGED,
        # retired but still enabled: it is an active account, so it must change too
        "1000003": PasswordState.NO_DATE,
        "a000001": PasswordState.LATE,
        "cis_kyoyo01": PasswordState.NO_DATE,
    }
    (cis,) = report.systems
    assert cis.total == 5 and cis.counts[PasswordState.CHANGED] == 1 and cis.percent == 20
    assert {a.account_id for a in report.not_changed} == set(states) - {"1000001"}
    assert AuditEvent.objects.filter(target_type="identity.password_campaign").exists()


@pytest.mark.django_db
def test_password_campaign_refuses_bad_input(small_registry: dt.datetime) -> None:
    with pytest.raises(RingfenceError):
        create_password_campaign("x", ["NOPE"], starts_on=dt.date(2026, 10, 1), deadline=dt.date(2026, 10, 31),
                                 actor="office")  # fmt: skip
    with pytest.raises(RingfenceError):
        create_password_campaign("x", ["CIS"], starts_on=dt.date(2026, 10, 31), deadline=dt.date(2026, 10, 1),
                                 actor="office")  # fmt: skip


@pytest.mark.django_db
def test_checklist_review_with_evidence_and_overdue_flag(small_registry: dt.datetime) -> None:
    cis = InformationSystem.objects.get(code="CIS")
    (before,) = check_status(today=dt.date(2026, 10, 19))
    assert before.review is None and before.overdue
    answers = dict.fromkeys(AuthCheckItem.values, ("met", "設定画面の写し 2026-10"))
    answers["two_factor"] = ("not_met", "")
    with pytest.raises(BadInput) as refused:
        record_review(cis, answers, reviewed_on=dt.date(2026, 10, 1), reviewer="cis-owner")
    assert [p.field for p in refused.value.problems] == ["two_factor"]
    answers["two_factor"] = ("not_met", "2027年度に導入予定")
    review = record_review(cis, answers, reviewed_on=dt.date(2026, 10, 1), reviewer="cis-owner")
    assert review.next_review_due == dt.date(2027, 10, 1)
    (now,) = check_status(today=dt.date(2026, 10, 19))
    assert now.review == review and not now.overdue and now.gaps == ("two_factor",)
    (later,) = check_status(today=dt.date(2027, 10, 2))
    assert later.overdue

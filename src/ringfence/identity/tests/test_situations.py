"""The classification rules, case by case and as properties over generated accounts."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from ringfence.identity.situations import (
    AccountFacts,
    FindingKind,
    OwnerFacts,
    Policy,
    Situation,
    classify,
)

DAY = dt.date(2026, 10, 19)
POLICY = Policy()
OWNERSHIP = {
    FindingKind.ORPHANED, FindingKind.OWNER_RETIRED, FindingKind.OWNER_TRANSFERRED_OUT, FindingKind.OWNER_ON_LEAVE,
    FindingKind.AFFILIATE_OWNER, FindingKind.NO_CONTRACT, FindingKind.SHARED_ID, FindingKind.EMERGENCY_EXPIRED,
    FindingKind.NO_ENTITLEMENT, FindingKind.ENTITLEMENT_EXCEEDED, FindingKind.DUPLICATE_ACCOUNTS,
}  # fmt: skip
HYGIENE = {FindingKind.PASSWORD_NEVER_CHANGED, FindingKind.DORMANT}


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def account(**kw) -> AccountFacts:
    base: dict = {
        "account_id": "1000123", "kind": "personal", "status": "enabled", "privilege": "view",
        "owner_number": "1000123", "created_on": dt.date(2020, 4, 1),
        "password_changed_at": _at(DAY - dt.timedelta(days=30)), "last_login_at": _at(DAY - dt.timedelta(days=2)),
    }  # fmt: skip
    base.update(kw)
    return AccountFacts(**base)


ACTIVE_OWN = OwnerFacts("own_employee", "active")


def kinds(acc: AccountFacts, owner: OwnerFacts | None = ACTIVE_OWN, *,
          entitled: str | None = "view", non_public: bool = True, personal: int = 1,
          policy: Policy = POLICY) -> tuple[str, set[str]]:  # fmt: skip
    result = classify(acc, owner, entitled=entitled, holds_non_public=non_public,
                      personal_accounts_of_owner=personal, at=DAY, policy=policy)  # fmt: skip
    return result.situation, {p.kind for p in result.problems}


def test_a_current_own_employee_with_an_entitlement_is_linked_and_clean() -> None:
    assert kinds(account()) == (Situation.LINKED, set())


def test_each_ownership_rule() -> None:
    assert kinds(account(owner_number=""), None) == (Situation.ORPHANED, {"orphaned"})
    assert kinds(account(owner_number="9999"), None) == (Situation.ORPHANED, {"orphaned"})
    assert kinds(account(), OwnerFacts("own_employee", "retired"))[1] == {"owner_retired"}
    assert kinds(account(), OwnerFacts("own_employee", "transferred"))[1] == {"owner_transferred_out"}
    assert kinds(account(), OwnerFacts("affiliate", "active"))[1] == {"affiliate_owner"}
    # An affiliate on a system without non-public information needs an entitlement like anyone else.
    assert kinds(account(), OwnerFacts("affiliate", "active"), non_public=False)[1] == set()
    assert kinds(account(), OwnerFacts("contractor", "active"), entitled=None)[1] == {"no_contract"}
    assert kinds(account(), OwnerFacts("contractor", "active"), entitled="update")[1] == set()
    assert kinds(account(kind="shared"))[1] == {"shared_id"}
    assert kinds(account(account_id="admin01"))[1] == {"shared_id"}
    assert kinds(account(), entitled=None)[1] == {"no_entitlement"}
    assert kinds(account(privilege="admin"), entitled="update")[1] == {"entitlement_exceeded"}
    assert kinds(account(privilege="業務担当"), entitled="view")[1] == set()
    assert kinds(account(), personal=2)[1] == {"duplicate_accounts"}


def test_leave_is_a_situation_and_a_finding_only_where_the_policy_says() -> None:
    on_leave = OwnerFacts("own_employee", "on_leave")
    assert kinds(account(), on_leave) == (Situation.OWNER_ON_LEAVE, set())
    strict = Policy(flag_owner_on_leave=True)
    assert kinds(account(), on_leave, policy=strict) == (Situation.OWNER_ON_LEAVE, {"owner_on_leave"})


def test_emergency_ids_expire() -> None:
    fresh = account(kind="emergency_temporary", owner_number="", created_on=DAY - dt.timedelta(days=3))
    assert kinds(fresh, None) == (Situation.EMERGENCY, set())
    old = account(kind="emergency_temporary", owner_number="", created_on=DAY - dt.timedelta(days=31),
                  password_changed_at=None)  # fmt: skip
    assert kinds(old, None) == (Situation.EMERGENCY, {"emergency_expired"})


def test_hygiene_rules_need_evidence_and_an_accountable_owner() -> None:
    assert kinds(account(password_changed_at=None))[1] == {"password_never_changed"}
    assert kinds(account(password_changed_at=_at(dt.date(2020, 4, 1))))[1] == {"password_never_changed"}
    # A new ID still has its first password within the grace period.
    new = DAY - dt.timedelta(days=10)
    assert kinds(account(created_on=new, password_changed_at=_at(new)))[1] == set()
    assert kinds(account(last_login_at=_at(DAY - dt.timedelta(days=90))))[1] == {"dormant"}
    assert kinds(account(last_login_at=_at(DAY - dt.timedelta(days=89))))[1] == set()
    assert kinds(account(last_login_at=None))[1] == set()  # no evidence either way
    # An orphaned ID gets one finding: remove it.
    assert kinds(account(owner_number="", password_changed_at=None), None)[1] == {"orphaned"}


def test_disabled_and_deleted_accounts_have_no_problems() -> None:
    for status in ("disabled", "deleted"):
        assert kinds(account(status=status, owner_number=""), None) == (Situation.INACTIVE, set())


DATES = st.one_of(st.none(), st.dates(dt.date(2010, 1, 1), DAY))
ACCOUNTS = st.builds(
    AccountFacts,
    account_id=st.sampled_from(["1000123", "tyamada", "admin", "cis_kyoyo01", "rinji20240901"]),
    kind=st.sampled_from(["personal", "shared", "service", "emergency_temporary"]),
    status=st.sampled_from(["enabled", "locked", "disabled", "deleted"]),
    privilege=st.sampled_from(["view", "update", "export", "admin", "", "担当"]),
    owner_number=st.sampled_from(["", "1000123"]),
    created_on=DATES,
    password_changed_at=DATES.map(lambda d: None if d is None else _at(d)),
    last_login_at=DATES.map(lambda d: None if d is None else _at(d)),
)
OWNERS = st.one_of(
    st.none(),
    st.builds(OwnerFacts, employment_type=st.sampled_from(["own_employee", "contractor", "affiliate", "seconded",
                                                           "external"]),
              status=st.sampled_from(["active", "on_leave", "transferred", "retired"])),
)  # fmt: skip


@given(ACCOUNTS, OWNERS, st.sampled_from([None, "view", "update", "export", "admin"]), st.booleans(),
       st.integers(0, 3))  # fmt: skip
def test_properties_of_every_classification(acc, owner, entitled, non_public, personal) -> None:
    result = classify(acc, owner, entitled=entitled, holds_non_public=non_public,
                      personal_accounts_of_owner=personal, at=DAY, policy=POLICY)  # fmt: skip
    found = [p.kind for p in result.problems]
    assert len(found) == len(set(found))
    if acc.status in ("disabled", "deleted"):
        assert result.situation == Situation.INACTIVE and not found
        return
    # At most one ownership problem, and hygiene problems only where someone answers for the account.
    assert len([k for k in found if k in OWNERSHIP]) <= 1
    if result.situation in (Situation.ORPHANED, Situation.OWNER_RETIRED, Situation.OWNER_TRANSFERRED_OUT,
                            Situation.OWNER_NOT_OWN_STAFF):  # fmt: skip
        assert not set(found) & HYGIENE
    # Nobody to answer for a personal ID is always a finding.
    if acc.kind == "personal" and owner is None and acc.account_id in ("1000123", "tyamada"):
        assert found == ["orphaned"]
    # Everything a finding is raised for can be given a due date.
    assert all(POLICY.due_after(k) > 0 for k in found)

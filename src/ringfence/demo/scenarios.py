"""Labelled violation scenarios, modelled on the 2023 incidents, injected into the week of logs.

Each scenario is a list of events carrying its id; after the logs are written, the writer knows the file and
line of every one of them, and ``labels.jsonl`` records them so detection can be scored event by event.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from .calendar import is_day_off, jst_datetime, jst_epoch, week_days
from .logs.events import Event, allowed
from .logs.traffic import TargetPool
from .world import Account, Person, Terminal, World

# kind -> (Japanese title, English title)
KINDS: dict[str, tuple[str, str]] = {
    "lent_terminal_affiliate_use": (
        "災害時に貸与し未回収の端末を特定関係事業者の社員が使用",
        "Affiliate staff using a terminal lent in a disaster and never collected",
    ),
    "td_id_from_affiliate_segment": (
        "送配電社員のIDが特定関係事業者の執務エリアのネットワークから使用",
        "T&D employee's ID used from the affiliate's office network",
    ),
    "retiree_id_in_use": ("退職者のIDが使用", "Retiree's ID in use"),
    "orphaned_id_in_use": ("所有者不明IDが使用", "Orphaned ID in use"),
    "affiliate_granted_access": (
        "特定関係事業者の社員に送配電システムの権限とIDを付与し使用",
        "Affiliate staff given T&D access rights and using them",
    ),
    "bulk_export": ("大量の非公開情報のCSV出力", "Bulk export of non-public records"),
    "misconfigured_access_control": (
        "アクセス制御の設定誤りにより権限のない操作が成功",
        "Operations without entitlement succeed on a system with misconfigured access control",
    ),
    "off_hours_access": ("深夜帯のアクセス", "Access outside business hours"),
    "holiday_access": ("休日のアクセス", "Access on a day off"),
    "password_guessing": (
        "パスワード推測（ログオン失敗の連続）",
        "Password guessing (burst of failed logons)",
    ),
    "shared_id_concurrent": ("共用IDの複数端末からの同時使用", "Shared ID used from two terminals at once"),
    "emergency_id_outside_grant": (
        "災害時臨時IDの付与期間外の使用",
        "Emergency temporary ID used outside its grant",
    ),
    "transferred_out_id_in_use": (
        "特定関係事業者へ転籍した者のIDが使用",
        "ID of someone who transferred out to the affiliate in use",
    ),
    "silent_log_source": (
        "ログの途絶（1日分のログが出力されていない）",
        "Silent log source (a day without logs)",
    ),
}


@dataclass
class Scenario:
    """One labelled violation and its events."""

    id: str
    kind: str
    system: str
    account: str
    person: str
    terminal: str
    start_ms: int
    end_ms: int
    events: list[Event] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    unlabelled_ops: frozenset[str] = frozenset()  # written as context, but not violations themselves

    def label(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """The labels.jsonl record, with the (file, line) of every violating event."""
        title_ja, title_en = KINDS[self.kind]
        return {
            "id": self.id,
            "kind": self.kind,
            "title_ja": title_ja,
            "title_en": title_en,
            "system": self.system,
            "account": self.account or None,
            "person": self.person or None,
            "terminal": self.terminal or None,
            "start": jst_datetime(self.start_ms // 1000).isoformat(),
            "end": jst_datetime(-(-self.end_ms // 1000)).isoformat(),
            **self.detail,
            "events": [{"file": path, "line": line} for path, line in lines],
        }


class _Builder:
    """Shared context while scenarios are planned."""

    def __init__(self, world: World, hosts: dict[str, tuple[str, str]], rng: random.Random,
                 targets: dict[str, TargetPool]) -> None:  # fmt: skip
        self.world, self.hosts, self.rng, self.targets = world, hosts, rng, targets
        self.days = week_days(world.week_start)
        self.working = [d for d in self.days if not is_day_off(d)]
        self.people = world.people_by_number
        self.accounts_by_owner: dict[str, list[Account]] = {}
        for account in world.accounts:
            self.accounts_by_owner.setdefault(account.owner, []).append(account)
        lent = {loan.asset_tag for loan in world.loans}
        self.spares = [t for t in world.terminals if t.status == "in_stock" and t.asset_tag not in lent]
        self.used_accounts: set[tuple[str, str]] = set()
        self.scenarios: list[Scenario] = []

    def at(self, day: dt.date, hour: int, minute: int = 0) -> int:
        return (jst_epoch(day, hour * 3600 + minute * 60)) * 1000 + self.rng.randrange(1000)

    def session(self, account: str, host: str, ip: str, start: int, ops: list[str], label: str,
                counts: list[int] | None = None, result: str = "ok", system: str = "") -> tuple[list[Event], int]:  # fmt: skip
        """A logon, ``ops`` and a logoff; returns the events and the end time."""
        rng, t = self.rng, start
        pool = self.targets[system].ids if system else [""]
        events = [Event(t, account, host, ip, "login", "ok", "", 0, label)]
        for i, op in enumerate(ops):
            t += rng.randint(4_000, 60_000)
            count = counts[i] if counts else {"search": rng.randint(5, 80)}.get(op, 1)
            events.append(Event(t, account, host, ip, op, result, rng.choice(pool), count, label))
        t += rng.randint(5_000, 120_000)
        events.append(Event(t, account, host, ip, "logout", "ok", "", 0, label))
        return events, t

    def add(self, kind: str, account: Account | None, person: str, terminal: str, events: list[Event],
            system: str = "", unlabelled: frozenset[str] = frozenset(), **detail: Any) -> None:  # fmt: skip
        code = account.system_code if account else system
        labelled = [e for e in events if e.op not in unlabelled]
        self.scenarios.append(
            Scenario(
                id="", kind=kind, system=code, account=account.account_id if account else "", person=person,
                terminal=terminal, start_ms=min(e.ts for e in labelled) if labelled else 0,
                end_ms=max(e.ts for e in labelled) if labelled else 0, events=events, detail=detail,
                unlabelled_ops=unlabelled,
            )
        )  # fmt: skip
        if account:
            self.used_accounts.add((account.system_code, account.account_id))

    def clean_account(self, system: str, roles: set[str], level: str = "view") -> tuple[Person, Account]:
        """A clean personal account on ``system`` of an active own employee in one of ``roles``."""
        candidates = [
            a for a in self.world.accounts
            if a.system_code == system and a.kind == "personal" and not a.faults and a.status == "enabled"
            and a.owner and (system, a.account_id) not in self.used_accounts
            and self.people[a.owner].status == "active" and self.people[a.owner].role_code in roles
            and self.people[a.owner].employment_type == "own_employee" and a.owner in self.hosts
            and allowed(a.privilege, level)
        ]  # fmt: skip
        account = self.rng.choice(candidates)
        return self.people[account.owner], account

    def faulty(self, fault: str, prefer: list[str]) -> Account:
        """An account with ``fault`` on the first of ``prefer`` that has one (any system otherwise)."""
        pool = [a for a in self.world.accounts if fault in a.faults
                and (a.system_code, a.account_id) not in self.used_accounts]  # fmt: skip
        for system in prefer:
            on_system = [a for a in pool if a.system_code == system]
            if on_system:
                return self.rng.choice(on_system)
        return self.rng.choice([a for a in pool if a.system_code not in ("AD", "VDI", "GW")] or pool)

    def spare(self) -> Terminal:
        terminal = self.rng.choice(self.spares)
        self.spares.remove(terminal)
        return terminal


def plan_scenarios(world: World, hosts: dict[str, tuple[str, str]], rng: random.Random,
                   targets: dict[str, TargetPool]) -> list[Scenario]:  # fmt: skip
    """Every labelled scenario of the week, numbered S01, S02, …"""
    b = _Builder(world, hosts, rng, targets)
    work = b.working
    views = ["search", "view", "view", "view", "search", "view", "print", "view"]

    # 1. Affiliate staff on a terminal lent in the 2024 typhoon and never collected, using a T&D CIS ID.
    account = next(a for a in world.accounts if "affiliate_holding" in a.faults and a.system_code == "CIS")
    loan = next(loan for loan in world.loans if loan.returned_at is None)
    terminal = next(t for t in world.terminals if t.asset_tag == loan.asset_tag)
    events: list[Event] = []
    for day in work[:3]:
        session, _ = b.session(account.account_id, terminal.hostname, loan.actual_ip, b.at(day, 10, rng.randint(0, 50)),
                               views * 3, "", system="CIS")  # fmt: skip
        events += session
    b.add("lent_terminal_affiliate_use", account, account.owner, terminal.asset_tag, events,
          segment=f"{loan.actual_ip.rsplit('.', 1)[0]}.0/24")  # fmt: skip

    # 2. A T&D employee's ID used from the affiliate's office network.
    person, account = b.clean_account("CIS", {"CUSTOMER"})
    ip, host = f"172.20.1.{rng.randint(100, 199)}", f"MEP-{rng.randint(300, 399):04d}"
    events, _ = b.session(account.account_id, host, ip, b.at(work[1], 14, 5), views * 2, "", system="CIS")
    b.add(
        "td_id_from_affiliate_segment",
        account,
        person.employee_number,
        "",
        events,
        source_ip=ip,
        source_host=host,
    )

    # 3. A retiree's ID in use after the retirement (preferably someone who retired this week).
    week_retirees = [
        p
        for p in world.people
        if p.status == "retired" and p.status_since and p.status_since >= world.week_start
    ]
    retiree_accounts = [a for p in week_retirees for a in b.accounts_by_owner.get(p.employee_number, [])
                        if a.system_code in ("CIS", "TAKUSO", "CALL", "SAIENE", "KEIYAKU", "SWITCH", "MDMS", "KOJI", "HAIDEN")]  # fmt: skip
    account = (
        rng.choice(retiree_accounts) if retiree_accounts else b.faulty("retiree_enabled", ["CIS", "TAKUSO"])
    )
    retired_on = b.people[account.owner].status_since
    assert retired_on is not None
    day = max(d for d in work if d > retired_on) if any(d > retired_on for d in work) else b.days[-1]
    terminal = b.spare()
    events, _ = b.session(account.account_id, terminal.hostname, terminal.ip_address, b.at(day, 15, 20), views,
                          "", system=account.system_code)  # fmt: skip
    b.add(
        "retiree_id_in_use",
        account,
        account.owner,
        terminal.asset_tag,
        events,
        retired_on=retired_on.isoformat(),
    )

    # 4. An orphaned ID in use.
    account = b.faulty("orphaned", ["TAKUSO", "CIS", "KEIYAKU"])
    terminal = b.spare()
    events, _ = b.session(account.account_id, terminal.hostname, terminal.ip_address, b.at(work[2], 11, 40),
                          views, "", system=account.system_code)  # fmt: skip
    b.add("orphaned_id_in_use", account, "", terminal.asset_tag, events)

    # 5. Affiliate staff given T&D access rights (direct entitlement + account) and using them.
    account = next(a for a in world.accounts if "affiliate_holding" in a.faults and a.system_code == "CALL")
    host, ip = hosts[account.owner]
    events = []
    for day in work[1:4]:
        session, _ = b.session(account.account_id, host, ip, b.at(day, 13, rng.randint(0, 50)), views * 2, "",
                               system="CALL")  # fmt: skip
        events += session
    b.add("affiliate_granted_access", account, account.owner, "", events, source_ip=ip, source_host=host)

    # 6. One person saving tens of thousands of records.
    person, account = b.clean_account("TAKUSO", {"TAKUSO"}, level="export")
    host, ip = hosts[person.employee_number]
    counts = [0, rng.randint(6000, 9000), rng.randint(6000, 9000), 0, rng.randint(6000, 9000),
              rng.randint(6000, 9000), rng.randint(6000, 9000), rng.randint(6000, 9000)]  # fmt: skip
    ops = ["search", "export", "export", "search", "export", "export", "export", "export"]
    counts[0], counts[3] = 50, 50
    session, _ = b.session(
        account.account_id, host, ip, b.at(work[3], 16, 10), ops, "", counts=counts, system="TAKUSO"
    )
    b.add("bulk_export", account, person.employee_number, person.terminal, session,
          unlabelled=frozenset({"login", "logout", "search"}),
          records=sum(e.rows for e in session if e.op == "export"))  # fmt: skip

    # 7. The misconfigured system: view-only staff update and export, and the system lets them.
    system = world.misconfigured_system
    person, account = b.clean_account(system, {"METER"})
    host, ip = hosts[person.employee_number]
    ops = ["view", "update", "view", "export", "update", "update", "view", "export"]
    counts = [1, 1, 1, rng.randint(200, 900), 1, 1, 1, rng.randint(200, 900)]
    session, _ = b.session(
        account.account_id, host, ip, b.at(work[2], 9, 30), ops, "", counts=counts, system=system
    )
    b.add("misconfigured_access_control", account, person.employee_number, person.terminal, session,
          unlabelled=frozenset({"login", "logout", "view"}), entitled_level=account.privilege)  # fmt: skip

    # 8. Off-hours: an office worker's CIS ID at 02:00 on a working night.
    person, account = b.clean_account("CIS", {"CUSTOMER", "TAKUSO"})
    host, ip = hosts[person.employee_number]
    events, _ = b.session(account.account_id, host, ip, b.at(work[-1], 2, 10), views * 2, "", system="CIS")
    b.add("off_hours_access", account, person.employee_number, person.terminal, events)

    # 9. A day off (the holiday if the week has one).
    off = [d for d in b.days if is_day_off(d)]
    holiday = next((d for d in off if d.weekday() < 5), off[0])
    person, account = b.clean_account("KEIYAKU", {"TAKUSO"})
    host, ip = hosts[person.employee_number]
    events, _ = b.session(
        account.account_id, host, ip, b.at(holiday, 10, 35), views * 2, "", system="KEIYAKU"
    )
    b.add("holiday_access", account, person.employee_number, person.terminal, events, day=holiday.isoformat())

    # 10. Password guessing against the domain: a burst of 4625 from one address, then a lockout (4740).
    terminal = b.spare()
    ad_accounts = [
        a for a in world.accounts if a.system_code == "AD" and a.status == "enabled" and a.kind == "personal"
    ]
    victims = rng.sample(ad_accounts, 8)
    t = b.at(work[3], 12, 20)
    events = []
    for i in range(48):
        victim = victims[i % len(victims)]
        invalid = i % 11 == 5
        name = f"admin{i % 3}" if invalid else victim.account_id
        events.append(Event(t, name, terminal.hostname, terminal.ip_address, "login", "fail",
                            "invalid" if invalid else "", 0, ""))  # fmt: skip
        t += rng.randint(1_500, 6_000)
    events.append(
        Event(t + 200, victims[0].account_id, "DC01", terminal.ip_address, "lockout", "ok", "", 0, "")
    )
    b.add("password_guessing", victims[0], victims[0].owner, terminal.asset_tag, events,
          targeted_accounts=sorted({e.account for e in events}))  # fmt: skip

    # 10b. The same against the jump server over ssh.
    ip = f"10.{rng.randint(1, 7)}.250.{rng.randint(10, 250)}"
    gw = [
        a for a in world.accounts if a.system_code == "GW" and a.kind == "personal" and a.status == "enabled"
    ]
    t = b.at(work[4] if len(work) > 4 else work[-1], 19, 5)
    events = []
    for i in range(60):
        invalid = i % 4 == 0
        name = ("root", "admin", "oracle", "test")[i // 4 % 4] if invalid else gw[i % len(gw)].account_id
        events.append(Event(t, name, "", ip, "login", "fail", "invalid" if invalid else "", 0, ""))
        t += rng.randint(700, 3_000)
    b.add("password_guessing", None, "", "", events, system="GW", source_ip=ip,
          targeted_accounts=sorted({e.account for e in events}))  # fmt: skip

    # 11. A shared ID used from two terminals at once.
    account = next(a for a in world.accounts if a.kind == "shared" and a.system_code == "CALL")
    first, second = b.spare(), b.spare()
    start = b.at(work[0], 10, 0)
    one, _ = b.session(
        account.account_id, first.hostname, first.ip_address, start, views * 3, "", system="CALL"
    )
    two, _ = b.session(account.account_id, second.hostname, second.ip_address, start + 240_000, views * 3, "",
                       system="CALL")  # fmt: skip
    b.add("shared_id_concurrent", account, account.owner, f"{first.asset_tag},{second.asset_tag}", one + two,
          terminals=[first.asset_tag, second.asset_tag])  # fmt: skip

    # 12. An emergency-temporary ID of the 2024 typhoon used long after its grant.
    account = next(a for a in world.accounts if a.kind == "emergency_temporary" and a.system_code == "CIS")
    terminal = b.spare()
    weekend = [d for d in b.days if d.weekday() == 5] or b.days[-1:]
    events, _ = b.session(account.account_id, terminal.hostname, terminal.ip_address, b.at(weekend[0], 9, 45),
                          views, "", system="CIS")  # fmt: skip
    b.add("emergency_id_outside_grant", account, "", terminal.asset_tag, events, grant_until="2024-09-30")

    # 13. Someone who moved to the affiliate this week keeps using their T&D ID from the affiliate's office.
    movers = [
        p
        for p in world.people
        if p.status == "transferred" and p.status_since and p.status_since >= world.week_start
    ]
    mover_accounts = [a for p in movers for a in b.accounts_by_owner.get(p.employee_number, [])
                      if a.system_code != "BUNSHO"]  # fmt: skip
    mover_accounts.sort(key=lambda a: a.system_code in ("AD", "VDI", "GW"))  # an application ID first
    if mover_accounts:
        account = mover_accounts[0]
        moved = b.people[account.owner].status_since
        assert moved is not None
        later = [d for d in b.days if d > moved and not is_day_off(d)] or [b.days[-1]]
        ip, host = f"172.20.1.{rng.randint(200, 250)}", f"MEP-{rng.randint(400, 499):04d}"
        events, _ = b.session(
            account.account_id, host, ip, b.at(later[0], 10, 15), views, "", system=account.system_code
        )
        b.add("transferred_out_id_in_use", account, account.owner, "", events, transferred_on=moved.isoformat(),
              source_ip=ip, source_host=host)  # fmt: skip

    # 14. A silent log source: 需給管理システム writes nothing on the Wednesday.
    silent_day = b.days[2]
    b.add("silent_log_source", None, "", "", [], system="JUKYU", day=silent_day.isoformat())
    b.scenarios[-1].start_ms = jst_epoch(silent_day) * 1000
    b.scenarios[-1].end_ms = jst_epoch(silent_day + dt.timedelta(days=1)) * 1000

    for number, scenario in enumerate(b.scenarios, start=1):
        scenario.id = f"S{number:02d}"
        scenario.events = [
            e if e.op in scenario.unlabelled_ops else e._replace(label=scenario.id) for e in scenario.events
        ]
    return b.scenarios

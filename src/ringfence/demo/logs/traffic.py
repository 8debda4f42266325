"""Ordinary traffic: sessions of entitled staff on working days and business hours, in clean accounts only.

Ordinary traffic never contains a violation, so every violation in the logs is one the labels name: IDs
with seeded faults, shared and emergency IDs are left to the scenarios, and staff who leave during the week
stop at their leaving date. Over-privileged attempts end in 権限エラー, except on the misconfigured system,
where ordinary traffic simply does not try them (there they would succeed and be violations).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass

from ..calendar import is_day_off, jst_epoch
from ..world import World
from .events import Event, allowed

SHIFT_SYSTEMS = frozenset({"KEITO", "JUKYU", "TEIDEN", "SAIGAI"})
AUTH_ONLY = frozenset({"AD", "VDI", "GW"})
OFFICE_HOURS = {7: 0.2, 8: 0.8, 9: 1.0, 10: 1.0, 11: 1.0, 12: 0.4, 13: 1.0, 14: 1.0, 15: 1.0, 16: 1.0,
                17: 0.7, 18: 0.35, 19: 0.2, 20: 0.1, 21: 0.05}  # fmt: skip
SHIFT_HOURS = {h: (OFFICE_HOURS.get(h, 0.0) + 0.15) for h in range(24)}
CLOSE_OF_DAY_S = 21 * 3600 + 59 * 60  # ordinary office traffic ends before 22:00
_OPS = ("view", "search", "print", "update", "delete", "export")
_OP_WEIGHTS = (50, 25, 5, 12, 1, 3)
_STRAY = 0.08  # share of over-entitled attempts kept (they end in 権限エラー); the rest become a view


@dataclass(frozen=True)
class Actor:
    """Someone who uses a system in ordinary traffic."""

    account: str
    owner: str
    level: str
    host: str
    ip: str
    until_ms: int | None


def actors_by_system(world: World, hosts: dict[str, tuple[str, str]]) -> dict[str, list[Actor]]:
    """Clean, enabled personal accounts of people who are at work, per system."""
    people = world.people_by_number
    result: dict[str, list[Actor]] = {s.code: [] for s in world.systems}
    for account in world.accounts:
        if account.kind != "personal" or account.status != "enabled" or not account.owner:
            continue
        person = people[account.owner]
        tolerated = {"password_never_changed"}
        if person.status_since is not None and person.status_since >= world.week_start:
            tolerated |= {"retiree_enabled", "transferred_out_enabled"}  # at work until their order's date
        if set(account.faults) - tolerated:
            continue
        if person.employment_type == "affiliate" or account.owner not in hosts:
            continue
        until = None
        if person.status != "active":
            if (
                person.status_since is None
                or person.status_since < world.week_start
                or person.status == "on_leave"
            ):
                continue
            until = jst_epoch(person.status_since) * 1000
        host, ip = hosts[account.owner]
        result[account.system_code].append(
            Actor(account.account_id, account.owner, account.privilege, host, ip, until)
        )
    return result


@dataclass
class TargetPool:
    """Record IDs a system's users look at: 22-digit supply point IDs, customer numbers or asset numbers."""

    ids: list[str]

    @classmethod
    def for_system(cls, rng: random.Random, data_classes: list[str], size: int) -> TargetPool:
        """A pool of plausible record IDs for a system holding ``data_classes``."""
        if "supply_point_id" in data_classes or "usage_30min" in data_classes:
            ids = [f"03{rng.randrange(10**20):020d}" for _ in range(size)]  # 供給地点特定番号 (area 03)
        elif "customer_contact" in data_classes or "contract_details" in data_classes:
            ids = [f"{rng.randrange(10**10):010d}" for _ in range(size)]  # お客さま番号
        elif "renewable_generator" in data_classes:
            ids = [f"G{rng.randrange(10**7):07d}" for _ in range(size)]
        else:
            ids = [f"E{rng.randrange(10**8):08d}" for _ in range(size)]
        return cls(ids)


def day_weights(days: list[dt.date], shift: bool) -> list[float]:
    """Relative traffic per day: working days full, days off quiet (shift systems) or silent."""
    return [(0.3 if shift else 0.0) if is_day_off(d) else 1.0 for d in days]


def ordinary_day(
    rng: random.Random,
    system: str,
    day: dt.date,
    target_events: int,
    actors: list[Actor],
    targets: TargetPool,
    misconfigured: bool,
) -> list[Event]:
    """About ``target_events`` events of ordinary sessions on ``system`` during ``day`` (JST)."""
    if not actors or target_events <= 0:
        return []
    shift = system in SHIFT_SYSTEMS
    hours_table = SHIFT_HOURS if shift else OFFICE_HOURS
    hours = list(hours_table)
    cum = list(itertools.accumulate(hours_table.values()))
    base = jst_epoch(day) * 1000
    close = base + (86400 if shift else CLOSE_OF_DAY_S) * 1000 - 1
    auth_only = system in AUTH_ONLY
    events: list[Event] = []
    append = events.append
    pick_ops = rng.choices
    while len(events) < target_events:
        actor = rng.choice(actors)
        hour = rng.choices(hours, cum_weights=cum)[0]
        t = base + hour * 3_600_000 + rng.randrange(1_800_000 if hour == 21 else 3_600_000)
        if actor.until_ms is not None and t >= actor.until_ms - 3_600_000:
            continue
        account, host, ip = actor.account, actor.host, actor.ip
        if rng.random() < 0.015:  # a mistyped password before the successful logon
            append(Event(t, account, host, ip, "login", "fail", "", 0))
            t += rng.randint(3_000, 20_000)
        append(Event(t, account, host, ip, "login", "ok", "", 0))
        if system == "AD":  # some logons run a tool with other credentials (4648) or with privileges (4672)
            extra = rng.random()
            if extra < 0.03:
                append(
                    Event(
                        t + 150, account, host, ip, "explicit" if extra < 0.02 else "privileged", "ok", "", 0
                    )
                )
        if auth_only:
            t += rng.randint(600_000, 4 * 3_600_000)
        else:
            n_ops = min(20, int(rng.expovariate(1 / 6)) + 1)
            for op in pick_ops(_OPS, _OP_WEIGHTS, k=n_ops):
                t += rng.randint(2_000, 90_000)
                if not allowed(actor.level, op) and (misconfigured or rng.random() > _STRAY):
                    op = "view"
                result = "ok" if allowed(actor.level, op) else "denied"
                count = {
                    "search": rng.randint(1, 50),
                    "export": rng.randint(20, 3000),
                    "print": rng.randint(1, 10),
                }
                append(Event(t, account, host, ip, op, result, rng.choice(targets.ids), count.get(op, 1)))
        t = min(t + rng.randint(5_000, 600_000), close)
        append(Event(t, account, host, ip, "logout", "ok", "", 0))
    return events

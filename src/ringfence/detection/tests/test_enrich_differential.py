"""Enrichment agrees with the registry's own as-of look-ups (registry.selectors.asof) at every boundary.

A registry with many changes (transfers, leave, owner changes, role memberships starting and ending, grants
given and revoked, a unit renamed, a terminal moved and lent, a segment retired) is enriched in DuckDB for
events one microsecond before, at, and between every validity boundary of the export; each enriched field is
compared with what the ORM-based selectors answer for the same moment. The two implementations share
nothing but the data.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ringfence.detection.enrich import LEVELS
from ringfence.registry import services as s
from ringfence.registry.models import SystemVersion
from ringfence.registry.selectors.asof import (
    AccountState,
    account_owner_at,
    entitlements_at,
    person_at,
    terminal_at,
    zone_of_ip,
)
from ringfence.registry.tests.conftest import ACTOR, build_world, day

from .enrich_support import connection, enrich_rows, event

pytestmark = pytest.mark.django_db

ACCOUNTS = ("u001", "svc01", "e002", "u003", "E001-2", "ghost")
FUNCTIONS = (None, "billing", "meter")
ADDRESSES = ("10.20.1.5", "10.20.1.9", "10.30.0.1", "192.168.5.7", "172.16.0.1", None)
TERMINAL_KEYS = ("tag", "host", "ip", "none")


def _more_history() -> None:
    a = ACTOR
    s.register_account("CIS", "u003", owner_employee_number="E003", effective=day("2024-01-01"), actor=a)
    s.register_account("CIS", "e001-2", owner_employee_number="E001", effective=day("2024-12-01"), actor=a)
    s.disable_account("CIS", "u003", effective=day("2025-03-01"), actor=a)
    s.set_account_owner("CIS", "svc01", "E002", effective=day("2024-03-01"), actor=a)
    s.start_leave("E001", effective=day("2025-02-01"), actor=a)
    s.return_from_leave("E001", effective=day("2025-05-01"), actor=a)
    s.change_unit("NSALES", name="北支社販売課", effective=day("2024-10-01"), actor=a)
    s.add_role_member(
        "BILLING", "E001", effective_from=day("2024-06-01"), effective_to=day("2025-01-01"), actor=a
    )
    s.grant_entitlement(
        "CIS", employee_number="E003", level="export", effective_from=day("2024-10-01"), actor=a
    )
    s.revoke_entitlement("CIS", employee_number="E001", effective=day("2025-06-01"), actor=a)
    s.move_terminal(
        "PC-0001", hostname="TD-PC-0001B", ip_address="10.20.1.9", effective=day("2024-08-01"), actor=a
    )
    s.retire_network_segment("10.20.0.0/16", effective=day("2025-01-01"), actor=a)


def _boundaries(snapshot: Path) -> list[dt.datetime]:
    con = duckdb.connect()
    tables = (
        "people",
        "units",
        "accounts",
        "entitlements",
        "role_memberships",
        "terminals",
        "network_segments",
    )
    union = " UNION ".join(
        f"SELECT valid_from AS t FROM read_parquet('{snapshot / name}.parquet') "
        f"UNION SELECT valid_to FROM read_parquet('{snapshot / name}.parquet')"
        for name in tables
    )
    return [
        row[0] for row in con.execute(f"SELECT t FROM ({union}) WHERE t IS NOT NULL ORDER BY t").fetchall()
    ]


def _moments(boundaries: list[dt.datetime], rng: random.Random) -> list[dt.datetime]:
    moments: set[dt.datetime] = set()
    for b in boundaries:
        moments |= {b - dt.timedelta(microseconds=1), b, b + dt.timedelta(hours=rng.randint(1, 500))}
    return sorted(m for m in moments if m.year >= 2021)


def _expected(account: str, when: dt.datetime, function: str | None, activity: str) -> dict[str, Any]:
    # Events may spell an ID in another case (enrichment ignores case); the registry's IDs are lower case.
    answer = account_owner_at("CIS", account.lower(), when)
    known = answer.state in (AccountState.OWNED, AccountState.NO_OWNER)
    expected: dict[str, Any] = {
        "account_known": known,
        "account_kind": answer.kind if known else None,
        "account_status": answer.status if known else None,
        "owner": answer.owner_employee_number,
    }
    owner = person_at(answer.owner_employee_number, when) if answer.owner_employee_number else None
    expected.update(
        person_known=(owner is not None) if known else None,
        person_employment_type=owner.employment_type if owner else None,
        person_status=owner.status if owner else None,
        person_unit=owner.unit.code if owner and owner.unit else None,
        person_unit_name=owner.unit.name if owner and owner.unit else None,
        own_employee=(
            (
                owner is not None
                and owner.employment_type == "own_employee"
                and owner.status in ("active", "on_leave")
            )
            if known
            else None
        ),
    )
    grants = (
        entitlements_at(answer.owner_employee_number, "CIS", when) if answer.owner_employee_number else ()
    )
    applicable = [g for g in grants if function is None or g.function in ("*", function)]
    level = max((LEVELS.index(g.level) for g in applicable), default=None)
    expected["entitled"] = bool(grants) if known else None
    expected["entitled_level"] = LEVELS[level] if level is not None else None
    if known:
        needed = {"view": 0, "update": 1, "export": 2}[activity]
        expected["entitled_for_activity"] = level is not None and level >= needed
    else:
        expected["entitled_for_activity"] = None
    return expected


def _expected_terminal(how: str, when: dt.datetime, ip: str | None) -> dict[str, Any]:
    found = terminal_at(when, asset_tag="PC-0001") if how == "tag" else None
    if found is None and ip is not None:
        found = terminal_at(when, ip=ip)
    zone = found.room.zone if found and found.room else None
    network = zone_of_ip(ip, when) if ip else None
    return {
        "terminal_tag": found.asset_tag if found else None,
        "terminal_status": found.status if found else None,
        "terminal_room": found.room.code if found and found.room else None,
        "terminal_zone_kind": zone.kind if zone else None,
        "terminal_lent_to": (found.lent_to_employee_number or found.lent_to or None) if found else None,
        "net_segment": network.cidr if network else None,
        "net_zone_kind": network.zone.kind if network and network.zone else None,
    }


def test_enrichment_matches_the_as_of_selectors_at_every_boundary(tmp_path: Path) -> None:
    build_world()
    _more_history()
    snapshot = tmp_path / "snapshot"
    from ringfence.detection.enrich import snapshot_registry

    snapshot_registry(snapshot)
    rng = random.Random(20261012)
    moments = _moments(_boundaries(snapshot), rng)
    assert len(moments) > 40
    rows: list[dict[str, Any]] = []
    cases: dict[str, tuple[str, dt.datetime, str | None, str, str, str | None, str | None]] = {}
    for index, (when, account) in enumerate((m, a) for m in moments for a in ACCOUNTS):
        function = rng.choice(FUNCTIONS)
        activity = rng.choice(("view", "update", "export"))
        how = rng.choice(TERMINAL_KEYS)
        ip = rng.choice(ADDRESSES)
        key = f"case-{index}"
        host = rng.choice(("td-pc-0001.corp", "TD-PC-0001B")) if how == "host" else None
        cases[key] = (account, when, function, activity, how, ip, host)
        terminal_fields: dict[str, Any] = {"src_ip": ip, "src_host": host}
        if how == "tag":
            terminal_fields["terminal"] = "PC-0001"
        rows.append(
            event(key, when, account=account, function=function, activity=activity, **terminal_fields)
        )
    got = enrich_rows(connection(snapshot), rows)

    mismatches = []
    for key, (account, when, function, activity, how, ip, host) in cases.items():
        expected = _expected(account, when, function, activity)
        if how == "host" and host:
            # The selector matches a whole host name; the event's may carry a domain (first label counts).
            by_host = terminal_at(when, hostname=host.split(".")[0])
            expected.update(_expected_terminal("tag" if by_host else "none", when, ip))
        else:
            expected.update(_expected_terminal(how, when, ip))
        system = SystemVersion.objects.as_of(when).filter(entity__code="CIS").first()
        expected["system_name"] = system.name_ja if system else None
        for field, value in expected.items():
            if got[key][field] != value:
                mismatches.append(
                    f"{key} {account}@{when.isoformat()} {field}: {got[key][field]!r} != {value!r}"
                )
    assert not mismatches, "\n".join(mismatches[:20])
    # The sample reaches the interesting states (else the comparison would prove little).
    values = {
        field: {row[field] for row in got.values()}
        for field in ("person_status", "terminal_status", "net_segment")
    }
    assert {"active", "on_leave", "retired"} <= values["person_status"]
    assert {"in_use", "lent"} <= values["terminal_status"]
    assert {"10.0.0.0/8", "10.20.0.0/16", "192.168.5.0/24", None} <= values["net_segment"]

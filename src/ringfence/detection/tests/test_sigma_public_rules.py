"""Rules written the way public Sigma rules are (Windows Security taxonomy), run through
DEFAULT_FIELD_MAPPING against our columns and the ``extra`` JSON the Windows parser fills."""

from __future__ import annotations

import duckdb

from ringfence.detection.sigma import CompileContext, compile_detection, parse_rules
from ringfence.detection.tests.sigma_support import columns_of, table

RDP_FROM_OUTSIDE = """
title: Remote desktop logon from outside the T&D office network
id: 0b8f3a52-6f57-4c1e-9d43-1f0f7d6a0c11
status: experimental
description: An interactive remote logon (type 10) whose source address is not in the office ranges.
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
    LogonType: 10
  office:
    IpAddress|cidr:
      - '10.1.0.0/16'
      - 'fd00:1::/48'
  machine_accounts:
    TargetUserName|endswith: '$'
  condition: selection and not office and not machine_accounts
falsepositives:
  - Administrators working from home over the VPN pool
level: medium
"""

FAILED_ADMIN = """
title: Failed logon to an administrator account with a wrong password
id: 2d4c7a10-3b8e-4f6a-a1c2-55e0d4b7e912
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4625
    Status|re|i: '^0xc000006[ad]$'
    TargetUserName|startswith:
      - 'adm-'
      - 'administrator'
  workstation:
    WorkstationName|contains: 'PC'
  condition: selection and workstation
level: high
"""


def logon(
    event_id: int, logon_type: str | None, user: str, ip: str | None, **extra: str
) -> dict[str, object]:
    data: dict[str, object] = {"EventID": event_id, **extra}
    if logon_type is not None:
        data["LogonType"] = logon_type
    return {"account": user, "src_ip": ip, "extra": data}


def run(rule_yaml: str, rows: list[dict[str, object]]) -> list[str]:
    (rule,) = parse_rules(rule_yaml, "public.yml")
    arrow = table(rows)
    compiled = compile_detection(rule, CompileContext(columns=columns_of(arrow)))  # type: ignore[arg-type]
    con = duckdb.connect()
    con.register("t", arrow)
    return [
        r[0]
        for r in con.execute(
            f"SELECT event_id FROM t WHERE {compiled.where_sql} ORDER BY event_id"
        ).fetchall()
    ]


def test_rdp_from_outside_uses_mapped_columns_and_extra():
    rows = [
        logon(4624, "10", "1002849", "203.0.113.7"),  # e0: outside → match
        logon(4624, "10", "1002849", "10.1.80.13"),  # e1: office IPv4
        logon(4624, "10", "1002849", "fd00:1:0:5::20"),  # e2: office IPv6
        logon(4624, "3", "1002849", "203.0.113.7"),  # e3: network logon
        logon(4624, "10", "TDB101-0001$", "203.0.113.7"),  # e4: machine account
        logon(4634, "10", "1002849", "203.0.113.7"),  # e5: logoff
        logon(4624, "10", "1002849", None),  # e6: no address: not in the office ranges → match
    ]
    assert run(RDP_FROM_OUTSIDE, rows) == ["e0", "e6"]


def test_failed_admin_logon_with_regex_and_lists():
    rows = [
        {**logon(4625, None, "ADM-tanaka", None, Status="0xC000006A"), "src_host": "TD-PC-01"},  # e0
        {**logon(4625, None, "administrator", None, Status="0xc000006d"), "src_host": "td-pc-02"},  # e1
        {**logon(4625, None, "tanaka", None, Status="0xc000006a"), "src_host": "TD-PC-01"},  # e2: not admin
        {**logon(4625, None, "adm-sato", None, Status="0xc0000234"), "src_host": "TD-PC-01"},  # e3: locked
        {**logon(4625, None, "adm-sato", None, Status="0xc000006a"), "src_host": "SRV-01"},  # e4: server
    ]
    assert run(FAILED_ADMIN, rows) == ["e0", "e1"]


def test_a_custom_mapping_replaces_the_default():
    (rule,) = parse_rules(FAILED_ADMIN, "public.yml")
    arrow = table([])
    ctx = CompileContext(columns=columns_of(arrow), field_mapping={"TargetUserName": "target_account"})
    compiled = compile_detection(rule, ctx)  # type: ignore[arg-type]
    # target_account is not a column of this relation, so the name is looked up in extra
    assert "'$.\"TargetUserName\"'" in compiled.where_sql
    assert "WorkstationName" in compiled.where_sql and '"src_host"' not in compiled.where_sql

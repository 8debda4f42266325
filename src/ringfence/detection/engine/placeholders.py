"""Values for Sigma's ``expand`` modifier (``%name%``), computed from a registry snapshot.

A small, documented set (docs/detection.md), each as of the snapshot's ``known_at`` (the registry as it is
now — a rule that needs the state at the event's time reads the enriched fields instead):

own_employees            employee numbers of own employees who are active or on leave
own_employee_accounts    account IDs (lower case) currently owned by those people
affiliate_people         employee numbers of the affiliated retailer's staff (employment type affiliate)
affiliate_zones          zone codes of kind affiliate
affiliate_segments       CIDRs of network segments in affiliate zones
td_only_zones            zone codes reserved to the T&D business (kind td_only)
non_public_systems       codes of systems holding non-public information
shared_accounts, service_accounts, emergency_accounts   account IDs (lower case) of those kinds
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# name -> (registry table, SQL over it as `t` returning one column of values)
_CURRENT = "t.valid_to IS NULL"
_OWN = "employment_type = 'own_employee' AND status IN ('active', 'on_leave')"
QUERIES: dict[str, tuple[str, str]] = {
    "own_employees": ("people", f"SELECT employee_number FROM t WHERE {_CURRENT} AND {_OWN}"),
    "own_employee_accounts": (
        "accounts",
        (
            "SELECT DISTINCT lower(t.account_id) FROM t JOIN people p ON p.employee_number = t.owner_employee_number "
            "AND p.valid_to IS NULL AND p.employment_type = 'own_employee' AND p.status IN ('active', 'on_leave') "
            f"WHERE {_CURRENT} AND t.status <> 'deleted'"
        ),
    ),
    "affiliate_people": (
        "people",
        f"SELECT employee_number FROM t WHERE {_CURRENT} AND employment_type = 'affiliate'",
    ),
    "affiliate_zones": ("zones", f"SELECT zone_code FROM t WHERE {_CURRENT} AND kind = 'affiliate'"),
    "affiliate_segments": (
        "network_segments",
        (
            "SELECT t.cidr FROM t JOIN zones z ON z.zone_code = t.zone_code AND z.valid_to IS NULL "
            f"WHERE {_CURRENT} AND z.kind = 'affiliate'"
        ),
    ),
    "td_only_zones": ("zones", f"SELECT zone_code FROM t WHERE {_CURRENT} AND kind = 'td_only'"),
    "non_public_systems": ("systems", f"SELECT system_code FROM t WHERE {_CURRENT} AND holds_non_public"),
    "shared_accounts": (
        "accounts",
        f"SELECT DISTINCT lower(account_id) FROM t WHERE {_CURRENT} AND kind = 'shared'",
    ),
    "service_accounts": (
        "accounts",
        f"SELECT DISTINCT lower(account_id) FROM t WHERE {_CURRENT} AND kind = 'service'",
    ),
    "emergency_accounts": (
        "accounts",
        f"SELECT DISTINCT lower(account_id) FROM t WHERE {_CURRENT} AND kind = 'emergency_temporary'",
    ),
}
PLACEHOLDER_NAMES = tuple(QUERIES)


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def registry_placeholders(snapshot_dir: Path) -> dict[str, tuple[str, ...]]:
    """Every placeholder's values (sorted, distinct) from the Parquet tables in ``snapshot_dir``."""
    con = duckdb.connect()
    try:
        for table in ("people", "accounts", "zones", "network_segments", "systems"):
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet({_sql_path(snapshot_dir / f'{table}.parquet')})"
            )
        values: dict[str, tuple[str, ...]] = {}
        for name, (table, sql) in QUERIES.items():
            query = f"WITH t AS (SELECT * FROM {table}) SELECT DISTINCT v FROM ({sql}) AS q(v) WHERE v IS NOT NULL"
            values[name] = tuple(sorted(str(row[0]) for row in con.execute(query).fetchall()))
        return values
    finally:
        con.close()

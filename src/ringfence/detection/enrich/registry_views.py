"""The registry snapshot inside a DuckDB connection: ``reg_*`` views and pre-joined *timelines*.

A timeline is a small table of non-overlapping intervals ``[vf, vt)`` per key (``vt`` is ``'infinity'`` for an
open end), each carrying everything enrichment needs about that key during the interval. Events then find
their registry facts with one hash join per lookup — ``key = key AND time >= vf AND time < vt`` — which
matches at most one row (the intervals do not overlap), never explodes rows and needs no sort of the events.

Timelines are built from the registry's versions by :func:`pick_timeline`: cut the key's time axis at every
candidate's start and end, and keep for each elementary interval the best candidate covering it. Joins of
two histories (an account and its owner's person versions) become candidates too: the pair's intersection
ranks above the left side alone, so the gaps where the right side has no version keep the left side's
facts with NULLs for the right. Everything here works on the registry's size (thousands of rows), once per
connection.

Timelines (TEMP tables, documented in docs/detection-fields.md):
- ``rf_person_tl``   employee_number → person version + unit name
- ``rf_ent_tl``      (system_code, employee_number) → highest level and the grants (direct or via job roles)
- ``rf_account_tl``  (system_code, account_key) → account + owner's person + owner's entitlements
- ``rf_terminal_tl`` / ``rf_terminal_by_host`` / ``rf_terminal_by_ip`` → terminal + room + zone
- ``rf_net_tl``      IPv4 elementary ranges (split at /16 blocks) → longest-prefix segment + zone
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import duckdb

from .fields import LEVELS

INF = "'infinity'::TIMESTAMPTZ"
ATTACHED_MARKER = "rf_registry_attached"
# The tables of ringfence.registry.lake_export (not imported: this module must load without Django models).
REGISTRY_TABLES = (
    "people",
    "units",
    "unit_responsibilities",
    "role_memberships",
    "entitlements",
    "accounts",
    "systems",
    "terminals",
    "rooms",
    "zones",
    "network_segments",
)


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _open_end(column: str) -> str:
    return f"coalesce({column}, {INF})"


def _level_rank(column: str) -> str:
    whens = " ".join(f"WHEN {_sql_string(level)} THEN {rank}" for rank, level in enumerate(LEVELS, start=1))
    return f"CASE {column} {whens} END"


MACROS = (
    # Accounts match case-insensitively, without a Windows domain prefix (DOMAIN\user) or a UPN suffix
    # (user@domain): sources spell the same ID all three ways. The regular expressions run only on values
    # holding either separator (this is evaluated for every event).
    r"""CREATE OR REPLACE TEMP MACRO rf_account_key(a) AS
        nullif(lower(trim(CASE WHEN contains(a, '\') OR contains(a, '@')
            THEN regexp_replace(regexp_replace(a, '^.*\\', ''), '@.*$', '') ELSE a END)), '')""",
    # A dotted IPv4 address as an integer, NULL for anything else (IPv6, names, leading zeros).
    r"""CREATE OR REPLACE TEMP MACRO rf_ipv4(s) AS
        CASE WHEN regexp_full_match(s, '((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)')
        THEN split_part(s, '.', 1)::BIGINT * 16777216 + split_part(s, '.', 2)::BIGINT * 65536
             + split_part(s, '.', 3)::BIGINT * 256 + split_part(s, '.', 4)::BIGINT END""",
    # Host names match case-insensitively on their first label (PC-01 = pc-01.corp.example). A name whose
    # first label is a number is an address written as a host name: no key (addresses match by src_ip).
    r"""CREATE OR REPLACE TEMP MACRO rf_host_key(h) AS
        CASE WHEN TRY_CAST(split_part(trim(h), '.', 1) AS BIGINT) IS NULL
             THEN nullif(lower(split_part(trim(h), '.', 1)), '') END""",
    "CREATE OR REPLACE TEMP MACRO rf_tag_key(t) AS nullif(lower(trim(t)), '')",
)


def pick_timeline(candidates: str, keys: Sequence[str], order: str) -> str:
    """SQL of a non-overlapping timeline per ``keys`` from ``candidates`` (columns: keys, vf, vt, payload).

    ``order`` ranks candidates covering the same elementary interval (first wins). The result has the
    candidates' columns, with vf/vt replaced by the elementary interval's bounds.
    """
    k = ", ".join(keys)
    sk = ", ".join(f"s.{key}" for key in keys)
    on = " AND ".join(f"c.{key} = s.{key}" for key in keys)
    return f"""
WITH c AS ({candidates}),
pts AS (SELECT {k}, vf AS t FROM c UNION SELECT {k}, vt AS t FROM c),
segs AS (SELECT {k}, t AS seg_from, lead(t) OVER (PARTITION BY {k} ORDER BY t) AS seg_to FROM pts),
ranked AS (
    SELECT s.seg_from, s.seg_to, c.*,
           row_number() OVER (PARTITION BY {sk}, s.seg_from ORDER BY {order}) AS rf_rank
    FROM segs s JOIN c ON {on} AND c.vf <= s.seg_from AND c.vt >= s.seg_to
    WHERE s.seg_to IS NOT NULL
)
SELECT * EXCLUDE (rf_rank, vf, vt, seg_from, seg_to), seg_from AS vf, seg_to AS vt
FROM ranked WHERE rf_rank = 1
"""


def _overlap(left: str, right: str) -> str:
    """Join condition: the validity intervals of two aliases (columns vf/vt, open end infinity) overlap."""
    return f"{right}.vf < {left}.vt AND {left}.vf < {right}.vt"


def _person_timeline() -> str:
    people = f"""SELECT employee_number, valid_from AS vf, {_open_end("valid_to")} AS vt, employment_type,
        status, employer, unit_code, job_title FROM reg_people WHERE employee_number IS NOT NULL"""
    units = f"SELECT unit_code, name, valid_from AS vf, {_open_end('valid_to')} AS vt FROM reg_units"
    candidates = f"""
SELECT p.*, NULL::VARCHAR AS unit_name, 0 AS prio FROM ({people}) p
UNION ALL BY NAME
SELECT p.* EXCLUDE (vf, vt), greatest(p.vf, u.vf) AS vf, least(p.vt, u.vt) AS vt, u.name AS unit_name,
       1 AS prio
FROM ({people}) p JOIN ({units}) u ON u.unit_code = p.unit_code AND {_overlap("p", "u")}"""
    return pick_timeline(candidates, ["employee_number"], "prio DESC, vf DESC")


def _entitlement_timeline() -> str:
    """Per (system, person): the highest level of every grant in force, direct or through role memberships."""
    grants = f"""
SELECT system_code, employee_number, lower(coalesce(function, '*')) AS function, {_level_rank("level")} AS rank,
       valid_from AS vf, {_open_end("valid_to")} AS vt
FROM reg_entitlements WHERE employee_number IS NOT NULL
UNION ALL BY NAME
SELECT e.system_code, m.employee_number, lower(coalesce(e.function, '*')) AS function,
       {_level_rank("e.level")} AS rank, greatest(e.valid_from, m.valid_from) AS vf,
       least({_open_end("e.valid_to")}, {_open_end("m.valid_to")}) AS vt
FROM reg_entitlements e JOIN reg_role_memberships m
  ON m.role_code = e.role_code AND m.valid_from < {_open_end("e.valid_to")}
     AND e.valid_from < {_open_end("m.valid_to")}
WHERE e.role_code IS NOT NULL AND m.employee_number IS NOT NULL"""
    return f"""
WITH g AS ({grants}),
pts AS (SELECT system_code, employee_number, vf AS t FROM g UNION SELECT system_code, employee_number, vt FROM g),
segs AS (SELECT system_code, employee_number, t AS vf,
                lead(t) OVER (PARTITION BY system_code, employee_number ORDER BY t) AS vt FROM pts)
SELECT s.system_code, s.employee_number, s.vf, s.vt,
       max(g.rank) AS ent_max_rank,
       max(g.rank) FILTER (WHERE g.function = '*') AS ent_star_rank,
       bool_or(g.function <> '*') AS ent_has_functions,
       list(struct_pack(function := g.function, rank := g.rank)) AS ent_grants
FROM segs s JOIN g ON g.system_code = s.system_code AND g.employee_number = s.employee_number
     AND g.vf <= s.vf AND g.vt >= s.vt
WHERE s.vt IS NOT NULL
GROUP BY ALL
"""


def _account_timelines() -> list[tuple[str, str]]:
    """Accounts, then accounts with their owner's person facts, then with the owner's entitlements."""
    accounts = f"""
SELECT system_code, rf_account_key(account_id) AS account_key, account_id, owner_employee_number AS owner,
       kind, status, privilege, valid_from AS vf, {_open_end("valid_to")} AS vt
FROM reg_accounts WHERE rf_account_key(account_id) IS NOT NULL"""
    # Two registry IDs that differ only in case or domain fold into one key: the newest version wins.
    step_a = pick_timeline(accounts, ["system_code", "account_key"], "vf DESC, account_id")
    with_person = f"""
SELECT a.*, FALSE AS person_known, NULL::VARCHAR AS employment_type, NULL::VARCHAR AS person_status,
       NULL::VARCHAR AS employer, NULL::VARCHAR AS unit_code, NULL::VARCHAR AS unit_name,
       NULL::VARCHAR AS job_title, 0 AS prio
FROM rf_account_a a
UNION ALL BY NAME
SELECT a.* EXCLUDE (vf, vt), greatest(a.vf, p.vf) AS vf, least(a.vt, p.vt) AS vt, TRUE AS person_known,
       p.employment_type, p.status AS person_status, p.employer, p.unit_code, p.unit_name, p.job_title,
       1 AS prio
FROM rf_account_a a JOIN rf_person_tl p ON p.employee_number = a.owner AND {_overlap("a", "p")}"""
    step_ap = pick_timeline(with_person, ["system_code", "account_key"], "prio DESC")
    with_grants = f"""
SELECT a.* EXCLUDE (prio), NULL::INTEGER AS ent_max_rank, NULL::INTEGER AS ent_star_rank,
       NULL::BOOLEAN AS ent_has_functions, NULL::STRUCT(function VARCHAR, rank INTEGER)[] AS ent_grants,
       0 AS prio
FROM rf_account_ap a
UNION ALL BY NAME
SELECT a.* EXCLUDE (prio, vf, vt), greatest(a.vf, e.vf) AS vf, least(a.vt, e.vt) AS vt, e.ent_max_rank,
       e.ent_star_rank, e.ent_has_functions, e.ent_grants, 1 AS prio
FROM rf_account_ap a JOIN rf_ent_tl e
  ON e.system_code = a.system_code AND e.employee_number = a.owner AND {_overlap("a", "e")}"""
    step_ape = pick_timeline(with_grants, ["system_code", "account_key"], "prio DESC")
    return [("rf_account_a", step_a), ("rf_account_ap", step_ap), ("rf_account_tl", step_ape)]


def _terminal_timelines() -> list[tuple[str, str]]:
    terminals = f"""
SELECT rf_tag_key(asset_tag) AS tag_key, asset_tag, rf_host_key(hostname) AS host_key, trim(ip_address) AS ip,
       status, coalesce(lent_to_employee_number, lent_to) AS lent_to, room_code, assigned_employee_number,
       valid_from AS vf, {_open_end("valid_to")} AS vt
FROM reg_terminals WHERE rf_tag_key(asset_tag) IS NOT NULL"""
    rooms = f"SELECT room_code, zone_code, valid_from AS vf, {_open_end('valid_to')} AS vt FROM reg_rooms"
    zones = f"SELECT zone_code, kind, valid_from AS vf, {_open_end('valid_to')} AS vt FROM reg_zones"
    with_room = f"""
SELECT t.*, NULL::VARCHAR AS zone_code, 0 AS prio FROM ({terminals}) t
UNION ALL BY NAME
SELECT t.* EXCLUDE (vf, vt), greatest(t.vf, r.vf) AS vf, least(t.vt, r.vt) AS vt, r.zone_code, 1 AS prio
FROM ({terminals}) t JOIN ({rooms}) r ON r.room_code = t.room_code AND {_overlap("t", "r")}"""
    with_zone = f"""
SELECT t.* EXCLUDE (prio), NULL::VARCHAR AS zone_kind, 0 AS prio FROM rf_terminal_r t
UNION ALL BY NAME
SELECT t.* EXCLUDE (prio, vf, vt), greatest(t.vf, z.vf) AS vf, least(t.vt, z.vt) AS vt, z.kind AS zone_kind, 1 AS prio
FROM rf_terminal_r t JOIN ({zones}) z ON z.zone_code = t.zone_code AND {_overlap("t", "z")}"""
    by_tag = pick_timeline(with_zone, ["tag_key"], "prio DESC, vf DESC, asset_tag")
    # Two terminals with one host name or address at once (a ledger error): the newest registration wins.
    by_host = pick_timeline(
        "SELECT * EXCLUDE (prio) FROM rf_terminal_tl WHERE host_key IS NOT NULL",
        ["host_key"],
        "vf DESC, asset_tag",
    )
    by_ip = pick_timeline(
        "SELECT * EXCLUDE (prio) FROM rf_terminal_tl WHERE ip IS NOT NULL AND ip <> ''",
        ["ip"],
        "vf DESC, asset_tag",
    )
    return [
        ("rf_terminal_r", pick_timeline(with_room, ["tag_key"], "prio DESC, vf DESC, asset_tag")),
        ("rf_terminal_tl", by_tag),
        ("rf_terminal_by_host", by_host),
        ("rf_terminal_by_ip", by_ip),
    ]


def _network_timeline() -> list[tuple[str, str]]:
    segments = f"""
SELECT cidr, prefix_length, range_start_v4 AS lo, range_end_v4 AS hi, zone_code, valid_from AS vf,
       {_open_end("valid_to")} AS vt
FROM reg_network_segments WHERE range_start_v4 IS NOT NULL AND range_end_v4 IS NOT NULL"""
    zones = f"SELECT zone_code, kind, valid_from AS vf, {_open_end('valid_to')} AS vt FROM reg_zones"
    with_zone = f"""
SELECT n.*, NULL::VARCHAR AS zone_kind, 0 AS prio FROM ({segments}) n
UNION ALL BY NAME
SELECT n.* EXCLUDE (vf, vt), greatest(n.vf, z.vf) AS vf, least(n.vt, z.vt) AS vt, z.kind AS zone_kind, 1 AS prio
FROM ({segments}) n JOIN ({zones}) z ON z.zone_code = n.zone_code AND {_overlap("n", "z")}"""
    # Split every segment at /16 block boundaries (hash key of the event join), then into elementary address
    # ranges inside a block: each elementary range is covered entirely or not at all by every segment.
    elementary = """
WITH pieces AS (
    SELECT * EXCLUDE (lo, hi), greatest(lo, block * 65536) AS lo, least(hi, block * 65536 + 65535) AS hi
    FROM (SELECT *, unnest(generate_series(lo // 65536, hi // 65536)) AS block FROM rf_net_z)
),
bounds AS (SELECT block, lo AS p FROM pieces UNION SELECT block, hi + 1 FROM pieces),
elem AS (SELECT block, p AS lo, lead(p) OVER (PARTITION BY block ORDER BY p) - 1 AS hi FROM bounds)
SELECT e.block, e.lo AS ip_lo, e.hi AS ip_hi, p.cidr, p.prefix_length, p.zone_code, p.zone_kind, p.vf, p.vt
FROM elem e JOIN pieces p ON p.block = e.block AND p.lo <= e.lo AND p.hi >= e.hi
WHERE e.hi IS NOT NULL"""
    return [
        ("rf_net_z", pick_timeline(with_zone, ["cidr"], "prio DESC, vf DESC")),
        ("rf_net_tl", pick_timeline(elementary, ["block", "ip_lo", "ip_hi"], "prefix_length DESC, vf DESC")),
    ]


def timeline_statements() -> list[tuple[str, str]]:
    """(table name, SELECT) of every timeline, in dependency order."""
    return [
        ("rf_person_tl", _person_timeline()),
        ("rf_ent_tl", _entitlement_timeline()),
        *_account_timelines(),
        *_terminal_timelines(),
        *_network_timeline(),
    ]


def attached_snapshot(con: duckdb.DuckDBPyConnection) -> str | None:
    """The snapshot folder attached to this connection, if any."""
    try:
        row = con.execute(f"SELECT snapshot FROM {ATTACHED_MARKER}").fetchone()
    except duckdb.CatalogException:
        return None
    return str(row[0]) if row else None


def attach_registry(con: duckdb.DuckDBPyConnection, snapshot_dir: Path) -> None:
    """Create views ``reg_<table>`` over the snapshot's Parquet files and the timelines built from them.

    Idempotent per connection: attaching the snapshot already attached does nothing; another snapshot
    replaces the views and timelines.
    """
    snapshot_dir = Path(snapshot_dir).resolve()
    if attached_snapshot(con) == str(snapshot_dir):
        return
    try:
        manifest = json.loads((snapshot_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{snapshot_dir}: not a registry snapshot ({exc})") from exc
    missing = [name for name in REGISTRY_TABLES if name not in manifest.get("tables", {})]
    if missing:
        raise ValueError(f"{snapshot_dir}: registry snapshot lacks tables {', '.join(missing)}")
    for name in REGISTRY_TABLES:
        path = snapshot_dir / manifest["tables"][name]["file"]
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW reg_{name} AS SELECT * FROM read_parquet({_sql_string(str(path))})"
        )
    for macro in MACROS:
        con.execute(macro)
    for table, select in timeline_statements():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ATTACHED_MARKER} AS SELECT {_sql_string(str(snapshot_dir))} AS snapshot"
    )

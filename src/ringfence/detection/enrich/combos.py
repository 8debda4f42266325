"""Registry facts per *combination* of an event's identifying fields, so each event needs one join.

Millions of events carry only tens of thousands of distinct (system, account, terminal, src_host, src_ip)
combinations. For each combination this builds, inside the query, a partition of the whole time axis into
pieces with constant facts: the account's (owner, person, entitlements), the terminal's (by tag, else host
name, else address) and the network segment's, plus the first-seen times and baselines that follow from
them. Every event then finds its piece with one hash join on the five fields (NULL-safe) and
``time >= vf AND time < vt``; the pieces of one combination never overlap, so an event matches exactly one.

Each side is first made a full partition (a default candidate over (-infinity, infinity) with NULL facts
ranks below every registry candidate), so the three sides intersect with a plain overlap join.
"""

from __future__ import annotations

from .registry_views import pick_timeline

NEG_INF = "'-infinity'::TIMESTAMPTZ"
POS_INF = "'infinity'::TIMESTAMPTZ"
KEY_FIELDS = ("system", "account", "terminal", "src_host", "src_ip")


def same_combo(left: str, right: str) -> str:
    """NULL-safe equality of the five identifying fields of two aliases (a hash-join condition)."""
    return " AND ".join(f"{left}.{f} IS NOT DISTINCT FROM {right}.{f}" for f in KEY_FIELDS)


def _default(columns: str) -> str:
    """The lowest-ranked candidate of every combination: no facts, all of time."""
    return f"SELECT cid, {NEG_INF} AS vf, {POS_INF} AS vt, 0 AS prio{columns} FROM combos"


def _account_side() -> str:
    found = """
SELECT k.cid, a.vf, a.vt, 1 AS prio, TRUE AS acc_found, a.owner, a.kind AS acc_kind, a.status AS acc_status,
       a.privilege, a.person_known, a.employment_type, a.person_status, a.employer, a.unit_code, a.unit_name,
       a.job_title, a.ent_max_rank, a.ent_star_rank, a.ent_has_functions, a.ent_grants
FROM combos k JOIN rf_account_tl a ON a.system_code = k.system AND a.account_key = k.akey"""
    return pick_timeline(
        f"{found}\nUNION ALL BY NAME\n{_default(', FALSE AS acc_found')}", ["cid"], "prio DESC"
    )


def _terminal_side() -> str:
    columns = (
        "t.asset_tag, t.status AS term_status, t.lent_to, t.room_code, t.zone_code AS term_zone, "
        "t.zone_kind AS term_zone_kind, t.assigned_employee_number"
    )
    by_tag = f"SELECT k.cid, t.vf, t.vt, 3 AS prio, {columns} FROM combos k JOIN rf_terminal_tl t ON t.tag_key = k.tkey"
    by_host = f"SELECT k.cid, t.vf, t.vt, 2 AS prio, {columns} FROM combos k JOIN rf_terminal_by_host t ON t.host_key = k.hkey"
    by_ip = f"SELECT k.cid, t.vf, t.vt, 1 AS prio, {columns} FROM combos k JOIN rf_terminal_by_ip t ON t.ip = k.ip"
    candidates = "\nUNION ALL BY NAME\n".join((by_tag, by_host, by_ip, _default("")))
    return pick_timeline(candidates, ["cid"], "prio DESC")


def _network_side() -> str:
    found = """
SELECT k.cid, n.vf, n.vt, 1 AS prio, n.cidr, n.zone_code AS net_zone, n.zone_kind AS net_zone_kind
FROM (SELECT cid, rf_ipv4(ip) AS ip_int FROM combos WHERE ip IS NOT NULL) k
JOIN rf_net_tl n ON n.block = k.ip_int // 65536 AND k.ip_int BETWEEN n.ip_lo AND n.ip_hi"""
    return pick_timeline(f"{found}\nUNION ALL BY NAME\n{_default('')}", ["cid"], "prio DESC")


def facts_ctes(
    base: str,
    history_first_sys: str | None = None,
    history_first_term: str | None = None,
    baselines: str | None = None,
) -> str:
    """``WITH …`` clauses ending in ``facts``: per combination and piece of time, everything but the calendar.

    ``base`` is the relation of events (with ``day``); ``history_first_*`` are tables of earlier first times
    (system, rf_akey[, term_key], first_time); ``baselines`` the prefix of the baseline tables.
    """
    first_sys_union = (
        f"UNION ALL SELECT system, rf_akey AS akey, first_time FROM {history_first_sys}"
        if history_first_sys
        else ""
    )
    first_term_union = (
        f"UNION ALL SELECT system, rf_akey AS akey, term_key, first_time FROM {history_first_term}"
        if history_first_term
        else ""
    )
    if baselines:
        baseline_columns = "greatest(bhp.p95, bhu.p95)::DOUBLE AS baseline_hourly, greatest(bdp.p95, bdu.p95)::DOUBLE AS baseline_daily"
        baseline_joins = f"""
LEFT JOIN {baselines}__hourly_person bhp ON bhp.owner = p.owner
LEFT JOIN {baselines}__hourly_unit bhu ON bhu.unit_code = p.unit_code
LEFT JOIN {baselines}__daily_person bdp ON bdp.owner = p.owner
LEFT JOIN {baselines}__daily_unit bdu ON bdu.unit_code = p.unit_code"""
    else:
        baseline_columns = "NULL::DOUBLE AS baseline_hourly, NULL::DOUBLE AS baseline_daily"
        baseline_joins = ""
    fields = ", ".join(KEY_FIELDS)
    return f"""WITH raw AS MATERIALIZED (
    SELECT {fields}, day, min("time") AS t FROM {base} GROUP BY ALL
),
combos AS MATERIALIZED (
    SELECT *, row_number() OVER () AS cid, rf_account_key(account) AS akey, rf_tag_key(terminal) AS tkey,
           rf_host_key(src_host) AS hkey, nullif(trim(src_ip), '') AS ip
    FROM (SELECT DISTINCT {fields} FROM raw)
),
acct AS ({_account_side()}),
term AS ({_terminal_side()}),
net AS ({_network_side()}),
pieces AS MATERIALIZED (
    SELECT a.cid, greatest(a.vf, t.vf, n.vf) AS vf, least(a.vt, t.vt, n.vt) AS vt,
           a.* EXCLUDE (cid, vf, vt, prio), t.* EXCLUDE (cid, vf, vt, prio), n.* EXCLUDE (cid, vf, vt, prio)
    FROM acct a
    JOIN term t ON t.cid = a.cid AND t.vf < a.vt AND a.vf < t.vt
    JOIN net n ON n.cid = a.cid AND n.vf < least(a.vt, t.vt) AND greatest(a.vf, t.vf) < n.vt
),
-- The earliest event of each combination per day, with the terminal (or address) it resolves to then.
raw_keys AS (
    SELECT k.system, k.akey, coalesce(p.asset_tag, k.ip) AS term_key, r.t
    FROM raw r JOIN combos k ON {same_combo("k", "r")}
    JOIN pieces p ON p.cid = k.cid AND r.t >= p.vf AND r.t < p.vt
    WHERE k.akey IS NOT NULL
),
first_sys AS (
    SELECT system, akey, min(first_time) AS first_time
    FROM (SELECT system, akey, t AS first_time FROM raw_keys {first_sys_union}) GROUP BY ALL
),
first_term AS (
    SELECT system, akey, term_key, min(first_time) AS first_time
    FROM (SELECT system, akey, term_key, t AS first_time FROM raw_keys WHERE term_key IS NOT NULL
          {first_term_union}) GROUP BY ALL
),
facts AS MATERIALIZED (
    SELECT k.system, k.account, k.terminal, k.src_host, k.src_ip, p.*, fsy.first_time AS first_sys_time,
           fst.first_time AS first_term_time, {baseline_columns}
    FROM pieces p JOIN combos k ON k.cid = p.cid
    LEFT JOIN first_sys fsy ON fsy.system = k.system AND fsy.akey = k.akey
    LEFT JOIN first_term fst ON fst.system = k.system AND fst.akey = k.akey
         AND fst.term_key = coalesce(p.asset_tag, k.ip)
    {baseline_joins}
)
"""

"""The ``cidr`` modifier as portable SQL (DuckDB and Spark), without IP functions or extensions.

IPv4 networks become one anchored regular expression over the dotted-decimal text (RE2 runs it as an
automaton, so a list of networks costs about as much as one). IPv6 addresses have too many textual forms for
that: the address is turned into the zero-padded hex of its groups after undoing ``::`` compression, whose
lexicographic order is the numeric order, and a network is a BETWEEN of two such strings; only as many groups as
the prefix needs are rebuilt. Not recognised (no match): IPv4-mapped IPv6 written
with a dotted tail (``::ffff:10.0.0.1``) and zone suffixes (``fe80::1%eth0``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from ringfence.detection.sigma.literals import sql_string

_IPV6_SHAPE = r"^[0-9a-f:]+$"


def cidr_sql(text_sql: str, cidr: str) -> str:
    """Boolean SQL: the address in ``text_sql`` (a VARCHAR expression) lies in ``cidr``."""
    return cidrs_sql(text_sql, [cidr])


def cidrs_sql(text_sql: str, cidrs: Sequence[str]) -> str:
    """Boolean SQL: the address lies in any of ``cidrs``; all IPv4 networks share one regular expression."""
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]
    v4 = [n for n in networks if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in networks if isinstance(n, ipaddress.IPv6Network)]
    parts: list[str] = []
    if v4:
        pattern = "^(?:" + "|".join(ipv4_regex(n) for n in v4) + ")$"
        parts.append(f"regexp_matches({text_sql}, {sql_string(pattern)})")
    parts.extend(_ipv6(text_sql, n) for n in v6)
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


_ANY_OCTET = "0*(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"


def ipv4_regex(network: ipaddress.IPv4Network) -> str:
    """A regular expression for the dotted-decimal addresses of ``network`` (leading zeros allowed).

    RE2 runs it as one automaton, whatever the prefix length: the octets the prefix fixes are literals, the
    octet it splits is the alternation of its allowed values, the rest are any octet.
    """
    octets = network.network_address.packed
    whole, rest = divmod(network.prefixlen, 8)
    parts = [f"0*{octets[i]}" for i in range(whole)]
    if whole < 4:
        if rest:
            low = octets[whole]
            high = low | (0xFF >> rest)
            parts.append("0*(?:" + "|".join(str(v) for v in range(low, high + 1)) + ")")
        else:
            parts.append(_ANY_OCTET)
        parts.extend(_ANY_OCTET for _ in range(len(parts), 4))
    return r"\.".join(parts)


def _ipv6(text: str, network: ipaddress.IPv6Network) -> str:
    groups = max(1, -(-network.prefixlen // 16))  # groups the prefix touches (at least one)
    low = network.network_address.exploded.replace(":", "")[: groups * 4]
    high = network.broadcast_address.exploded.replace(":", "")[: groups * 4]
    s = f"lower({text})"
    left, right = f"split_part({s}, '::', 1)", f"split_part({s}, '::', 2)"
    n_left = f"(CASE WHEN {left} = '' THEN 0 ELSE length({left}) - length(replace({left}, ':', '')) + 1 END)"
    n_right = (
        f"(CASE WHEN {right} = '' THEN 0 ELSE length({right}) - length(replace({right}, ':', '')) + 1 END)"
    )
    compressed = f"strpos({s}, '::') > 0"

    def group(i: int) -> str:
        return (
            f"lpad(CASE WHEN NOT ({compressed}) THEN split_part({s}, ':', {i + 1}) "
            f"WHEN {i} < {n_left} THEN split_part({left}, ':', {i + 1}) "
            f"WHEN {i} < 8 - {n_right} THEN '0' "
            f"ELSE split_part({right}, ':', {i + 1} - (8 - {n_right})) END, 4, '0')"
        )

    hex_key = " || ".join(group(i) for i in range(groups))
    # CASE, not AND: DuckDB evaluates every operand of AND on every row, CASE only where the guard holds
    # (2.7 s → 0.16 s over 2M IPv4 rows)
    return (
        f"(CASE WHEN strpos({text}, ':') > 0 THEN regexp_matches({s}, {sql_string(_IPV6_SHAPE)}) "
        f"AND ({hex_key}) BETWEEN {sql_string(low)} AND {sql_string(high)} ELSE FALSE END)"
    )

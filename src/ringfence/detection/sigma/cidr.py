"""The ``cidr`` modifier as portable SQL (DuckDB and Spark), without IP functions or extensions.

An address is turned into a fixed-width string whose lexicographic order is the numeric order of the
address: IPv4 as four zero-padded 3-digit octets, IPv6 as the zero-padded hex of its groups after undoing
``::`` compression. A network is then a BETWEEN of two such strings, so /20, /27 or /64 cost the same as /8.
Only as many IPv6 groups as the prefix needs are rebuilt. Not recognised (no match): IPv4-mapped IPv6 written
with a dotted tail (``::ffff:10.0.0.1``) and zone suffixes (``fe80::1%eth0``).
"""

from __future__ import annotations

import ipaddress

from ringfence.detection.sigma.literals import sql_string

_IPV4_SHAPE = r"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$"
_IPV6_SHAPE = r"^[0-9a-f:]+$"


def cidr_sql(text_sql: str, cidr: str) -> str:
    """Boolean SQL: the address in ``text_sql`` (a VARCHAR expression) lies in ``cidr``."""
    network = ipaddress.ip_network(cidr, strict=False)
    if isinstance(network, ipaddress.IPv4Network):
        return _ipv4(text_sql, network)
    return _ipv6(text_sql, network)


def _ipv4(text: str, network: ipaddress.IPv4Network) -> str:
    def key(address: ipaddress.IPv4Address) -> str:
        return "".join(f"{octet:03d}" for octet in address.packed)

    padded = " || ".join(f"lpad(split_part({text}, '.', {n}), 3, '0')" for n in range(1, 5))
    low, high = key(network.network_address), key(network.broadcast_address)
    return (
        f"(regexp_matches({text}, {sql_string(_IPV4_SHAPE)}) "
        f"AND ({padded}) BETWEEN {sql_string(low)} AND {sql_string(high)})"
    )


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
    return (
        f"(strpos({text}, ':') > 0 AND regexp_matches({s}, {sql_string(_IPV6_SHAPE)}) "
        f"AND ({hex_key}) BETWEEN {sql_string(low)} AND {sql_string(high)})"
    )

"""Property tests: the SQL the compiler writes agrees with a Python reference of the Sigma semantics
(wildcards and escaping; CIDR membership against the ipaddress module)."""

from __future__ import annotations

import ipaddress
import re

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sigma.rule import SigmaRule
from sigma.types import SigmaString, SpecialChars

from ringfence.detection.sigma import CompileContext, compile_detection

COLUMNS = {"account": "VARCHAR", "src_ip": "VARCHAR"}
# letters with and without case, SQL LIKE metacharacters, quotes, the Sigma escape and wildcards, kana
ALPHABET = st.sampled_from(list("aAbZ%_'\\*?.\u30a2\u3042 "))


def compiled_where(field: str, value: object) -> str:
    rule = SigmaRule.from_dict(
        {
            "title": "property",
            "name": "property",
            "logsource": {"product": "x"},
            "detection": {"sel": {field: value}, "condition": "sel"},
        }
    )
    return compile_detection(rule, CompileContext(columns=COLUMNS)).where_sql


def reference_regex(value: str) -> re.Pattern[str]:
    """Sigma string semantics in Python: pySigma's parse of escapes, * any run, ? one char, ignore case."""
    parts = []
    for part in SigmaString(value).s:
        if part is SpecialChars.WILDCARD_MULTI:
            parts.append(".*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            parts.append(".")
        else:
            parts.append(re.escape(str(part)))
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def evaluate(where: str, column: str, values: list[str]) -> list[bool]:
    con = duckdb.connect()
    con.register("t", pa.table({"n": list(range(len(values))), column: values}))
    rows = con.execute(f"SELECT n, {where} FROM t ORDER BY n").fetchall()
    return [bool(flag) for _n, flag in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pattern=st.text(ALPHABET, min_size=1, max_size=8),
    values=st.lists(st.text(ALPHABET, max_size=8), max_size=6),
)
def test_wildcard_strings_match_like_the_reference(pattern: str, values: list[str]) -> None:
    regex = reference_regex(pattern)
    # values that the pattern matches by construction, so positive cases are not left to chance
    built = "".join(
        "xy"
        if part is SpecialChars.WILDCARD_MULTI
        else "q"
        if part is SpecialChars.WILDCARD_SINGLE
        else str(part)
        for part in SigmaString(pattern).s
    )
    candidates = [*values, built, built.upper()]
    expected = [regex.fullmatch(v) is not None for v in candidates]
    assert evaluate(compiled_where("account", pattern), "account", candidates) == expected


def ipv6_forms(address: ipaddress.IPv6Address) -> list[str]:
    return [address.compressed, address.exploded, address.exploded.upper(), address.compressed.upper()]


@settings(max_examples=40, deadline=None)
@given(
    net=st.integers(0, 2**32 - 1),
    prefix=st.integers(0, 32),
    offsets=st.lists(st.integers(-(2**20), 2**20), min_size=1, max_size=6),
)
def test_ipv4_cidr_agrees_with_ipaddress(net: int, prefix: int, offsets: list[int]) -> None:
    network = ipaddress.IPv4Network((net, prefix), strict=False)
    base = int(network.network_address)
    addresses = [ipaddress.IPv4Address((base + o) % 2**32) for o in offsets]
    addresses += [network.network_address, network.broadcast_address]
    expected = [a in network for a in addresses]
    got = evaluate(compiled_where("src_ip|cidr", str(network)), "src_ip", [str(a) for a in addresses])
    assert got == expected


@settings(max_examples=30, deadline=None)
@given(
    net=st.integers(0, 2**128 - 1),
    prefix=st.integers(1, 128),
    offsets=st.lists(st.integers(-(2**70), 2**70), min_size=1, max_size=4),
    zero_runs=st.lists(st.integers(0, 7), max_size=3),
)
def test_ipv6_cidr_agrees_with_ipaddress_in_every_textual_form(
    net: int, prefix: int, offsets: list[int], zero_runs: list[int]
) -> None:
    network = ipaddress.IPv6Network((net, prefix), strict=False)
    base = int(network.network_address)
    addresses = [ipaddress.IPv6Address((base + o) % 2**128) for o in offsets]
    for group in zero_runs:  # addresses with runs of zero groups, so `::` appears in different places
        value = base & ~(0xFFFF << (16 * (7 - group))) & ~(0xFFFF << (16 * (6 - group) if group < 7 else 0))
        addresses.append(ipaddress.IPv6Address(value % 2**128))
    addresses.append(network.network_address)
    texts = [form for a in addresses for form in ipv6_forms(a)]
    expected = [a in network for a in addresses for _form in ipv6_forms(a)]
    assert evaluate(compiled_where("src_ip|cidr", str(network)), "src_ip", texts) == expected

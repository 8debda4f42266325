"""One test per Sigma modifier (spec appendix "Modifiers"), each with matching and non-matching rows."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from ringfence.core.errors import BadInput
from ringfence.detection.sigma import SigmaCompileError
from ringfence.detection.tests.sigma_support import compile_text, matching, table


def test_re_is_a_case_sensitive_search():
    rows = [{"message": "export 123 rows"}, {"message": "EXPORT 9 rows"}, {"message": "export rows"}]
    assert matching("sel:\n  message|re: 'export \\d+'\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  message|re: '^export'\ncondition: sel", rows) == ["e0", "e2"]


def test_re_flags_i_m_s():
    rows = [{"message": "first\nSecond line"}, {"message": "second"}]
    assert matching("sel:\n  message|re|i: '^second'\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  message|re|i|m: '^second'\ncondition: sel", rows) == ["e0", "e1"]
    assert matching("sel:\n  message|re: 'first.Second'\ncondition: sel", rows) == []
    assert matching("sel:\n  message|re|s: 'first.Second'\ncondition: sel", rows) == ["e0"]


def test_re_unsupported_by_re2_is_refused_naming_the_line():
    with pytest.raises(BadInput) as caught:
        matching("sel:\n  message|re: '(?<=a)b'\ncondition: sel", [{}])
    assert "test.yml:7" in str(caught.value.problems[0])


def test_cidr_ipv4():
    rows = [{"src_ip": "10.1.2.3"}, {"src_ip": "10.16.0.1"}, {"src_ip": "192.168.1.9"}, {"src_ip": "fe80::1"},
            {"src_ip": None}, {"src_ip": "not an ip"}]  # fmt: skip
    assert matching("sel:\n  src_ip|cidr: 10.0.0.0/12\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  src_ip|cidr: [10.0.0.0/8, 192.168.1.8/31]\ncondition: sel", rows) == [
        "e0",
        "e1",
        "e2",
    ]
    assert matching("sel:\n  src_ip|cidr: 10.0.0.0/8\ncondition: not sel", rows) == ["e2", "e3", "e4", "e5"]


def test_cidr_ipv6_any_textual_form():
    rows = [{"src_ip": "2001:db8::1"}, {"src_ip": "2001:0DB8:0000:0000:0000:0000:0000:0001"},
            {"src_ip": "2001:db9::1"}, {"src_ip": "10.0.0.1"}, {"src_ip": "::1"}]  # fmt: skip
    assert matching("sel:\n  src_ip|cidr: '2001:db8::/32'\ncondition: sel", rows) == ["e0", "e1"]
    assert matching("sel:\n  src_ip|cidr: '::/64'\ncondition: sel", rows) == ["e4"]


def test_exists_true_and_false_on_columns_and_extra():
    rows = [{"account": "a", "extra": {"Status": None}}, {"account": None, "extra": {}}, {"extra": None}]
    assert matching("sel:\n  account|exists: true\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  account|exists: false\ncondition: sel", rows) == ["e1", "e2"]
    assert matching("sel:\n  Status|exists: true\ncondition: sel", rows) == ["e0"]  # key present, JSON null
    assert matching("sel:\n  Nowhere|exists: false\ncondition: sel", rows) == ["e0", "e1", "e2"]


def test_fieldref_equality_and_with_startswith_endswith_contains():
    rows = [{"account": "1001", "terminal_tag": "1001"}, {"account": "1001", "terminal_tag": "PC-1001-A"},
            {"account": "X", "terminal_tag": None}]  # fmt: skip
    assert matching("sel:\n  terminal_tag|fieldref: account\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  terminal_tag|fieldref|contains: account\ncondition: sel", rows) == ["e0", "e1"]
    assert matching("sel:\n  terminal_tag|fieldref|startswith: account\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  terminal_tag|fieldref|endswith: account\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  terminal_tag|fieldref: account\ncondition: not sel", rows) == ["e1", "e2"]


def test_windash_expands_dash_and_slash():
    rows = [{"message": "tool -export"}, {"message": "tool /export"}, {"message": "tool \u2013export"},
            {"message": "tool export"}]  # fmt: skip
    assert matching("sel:\n  message|windash|contains: ' -export'\ncondition: sel", rows) == [
        "e0",
        "e1",
        "e2",
    ]


def test_base64_and_base64offset():
    plain = base64.b64encode(b"secret").decode()
    rows = [{"message": f"data {plain} end"}, {"message": base64.b64encode(b"x secret").decode()},
            {"message": base64.b64encode(b"sec").decode()}]  # fmt: skip
    assert matching("sel:\n  message|base64|contains: secret\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  message|base64offset|contains: secret\ncondition: sel", rows) == ["e0", "e1"]


def test_utf16_wide_encodings_before_base64():
    rows = [{"message": base64.b64encode("secret".encode("utf-16le")).decode()},
            {"message": base64.b64encode("secret".encode("utf-16")).decode()},
            {"message": base64.b64encode("secret".encode("utf-16be")).decode()},
            {"message": base64.b64encode(b"secret").decode()}]  # fmt: skip
    assert matching("sel:\n  message|wide|base64: secret\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  message|utf16le|base64: secret\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  message|utf16|base64: secret\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  message|utf16be|base64: secret\ncondition: sel", rows) == ["e2"]


def test_numeric_comparisons_on_columns_and_extra():
    rows = [{"record_count": 5, "extra": {"Rows": "5"}}, {"record_count": 10, "extra": {"Rows": "10"}},
            {"record_count": None, "extra": {"Rows": "many"}}]  # fmt: skip
    assert matching("sel:\n  record_count|lt: 10\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  record_count|lte: 10\ncondition: sel", rows) == ["e0", "e1"]
    assert matching("sel:\n  record_count|gt: 5\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  record_count|gte: 5\ncondition: sel", rows) == ["e0", "e1"]
    assert matching("sel:\n  Rows|gt: 7\ncondition: sel", rows) == ["e1"]  # text compared as a number
    assert matching("sel:\n  record_count|gte: 5.5\ncondition: sel", rows) == ["e1"]


def test_neq_negates_the_match():
    rows = [{"activity": "view"}, {"activity": "export"}, {"activity": None}]
    assert matching("sel:\n  activity|neq: VIEW\ncondition: sel", rows) == ["e1", "e2"]


def test_expand_placeholder_list_without_size_limit():
    accounts = [f"u{n:05d}" for n in range(5000)]
    rows = [{"account": "U04999"}, {"account": "u5000"}, {"account": None}]
    found = matching(
        "sel:\n  account|expand: '%own_ids%'\ncondition: sel", rows, placeholders={"own_ids": accounts}
    )
    assert found == ["e0"]
    negated = matching(
        "sel:\n  account|expand: '%own_ids%'\ncondition: not sel", rows, placeholders={"own_ids": accounts}
    )
    assert negated == ["e1", "e2"]


def test_expand_inside_a_pattern_and_empty_list():
    rows = [{"src_host": "TD-PC-01"}, {"src_host": "AF-PC-01"}, {"src_host": "XX"}]
    found = matching(
        "sel:\n  src_host|expand: '%prefixes%-*'\ncondition: sel",
        rows,
        placeholders={"prefixes": ["td", "af"]},
    )
    assert found == ["e0", "e1"]
    assert (
        matching("sel:\n  src_host|expand: '%none%'\ncondition: sel", rows, placeholders={"none": []}) == []
    )


def test_expand_unknown_placeholder_names_rule_and_placeholder():
    arrow = table([{}])
    with pytest.raises(SigmaCompileError, match=r"test rule.*%missing_list%"):
        compile_text(
            "sel:\n  account|expand: '%missing_list%'\ncondition: sel", arrow, placeholders={"x": []}
        )


def test_timestamp_part_modifiers():
    rows = [
        {"time": datetime(2026, 10, 14, 1, 30, tzinfo=UTC)},
        {"time": datetime(2026, 10, 15, 13, 5, tzinfo=UTC)},
    ]
    # instants are read in Japan time: 01:30Z is 10:30 JST, 13:05Z is 22:05 JST
    assert matching("sel:\n  time|hour: 22\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  time|hour: 13\ncondition: sel", rows) == []
    assert matching("sel:\n  time|minute: 30\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  time|day: 14\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  time|month: 10\ncondition: sel", rows) == ["e0", "e1"]
    assert matching("sel:\n  time|year: 2026\ncondition: sel", rows) == ["e0", "e1"]


def test_cidr_ipv4_accepts_leading_zeros_and_rejects_invalid_octets():
    rows = [
        {"src_ip": "010.001.002.003"},
        {"src_ip": "10.1.2.256"},
        {"src_ip": "10.1.2"},
        {"src_ip": " 10.1.2.3"},
    ]
    assert matching("sel:\n  src_ip|cidr: 10.0.0.0/8\ncondition: sel", rows) == ["e0"]

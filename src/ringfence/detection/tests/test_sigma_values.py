"""Sigma values and the string modifiers, executed in DuckDB: plain, wildcards, contains/startswith/endswith,
cased, lists, maps, keywords, null, numbers, booleans."""

from __future__ import annotations

from ringfence.detection.tests.sigma_support import compile_text, flag_values, matching, table

ACCOUNTS = [{"account": "Admin01"}, {"account": "admin"}, {"account": "xadmin"}, {"account": None}]


def test_plain_value_is_case_insensitive_whole_match():
    assert matching("sel:\n  account: ADMIN\ncondition: sel", ACCOUNTS) == ["e1"]


def test_cased_value_is_case_sensitive():
    rows = [{"account": "Admin"}, {"account": "admin"}]
    assert matching("sel:\n  account|cased: Admin\ncondition: sel", rows) == ["e0"]


def test_wildcards_star_and_question_mark():
    assert matching("sel:\n  account: 'adm*'\ncondition: sel", ACCOUNTS) == ["e0", "e1"]
    assert matching("sel:\n  account: '?admin'\ncondition: sel", ACCOUNTS) == ["e2"]
    assert matching("sel:\n  account: '*'\ncondition: sel", ACCOUNTS) == ["e0", "e1", "e2"]


def test_escaped_wildcards_and_like_metacharacters_are_literal():
    rows = [
        {"account": "a*b"},
        {"account": "axb"},
        {"account": "a%b"},
        {"account": "a_b"},
        {"account": "a\\b"},
    ]
    assert matching("sel:\n  account: 'a\\*b'\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  account: 'a%b'\ncondition: sel", rows) == ["e2"]
    assert matching("sel:\n  account: 'a_*'\ncondition: sel", rows) == ["e3"]
    assert matching("sel:\n  account: 'a\\\\b'\ncondition: sel", rows) == ["e4"]


def test_contains_startswith_endswith():
    assert matching("sel:\n  account|contains: DMI\ncondition: sel", ACCOUNTS) == ["e0", "e1", "e2"]
    assert matching("sel:\n  account|startswith: admin\ncondition: sel", ACCOUNTS) == ["e0", "e1"]
    assert matching("sel:\n  account|endswith: MIN\ncondition: sel", ACCOUNTS) == ["e1", "e2"]


def test_list_is_or_and_all_is_and():
    rows = [{"message": "alpha beta"}, {"message": "alpha"}, {"message": "gamma"}]
    assert matching("sel:\n  message|contains: [alpha, gamma]\ncondition: sel", rows) == ["e0", "e1", "e2"]
    assert matching("sel:\n  message|contains|all: [alpha, beta]\ncondition: sel", rows) == ["e0"]


def test_map_is_and_list_of_maps_is_or():
    rows = [
        {"account": "a", "system": "CIS"},
        {"account": "a", "system": "MDM"},
        {"account": "b", "system": "MDM"},
    ]
    assert matching("sel:\n  account: a\n  system: mdm\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  - account: b\n  - system: cis\ncondition: sel", rows) == ["e0", "e2"]


def test_keywords_search_raw_and_message():
    rows = [
        {"raw": "GET /export?all=1", "message": "x"},
        {"raw": "x", "message": "Bulk EXPORT"},
        {"raw": "y"},
    ]
    assert matching("kw:\n  - export\ncondition: kw", rows) == ["e0", "e1"]
    assert matching("kw:\n  - 'bulk*'\n  - nothing\ncondition: kw", rows) == ["e1"]


def test_null_matches_missing_and_not_null_value():
    rows = [{"account": None}, {"account": "a"}]
    assert matching("sel:\n  account: null\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  account: null\ncondition: not sel", rows) == ["e1"]


def test_empty_string_is_not_null():
    rows = [{"account": ""}, {"account": None}]
    assert matching("sel:\n  account: ''\ncondition: sel", rows) == ["e0"]


def test_numbers_against_numeric_column_and_text():
    rows = [
        {"record_count": 5, "extra": {"EventID": 4624}},
        {"record_count": 50, "extra": {"EventID": "4625"}},
    ]
    assert matching("sel:\n  record_count: 50\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  EventID: 4624\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  EventID: '4625'\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  record_count: '5'\ncondition: sel", rows) == ["e0"]


def test_booleans_against_boolean_column_and_json():
    rows = [
        {"own_employee": True, "extra": {"flag": True}},
        {"own_employee": False, "extra": {"flag": False}},
        {},
    ]
    assert matching("sel:\n  own_employee: true\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  own_employee: false\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  flag: false\ncondition: sel", rows) == ["e1"]


def test_field_only_in_extra_and_field_nowhere():
    rows = [{"extra": {"Status": "0xC000006D"}}, {"extra": {}}, {"extra": None}]
    assert matching("sel:\n  Status: '0xc000006d'\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  Status: null\ncondition: sel", rows) == ["e1", "e2"]
    assert matching("sel:\n  NoSuchField: x\ncondition: not sel", rows) == ["e0", "e1", "e2"]


def test_result_is_never_null():
    rows = [{"account": None, "extra": None}, {"account": "a"}]
    values = flag_values("sel:\n  account: a\n  Status: x\ncondition: not sel or sel", rows)
    assert values == [True, True]
    assert flag_values("sel:\n  account: a\ncondition: sel", rows) == [False, True]


def test_list_column_matches_any_element():
    rows = [{"record_ids": ["C-1", "C-2"]}, {"record_ids": ["D-9"]}, {"record_ids": None}]
    assert matching("sel:\n  record_ids: c-2\ncondition: sel", rows) == ["e0"]
    assert matching("sel:\n  record_ids|startswith: d-\ncondition: sel", rows) == ["e1"]
    assert matching("sel:\n  record_ids: null\ncondition: sel", rows) == ["e2"]


def test_quotes_in_values_cannot_break_out_of_the_literal():
    rows = [{"account": "o'brien"}, {"account": "x"}]
    assert matching('sel:\n  account: "o\'brien"\ncondition: sel', rows) == ["e0"]
    assert matching("sel:\n  account: \"x' OR '1'='1\"\ncondition: sel", rows) == []


def test_long_value_lists_keep_equality_semantics():
    values = [f"user.{n}" for n in range(80)] + [
        "o'brien (x)",
        "a*b",
    ]  # past the IN-list limit: an alternation
    rows = [{"account": "USER.7"}, {"account": "user.7x"}, {"account": "userx7"}, {"account": "O'Brien (X)"},
            {"account": "a*b"}, {"account": "azb"}, {"account": None}]  # fmt: skip
    listed = "\n".join(f"    - {value!r}" for value in values).replace("'a*b'", "'a\\*b'")
    assert matching(f"sel:\n  account:\n{listed}\ncondition: sel", rows) == ["e0", "e3", "e4"]
    assert matching(f"sel:\n  account|cased:\n{listed}\ncondition: sel", rows) == ["e4"]
    assert matching(f"sel:\n  account:\n{listed}\ncondition: not sel", rows) == ["e1", "e2", "e5", "e6"]


def test_long_pattern_lists_and_expanded_patterns_become_one_alternation_with_the_same_result():
    patterns = [f"*tool{n}.exe" for n in range(60)] + ["report?.csv", "plain"]
    rows = [{"message": "C:\\TOOL7.EXE"}, {"message": "tool7.exe.bak"}, {"message": "REPORT1.csv"},
            {"message": "report12.csv"}, {"message": "Plain"}, {"message": "line\nc:\\tool59.exe"}]  # fmt: skip
    listed = "\n".join(f"    - '{p}'" for p in patterns)
    assert matching(f"sel:\n  message:\n{listed}\ncondition: sel", rows) == ["e0", "e2", "e4", "e5"]
    assert matching(f"sel:\n  message|cased:\n{listed}\ncondition: sel", rows) == ["e5"]
    compiled = compile_text(f"sel:\n  message:\n{listed}\ncondition: sel", table(rows)).where_sql
    assert compiled.count("regexp_matches") == 1 and "LIKE" not in compiled
    hosts = [f"pc{n:03d}" for n in range(70)]
    found = matching(
        "sel:\n  message|expand|contains: '\\\\%hosts%\\\\'\ncondition: sel",
        [{"message": "\\\\PC069\\share"}, {"message": "\\\\pc070\\share"}, {"message": "pc001"}],
        placeholders={"hosts": hosts},
    )
    assert found == ["e0"]


def test_keywords_with_all_modifier_need_every_keyword():
    rows = [{"raw": "export of customer list"}, {"raw": "export only"}, {"message": "CUSTOMER list EXPORT"}]
    assert matching("kw:\n  '|all':\n    - export\n    - customer\ncondition: kw", rows) == ["e0", "e2"]


def test_null_inside_a_value_list():
    rows = [{"account": None}, {"account": "a"}, {"account": "b"}]
    assert matching("sel:\n  account: [null, a]\ncondition: sel", rows) == ["e0", "e1"]

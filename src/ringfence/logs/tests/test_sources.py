"""Source definitions: TOML files, validation that names the file and the key, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.core.errors import BadInput
from ringfence.logs.sources import SourceDefinition, load_source, load_sources

from .samples.support import SOURCES, english

__all__ = ["english"]  # the autouse fixture

GOOD = """
id = "ryokin-access"
system = "RYOKIN"
format = "csv"
encoding = "cp932"
time_format = ["%Y/%m/%d %H:%M:%S"]
strict_values = true
required = ["account"]

[options]
delimiter = "\\t"

[fields]
"日時" = "time"
"利用者ID" = "account"
"お客さま番号" = "record_ids"
"供給地点特定番号" = "record_ids"
"操作区分" = "activity"

[values."操作区分"]
"照会" = "view"
"CSV出力" = "export"

[defaults]
record_type = "customer"
"""


def test_a_definition_file_is_read_with_every_part(tmp_path):
    path = tmp_path / "ryokin.toml"
    path.write_text(GOOD, encoding="utf-8")
    definition = load_source(path)
    assert definition.id == "ryokin-access"
    assert definition.encoding == "cp932"
    assert definition.time_zone == "Asia/Tokyo"
    assert definition.time_format == ("%Y/%m/%d %H:%M:%S",)
    assert definition.fields["お客さま番号"] == definition.fields["供給地点特定番号"] == "record_ids"
    assert definition.values["操作区分"]["CSV出力"] == "export"
    assert definition.option("delimiter") == "\t"
    assert definition.required == ("account",)
    assert definition.defaults == {"record_type": "customer"}
    assert SourceDefinition.from_dict(definition.to_dict()) == definition


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ('format = "xml-magic"', "format"),
        ('encoding = "no-such-codec"', "encoding"),
        ('time_zone = "Asia/Nowhere"', "time_zone"),
        ('colour = "blue"', "colour"),
        ('required = ["nonsense"]', "required"),
    ],
)
def test_a_bad_top_level_value_is_named_with_its_file_and_key(tmp_path, change, key):
    path = tmp_path / "bad.toml"
    name = change.split(" = ")[0]
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(f"{name} ="))
    head, rest = text.split("[options]", 1)
    path.write_text(f"{head}{change}\n[options]{rest}", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_source(path)
    assert [(p.file, p.field) for p in caught.value.problems] == [(path, key)]
    assert str(path) in str(caught.value.problems[0])


def test_every_problem_of_a_definition_is_reported_at_once():
    with pytest.raises(BadInput) as caught:
        SourceDefinition.from_dict(
            {
                "id": "x y",
                "format": "regex",
                "fields": {"利用者": "user_name"},
                "values": {"区分": "view"},
                "defaults": {"time": "now", "activity": "browse"},
                "options": {"delimiter": ";;", "pattern": "(unclosed"},
            },
            file="x.toml",
        )
    fields = {problem.field for problem in caught.value.problems}
    assert fields == {"id", "system", "fields.利用者", "values.区分", "defaults.time", "defaults.activity",
                      "options.delimiter", "options.pattern"}  # fmt: skip


def test_a_value_mapping_to_an_invalid_code_is_refused():
    with pytest.raises(BadInput) as caught:
        SourceDefinition.from_dict(
            {"id": "a", "system": "S", "format": "csv", "fields": {"結果": "outcome"},
             "values": {"結果": {"成功": "success", "権限エラー": "forbidden"}}},
            file="a.toml",
        )  # fmt: skip
    (problem,) = caught.value.problems
    assert problem.field == "values.結果.権限エラー"
    assert "denied" in problem.reason


def test_invalid_toml_names_the_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('id = "a"\nsystem = \n', encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_source(path)
    assert caught.value.problems[0].line == 2


def test_a_folder_of_definitions_refuses_a_duplicate_id(tmp_path):
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_sources(tmp_path)
    assert [(Path(p.file).name, p.field) for p in caught.value.problems] == [("b.toml", "id")]


def test_the_sample_definitions_are_valid():
    definitions = load_sources(SOURCES)
    assert {d.format for d in definitions.values()} >= {"csv", "jsonl", "syslog", "linux_auth", "access_log",
                                                        "windows_xml", "windows_json", "pgaudit",
                                                        "oracle_audit_csv"}  # fmt: skip

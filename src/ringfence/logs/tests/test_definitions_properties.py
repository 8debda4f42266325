"""Properties of stored definitions: any valid text survives export and import unchanged, and a save of
the same text never adds a version."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringfence.logs.definitions.models import StoredSource, StoredSourceVersion
from ringfence.logs.definitions.selectors import stored_definitions
from ringfence.logs.definitions.services import (
    export_files,
    import_files,
    parse_definition_text,
    save_definition,
)

CODES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
OUTCOMES = st.sampled_from(["success", "failure", "denied", "unknown"])


def _toml(source_id: str, mapping: dict[str, str]) -> str:
    # JSON strings are valid TOML basic strings for these characters (no control characters).
    lines = [f'id = "{source_id}"', 'system = "SYS"', 'format = "csv"', "", "[fields]", '"結果" = "outcome"', "",
             '[values."結果"]']  # fmt: skip
    lines += [
        f"{json.dumps(code, ensure_ascii=False)} = {json.dumps(value)}" for code, value in mapping.items()
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    source_id=st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True),
    mapping=st.dictionaries(CODES, OUTCOMES, min_size=1, max_size=6),
)
def test_export_then_import_keeps_every_definition_as_it_was(source_id: str, mapping: dict[str, str]) -> None:
    StoredSourceVersion.objects.all().delete()
    StoredSource.objects.all().delete()
    text = _toml(source_id, mapping)
    first = save_definition(text, actor="test")
    assert first.created and save_definition(text, actor="test").created is False
    with tempfile.TemporaryDirectory() as folder:
        (written,) = export_files(Path(folder), actor="test")
        assert written.read_text(encoding="utf-8") == text
        (again,) = import_files(Path(folder), actor="test")
    assert not again.created and StoredSourceVersion.objects.count() == 1
    stored = stored_definitions()[source_id]
    assert stored == parse_definition_text(text) and dict(stored.values["結果"]) == mapping

"""The import and export commands as a user runs them: exit codes, problem lines, summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.cli.main import main
from ringfence.registry.models import OrgUnit, Person

DATA = Path(__file__).parent / "data"


def run(capsys, *args):
    with pytest.raises(SystemExit) as caught:
        main(list(args))
        raise SystemExit(0)
    out = capsys.readouterr()
    return caught.value.code, out.out, out.err


@pytest.mark.django_db
def test_import_export_commands(capsys, tmp_path):
    code, out, _err = run(
        capsys, "import", "units", str(DATA / "units.csv"), "--as-of", "令和6年4月1日", "--dry-run"
    )
    assert code == 0 and "units" in out and not OrgUnit.objects.exists()
    code, out, _err = run(capsys, "import", "units", str(DATA / "units.csv"), "--as-of", "R6.4.1")
    assert code == 0 and OrgUnit.objects.count() == 5 and "units" in out and "5" in out
    code, _out, err = run(capsys, "import", "people", str(DATA / "people_bad.csv"))
    assert code == 1
    lines = [line.strip() for line in err.splitlines() if "people_bad.csv:" in line]
    assert [line.split(" ")[0].rsplit(":", 1)[1] for line in lines] == ["3", "4", "5", "6", "7"]
    assert lines[0].startswith(f"{DATA / 'people_bad.csv'}:3 [氏名]: ")
    assert not Person.objects.exists()
    code, _out, err = run(capsys, "import", "people", str(DATA / "people_cp932.csv"), "--as-of", "2024-02-30")
    assert code == 2 and "as-of" in err
    target = tmp_path / "bundle"
    code, out, _err = run(capsys, "export", "all", "--out", str(target), "--japanese-headers")
    assert code == 0 and (target / "units.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    code, out, _err = run(capsys, "import", "bundle", str(target), "--as-of", "2024-04-01")
    assert code == 0 and "people" in out and "bundle" not in _err
    code, _out, err = run(capsys, "export", "nonsense", "--out", str(tmp_path / "x.csv"))
    assert code == 2


@pytest.mark.django_db
def test_parquet_export_delegates_to_the_lake_export(capsys, tmp_path):
    code, _out, _err = run(capsys, "import", "units", str(DATA / "units.csv"), "--as-of", "2024-04-01")
    assert code == 0
    code, _out, err = run(capsys, "export", "all", "--format", "parquet", "--out", str(tmp_path / "pq"))
    assert code == 0, err
    assert any(p.suffix == ".parquet" for p in (tmp_path / "pq").rglob("*"))
    code, _out, _err = run(
        capsys,
        "export",
        "units",
        "--format",
        "parquet",
        "--as-of",
        "2024-04-01",
        "--out",
        str(tmp_path / "x"),
    )
    assert code == 2  # parquet holds the full history; --as-of does not apply
    code, _out, err = run(capsys, "export", "units", "--format", "parquet", "--out", str(tmp_path / "one"))
    assert code == 0, err
    assert [p.name for p in (tmp_path / "one").rglob("*.parquet")] == [
        p.name for p in (tmp_path / "pq").rglob("*.parquet") if "units" in p.name
    ]
    code, _out, _err = run(capsys, "export", "roles", "--format", "parquet", "--out", str(tmp_path / "r"))
    assert code == 2

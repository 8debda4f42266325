"""pick_timeline, the building block of every registry lookup: non-overlapping pieces, the best candidate
covering each moment, gaps kept. Checked against a brute-force answer on random intervals."""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.detection.enrich.registry_views import MACROS, pick_timeline

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
INFINITY = 10_000  # hours; stands for the open end


def _at(hours: int) -> dt.datetime:
    return EPOCH + dt.timedelta(hours=hours)


def _timeline(candidates: list[tuple[str, int, int, int, str]]) -> list[tuple[str, int, int, str]]:
    """(key, from, to, payload) of the picked timeline, in hours, for candidates (key, from, to, prio, payload)."""
    con = duckdb.connect()
    table = pa.table(
        {
            "k": [c[0] for c in candidates],
            "vf": pa.array([_at(c[1]) for c in candidates], pa.timestamp("us", tz="UTC")),
            "vt": pa.array([_at(c[2]) for c in candidates], pa.timestamp("us", tz="UTC")),
            "prio": [c[3] for c in candidates],
            "payload": [c[4] for c in candidates],
        }
    )
    con.register("cands", table)
    rows = con.execute(
        f"SELECT k, vf, vt, payload FROM ({pick_timeline('SELECT * FROM cands', ['k'], 'prio DESC, payload')}) "
        "ORDER BY k, vf"
    ).fetchall()
    hour = dt.timedelta(hours=1)
    return [(k, int((vf - EPOCH) / hour), int((vt - EPOCH) / hour), p) for k, vf, vt, p in rows]


def test_higher_priority_cuts_into_lower_and_gaps_stay_empty() -> None:
    got = _timeline(
        [
            ("a", 1, 10, 0, "base"),
            ("a", 3, 5, 1, "inner"),
            ("a", 8, 12, 1, "late"),
            ("a", 20, 30, 0, "after-gap"),
            ("b", 0, 4, 0, "other-key"),
        ]
    )
    assert got == [
        ("a", 1, 3, "base"),
        ("a", 3, 5, "inner"),
        ("a", 5, 8, "base"),
        ("a", 8, 10, "late"),
        ("a", 10, 12, "late"),
        ("a", 20, 30, "after-gap"),
        ("b", 0, 4, "other-key"),
    ]


intervals = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.integers(0, 40),
        st.integers(1, 15),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(intervals)
def test_every_moment_gets_the_best_covering_candidate(raw: list[tuple[str, int, int, int]]) -> None:
    candidates = [(k, start, start + length, prio, f"c{i}") for i, (k, start, length, prio) in enumerate(raw)]
    got = _timeline(candidates)
    for key in ("a", "b"):
        pieces = [(f, t, p) for k, f, t, p in got if k == key]
        assert all(f < t for f, t, _p in pieces)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(pieces)), "pieces overlap"
        for moment in range(60):
            covering = [c for c in candidates if c[0] == key and c[1] <= moment < c[2]]
            best = min(covering, key=lambda c: (-c[3], c[4]))[4] if covering else None
            found = [p for f, t, p in pieces if f <= moment < t]
            assert found == ([best] if best else []), (key, moment)


def test_macros_normalise_keys() -> None:
    con = duckdb.connect()
    for macro in MACROS:
        con.execute(macro)
    row = con.execute(
        "SELECT rf_account_key('CORP\\U001'), rf_account_key('u001@corp.example'), rf_account_key('  '), "
        "rf_host_key('TD-PC-1.corp.example'), rf_host_key('10.1.2.3'), rf_ipv4('10.20.1.5'), "
        "rf_ipv4('256.1.1.1'), rf_ipv4('10.1.1'), rf_ipv4('fe80::1'), rf_tag_key(' PC-0001 ')"
    ).fetchone()
    assert row == (
        "u001",
        "u001",
        None,
        "td-pc-1",
        None,
        10 * 2**24 + 20 * 2**16 + 1 * 2**8 + 5,
        None,
        None,
        None,
        "pc-0001",
    )


def test_every_enriched_field_is_documented() -> None:
    from pathlib import Path

    from ringfence.detection.enrich import ENRICHED_FIELDS

    doc = (Path(__file__).resolve().parents[4] / "docs" / "detection-fields.md").read_text(encoding="utf-8")
    missing = [name for name in ENRICHED_FIELDS if f"`{name}`" not in doc]
    assert not missing, f"docs/detection-fields.md does not describe {missing}"
    for name, (sql_type, english, japanese) in ENRICHED_FIELDS.items():
        assert sql_type in {"TIMESTAMP", "TIMESTAMPTZ", "INTEGER", "BOOLEAN", "VARCHAR", "DOUBLE"}, name
        assert english and japanese, name

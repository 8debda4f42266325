"""Normalisation of hand-typed cells: NFKC, blanks, invisible characters."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from ringfence.core.textnorm import clean, clean_code, header_key


def test_full_width_and_half_width_forms():
    assert clean("ＡＢＣ１２３") == "ABC123"
    assert clean("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert clean("　山田　　太郎　") == "山田 太郎"
    assert clean("㈱東北") == "(株)東北"
    assert clean("\u200bS1\ufeff") == "S1"
    assert clean(" \u3000 ") is None
    assert clean("") is None


def test_codes_unify_dashes_but_keep_long_vowel_marks():
    assert clean_code("NW\u2212K\u20101") == "NW-K-1"
    assert clean_code("ＮＷ－Ｋ") == "NW-K"
    assert clean("コーヒー") == "コーヒー"


def test_header_keys():
    assert header_key("Employee Number") == header_key("employee_number") == "employeenumber"
    assert header_key("社員　番号") == header_key("社員番号")
    assert header_key("ＩＰアドレス") == header_key("IPアドレス")


@given(st.text(max_size=60))
def test_clean_is_idempotent_and_canonical(text):
    once = clean(text)
    if once is None:
        return
    assert clean(once) == once
    assert unicodedata.is_normalized("NFKC", once)
    assert once == once.strip()
    assert "  " not in once


@given(st.text(max_size=60))
def test_clean_code_never_crashes_and_is_stable(text):
    once = clean_code(text)
    assert once is None or clean_code(once) == once

"""Text normalisation for values read from the files Japanese companies keep.

Spreadsheets typed by hand mix full-width and half-width forms (「１２３４」「ＡＢＣ」「ｶﾅ」), full-width
spaces and invisible characters. Comparing such values with what the registry holds needs one canonical
form: Unicode NFKC (full-width ASCII → half-width, half-width kana → full-width kana, ㈱ → (株), ㋿ → 令和),
with surrounding blanks trimmed and inner runs of blanks collapsed to one space.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Characters that carry no text but break equality: zero-width space/joiners, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_BLANKS = re.compile(r"\s+")
# Dash look-alikes that people type into codes; NFKC leaves these alone.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\u2015"), "-")
# Separators for header matching: spaces, underscores, hyphens, dots, middle dots.
_HEADER_NOISE = re.compile(r"[\s_\-.・･/()（）]+")


def nfkc(text: str) -> str:
    """NFKC-normalised ``text`` without invisible characters; nothing else changes."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


def clean(text: str) -> str | None:
    """The canonical form of one cell: NFKC, trimmed, blanks collapsed; ``None`` when nothing is left."""
    if text.isascii():  # most cells: NFKC leaves ASCII alone and no invisible character is ASCII
        value = " ".join(text.split())
    else:
        value = _BLANKS.sub(" ", nfkc(text)).strip()
    return value or None


def clean_code(text: str) -> str | None:
    """Like ``clean`` for identifiers (codes, employee numbers): dash look-alikes become ``-``."""
    value = clean(text)
    return None if value is None else value.translate(_DASHES)


@functools.lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    """A key for matching headers: normalised, case-folded, without spaces, underscores and punctuation."""
    return _HEADER_NOISE.sub("", nfkc(text)).casefold()

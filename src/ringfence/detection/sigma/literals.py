"""Safe SQL spelling of identifiers and literals (DuckDB syntax; sqlglot re-spells them for Spark).

Every value that comes from a rule goes through these functions: quotes are doubled, NUL and other control
characters are written as ``chr(n)`` so no literal can end early or smuggle SQL.
"""

from __future__ import annotations

import math

_CONTROL = {chr(n) for n in range(32)} | {"\x7f"}


def quote_ident(name: str) -> str:
    """A double-quoted identifier; embedded double quotes are doubled."""
    if "\x00" in name:
        raise ValueError("identifier contains NUL")
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    """A single-quoted string literal; control characters become ``chr(n)`` concatenations."""
    pieces: list[str] = []
    plain: list[str] = []
    for char in value:
        if char in _CONTROL:
            if plain:
                pieces.append("'" + "".join(plain).replace("'", "''") + "'")
                plain = []
            pieces.append(f"chr({ord(char)})")
        else:
            plain.append(char)
    if plain or not pieces:
        pieces.append("'" + "".join(plain).replace("'", "''") + "'")
    return pieces[0] if len(pieces) == 1 else "(" + " || ".join(pieces) + ")"


def sql_number(value: int | float) -> str:
    """A numeric literal; floats keep full precision."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return repr(value)
    return str(value)

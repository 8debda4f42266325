"""Sigma string values as SQL LIKE patterns and regular expressions, and ``%placeholder%`` expansion.

A SigmaString is a sequence of plain text and the wildcards ``*`` (any run of characters) and ``?`` (one
character); pySigma has already resolved the rule's escapes (``\\*`` is a literal star). LIKE patterns are
written with ``\\`` as the escape character, so the literal ``%``, ``_`` and ``\\`` of a value are escaped.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from sigma.types import Placeholder, SigmaString, SpecialChars

from ringfence.detection.sigma.errors import SigmaCompileError

LIKE_ESCAPE = "\\"
# Expanding several placeholders inside one value multiplies their lists; past this it is a rule design error.
MAX_EXPANSIONS = 100_000


def is_plain(value: SigmaString) -> bool:
    """True when the value has neither wildcards nor placeholders: it compares by equality."""
    return all(isinstance(part, str) for part in value.s)


def plain_text(value: SigmaString) -> str:
    return "".join(part for part in value.s if isinstance(part, str))


def like_pattern(value: SigmaString) -> str:
    """The LIKE pattern (escape character ``\\``) that matches what the Sigma wildcard string matches."""
    out: list[str] = []
    for part in value.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(escape_like(part))
        else:  # pragma: no cover - placeholders are expanded before
            raise SigmaCompileError(f"unexpanded placeholder %{part.name}% in a value")
    return "".join(out)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def substring_only(value: SigmaString) -> str | None:
    """The text between the stars of ``*text*`` (no other wildcard), else None: a cheap substring search."""
    parts = value.s
    if (
        len(parts) == 3
        and parts[0] is SpecialChars.WILDCARD_MULTI
        and parts[2] is SpecialChars.WILDCARD_MULTI
        and isinstance(parts[1], str)
    ):
        return parts[1]
    return None


def placeholder_names(value: SigmaString) -> list[str]:
    return [part.name for part in value.s if isinstance(part, Placeholder)]


def whole_placeholder(value: SigmaString) -> str | None:
    """The name when the value is exactly one placeholder (``%name%``): it compiles to an IN list."""
    if len(value.s) == 1 and isinstance(value.s[0], Placeholder):
        return value.s[0].name
    return None


def expand_placeholders(
    value: SigmaString, placeholders: Mapping[str, Sequence[str]], rule: str
) -> list[SigmaString]:
    """Every combination of the placeholders' values substituted as literal text (wildcards stay wildcards)."""
    names = placeholder_names(value)
    lists = [_values_of(name, placeholders, rule) for name in names]
    total = 1
    for values in lists:
        total *= len(values)
    if total > MAX_EXPANSIONS:
        raise SigmaCompileError(
            f"rule {rule}: placeholders {', '.join(names)} expand to {total} values (more than {MAX_EXPANSIONS})"
        )
    expanded: list[SigmaString] = []
    for combination in itertools.product(*lists):
        chosen = iter(combination)
        result = SigmaString()
        result.s = [next(chosen) if isinstance(part, Placeholder) else part for part in value.s]
        result.s = _merge_text(result.s)
        expanded.append(result)
    return expanded


def _values_of(name: str, placeholders: Mapping[str, Sequence[str]], rule: str) -> Sequence[str]:
    try:
        return placeholders[name]
    except KeyError:
        known = ", ".join(sorted(placeholders)) or "none"
        raise SigmaCompileError(f"rule {rule}: unknown placeholder %{name}% (known: {known})") from None


def _merge_text(parts: Sequence[str | SpecialChars | Placeholder]) -> list[str | SpecialChars | Placeholder]:
    merged: list[str | SpecialChars | Placeholder] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")


def regex_escape(text: str) -> str:
    """``text`` as a literal in RE2 and Java regular expressions: only the metacharacters get a backslash
    (Python's re.escape also escapes spaces and other characters, which not every engine accepts)."""
    return "".join("\\" + char if char in _REGEX_SPECIAL else char for char in text)


def wildcard_regex(value: SigmaString) -> str:
    """The regular expression (to be anchored) matching what the Sigma wildcard string matches."""
    out: list[str] = []
    for part in value.s:
        if part is SpecialChars.WILDCARD_MULTI:
            out.append(".*")
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(".")
        elif isinstance(part, str):
            out.append(regex_escape(part))
        else:  # pragma: no cover - placeholders are expanded before
            raise SigmaCompileError(f"unexpanded placeholder %{part.name}% in a value")
    return "".join(out)


def regex_source(pattern: SigmaString, placeholders: Mapping[str, Sequence[str]], rule: str) -> str:
    """The regular expression text of a ``re`` value; placeholders become escaped alternations."""
    out: list[str] = []
    for part in pattern.s:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Placeholder):
            values = _values_of(part.name, placeholders, rule)
            out.append(
                "(?:" + "|".join(regex_escape(v) for v in values) + ")" if values else r"[^\s\S]"
            )  # an empty list matches nothing
        else:
            out.append("*" if part is SpecialChars.WILDCARD_MULTI else "?")
    return "".join(out)

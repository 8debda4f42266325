"""Where a Sigma field name is read from: a column of the relation, a key of ``extra``, or nowhere.

Public Sigma rules are written against the Windows/Sysmon taxonomy (``TargetUserName``, ``IpAddress`` …);
``DEFAULT_FIELD_MAPPING`` maps the names that have a column of their own in our schema. Everything else is
looked up in the ``extra`` JSON object, where the parsers keep a source's remaining fields (``EventID``,
``LogonType`` as the number Windows wrote, ``Status`` …). A field found nowhere is *missing* in the sense of
the Sigma specification: value matches are false, ``null`` matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from ringfence.detection.sigma.errors import SigmaCompileError
from ringfence.detection.sigma.literals import quote_ident, sql_string

# Sigma taxonomy field -> our column. Only names whose meaning matches the column for the events that carry
# them; the Windows parser puts the acting user in `account` whichever of Subject/Target it is.
DEFAULT_FIELD_MAPPING: Mapping[str, str] = {
    # Windows Security log (4624/4625/4634/4648/47xx)
    "TargetUserName": "account",
    "TargetDomainName": "account_domain",
    "SubjectUserName": "account",
    "SubjectDomainName": "account_domain",
    "TargetLogonId": "session_id",
    "SubjectLogonId": "session_id",
    "IpAddress": "src_ip",
    "WorkstationName": "src_host",
    "Workstation": "src_host",
    "Computer": "dst_host",
    "ComputerName": "dst_host",
    "TargetServerName": "dst_host",
    # generic / network taxonomy
    "User": "account",
    "UserName": "account",
    "SourceIp": "src_ip",
    "SourceAddress": "src_ip",
    "src_ip": "src_ip",
    "SourceHostname": "src_host",
    "DestinationHostname": "dst_host",
    "Hostname": "dst_host",
    "Message": "message",
    "_raw": "raw",
}


class FieldKind(Enum):
    """How values compare against a field, from its SQL type."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    TEMPORAL = "temporal"
    LIST = "list"
    MISSING = "missing"


_NUMERIC_TYPES = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "NUMERIC", "REAL")
# A JSON key we are willing to put into a JSON path: anything printable but quotes and backslashes, which
# would need path escaping that DuckDB and Spark do not agree on.
_JSON_KEY = re.compile(r'^[^"\\\x00-\x1f]+$')


def kind_of(sql_type: str) -> FieldKind:
    """The comparison kind of a column from its SQL type name (DuckDB spelling)."""
    upper = sql_type.upper()
    if upper.endswith("[]") or upper.startswith(("LIST", "ARRAY")):
        return FieldKind.LIST
    if upper.startswith("BOOL"):
        return FieldKind.BOOLEAN
    if upper.startswith(("TIMESTAMP", "DATE", "TIME")):
        return FieldKind.TEMPORAL
    if any(name in upper for name in _NUMERIC_TYPES):
        return FieldKind.NUMBER
    return FieldKind.TEXT


@dataclass(frozen=True)
class FieldRef:
    """A resolved field: the SQL expression that reads it and how to compare it.

    ``exists_sql`` is the expression whose NULL-ness tells whether the field exists (for JSON keys the raw JSON
    value, so a key holding JSON ``null`` still exists); ``columns`` are the relation's columns it reads.
    """

    name: str
    sql: str
    kind: FieldKind
    exists_sql: str
    columns: frozenset[str]
    sql_type: str = "VARCHAR"

    @property
    def missing(self) -> bool:
        return self.kind is FieldKind.MISSING


def resolve_field(name: str, columns: Mapping[str, str], mapping: Mapping[str, str]) -> FieldRef:
    """Resolve a Sigma field name against the relation: own column, mapped column, ``extra`` key, or missing."""
    if name in columns:
        return _column(name, name, columns[name])
    mapped = mapping.get(name)
    if mapped is not None and mapped in columns:
        return _column(name, mapped, columns[mapped])
    if "extra" in columns:
        if not _JSON_KEY.match(name):
            raise SigmaCompileError(f"field name {name!r} cannot be looked up in extra (quotes, backslashes)")
        extra = quote_ident("extra")
        flat = sql_string(f'$."{name}"')
        value = f"json_extract_string({extra}, {flat})"
        raw = f"json_extract({extra}, {flat})"
        if "." in name:  # dotted names also address nested objects (`a.b` → {"a": {"b": …}})
            nested = sql_string("$." + ".".join(f'"{part}"' for part in name.split(".")))
            value = f"COALESCE({value}, json_extract_string({extra}, {nested}))"
            raw = f"COALESCE({raw}, json_extract({extra}, {nested}))"
        return FieldRef(name, value, FieldKind.TEXT, raw, frozenset({"extra"}))
    return FieldRef(name, "CAST(NULL AS VARCHAR)", FieldKind.MISSING, "NULL", frozenset())


def _column(name: str, column: str, sql_type: str) -> FieldRef:
    ident = quote_ident(column)
    return FieldRef(name, ident, kind_of(sql_type), ident, frozenset({column}), sql_type)

"""The columns a rule can read: the event schema, the lake's ``day`` and the enriched fields (contract C1)."""

from __future__ import annotations

import pyarrow as pa

from ringfence.logs.schema import EVENT_SCHEMA


def sql_type(arrow_type: pa.DataType) -> str:
    """DuckDB's name for an Arrow type of the event schema."""
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ" if arrow_type.tz else "TIMESTAMP"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_floating(arrow_type):
        return "DOUBLE"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_list(arrow_type):
        return sql_type(arrow_type.value_type) + "[]"
    return "VARCHAR"


def enriched_columns() -> dict[str, str]:
    """Column name -> SQL type of the ``enriched`` relation, in order."""
    from ringfence.detection.enrich import ENRICHED_FIELDS

    columns = {field.name: sql_type(field.type) for field in EVENT_SCHEMA}
    columns["day"] = "DATE"
    for name, (sql, _en, _ja) in ENRICHED_FIELDS.items():
        columns[name] = sql
    return columns

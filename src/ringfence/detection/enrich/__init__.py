"""Enrichment of access events with the registry as of each event's time (contract C1).

``snapshot_registry`` exports the registry to Parquet (reused while unchanged), ``attach_registry`` puts it in
a DuckDB connection, ``create_enriched_view`` adds the fields of ``ENRICHED_FIELDS`` to any relation of
events. See docs/detection-fields.md for every field.
"""

from .fields import ENRICHED_FIELDS, LEVELS, REQUIRED_LEVEL
from .registry_views import attach_registry
from .snapshot import snapshot_registry
from .sql import create_enriched_view, enriched_columns

__all__ = [
    "ENRICHED_FIELDS",
    "LEVELS",
    "REQUIRED_LEVEL",
    "attach_registry",
    "create_enriched_view",
    "enriched_columns",
    "snapshot_registry",
]

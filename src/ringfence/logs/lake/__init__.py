"""The log lake: normalised access events as Parquet (zstd) partitioned by system and JST day, every file
hash-chained in a manifest, verifiable, queryable with DuckDB, purged only on request. See docs/lake.md.

Public interface (import from here):

``append(table)``                     store a batch of events; returns the ``LakeFile`` list written
``verify_lake()``                     check files, manifest chain and database head; ``VerifyReport``
``connect()``                         DuckDB connection with a view ``events`` over the live files
``count_events`` / ``events_by_id``   common queries over that view
``known_event_ids(system, days, ids)`` which IDs a partition already holds (duplicate reporting)
``compact()``                         merge small files of partitions
``purge(before, reason=, actor=)``    remove partitions older than the retention allows (audited)
``recover_lake()``                    finish or undo what a crashed writer left
"""

from __future__ import annotations

from .compaction import Compaction, compact
from .query import connect, count_events, events_by_id, known_event_ids, live_files
from .retention import InsideRetention, PurgePlan, first_kept_day, purge, retention_years, set_retention
from .session import recover_lake
from .verify import Problem, VerifyReport, verify_lake
from .writer import LakeFile, append, conform

__all__ = [
    "Compaction",
    "InsideRetention",
    "LakeFile",
    "Problem",
    "PurgePlan",
    "VerifyReport",
    "append",
    "compact",
    "conform",
    "connect",
    "count_events",
    "events_by_id",
    "first_kept_day",
    "known_event_ids",
    "live_files",
    "purge",
    "recover_lake",
    "retention_years",
    "set_retention",
    "verify_lake",
]

"""Test helpers to lift and restore the append-only triggers of migration 0002 (same SQL, reused)."""

from __future__ import annotations

import importlib

from django.db import connection

_migration = importlib.import_module("ringfence.audit.migrations.0002_append_only")
_CREATE = {"sqlite": _migration.SQLITE, "postgresql": _migration.POSTGRES}
_DROP = {"sqlite": _migration.SQLITE_REVERSE, "postgresql": _migration.POSTGRES_REVERSE}


def drop_append_only_triggers() -> None:
    """Remove the triggers (tests that must alter an entry, or flush the table, do this)."""
    with connection.cursor() as cursor:
        for sql in _DROP[connection.vendor]:
            cursor.execute(sql)


def create_append_only_triggers() -> None:
    """Put the triggers back exactly as the migration made them (dropping any first)."""
    drop_append_only_triggers()
    with connection.cursor() as cursor:
        for sql in _CREATE[connection.vendor]:
            cursor.execute(sql)

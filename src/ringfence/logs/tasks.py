"""Periodic check of the log sources: a silent source is written to the audit trail and the log."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record

from .lake.nightly import compact_small_files
from .selectors import source_health

logger = logging.getLogger(__name__)


def check_sources() -> list[str]:
    """Record which sources are silent (and on which days), so a stopped log leaves a trace."""
    silent = [h for h in source_health() if h.silent]
    record(
        AuditAction.JOB,
        actor="system:check-log-sources",
        target_type="log_sources",
        detail={
            "silent": {h.source: [d.isoformat() for d in h.silent_days] or ["never received"] for h in silent}
        },
    )
    if silent:
        logger.warning("silent log sources: %s", ", ".join(h.source for h in silent))
    return [h.source for h in silent]


# Huey reads crontabs in UTC: 22:30 UTC is 07:30 JST, before the monitoring team starts the day.
@db_periodic_task(crontab(hour="22", minute="30"))
def daily_source_check() -> None:
    check_sources()


# 19:00 UTC is 04:00 JST: after the day's streaming files are complete, before the source check.
@db_periodic_task(crontab(hour="19", minute="0"))
def nightly_lake_compaction() -> None:
    compact_small_files()

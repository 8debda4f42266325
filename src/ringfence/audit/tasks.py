"""Periodic checks of the audit trail itself."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import AuditAction
from .services import record, verify_chain

logger = logging.getLogger(__name__)


def check_audit_chain() -> list[str]:
    """Verify the chain and record the outcome in the trail itself, so auditors see it was checked."""
    problems = verify_chain()
    record(
        AuditAction.JOB,
        actor="system:verify-audit-chain",
        target_type="audit_chain",
        detail={"intact": not problems, "problems": problems[:50]},
    )
    if problems:
        logger.error("audit chain broken: %s", "; ".join(problems[:5]))
    return problems


# Huey reads crontabs in UTC: 18:15 UTC is 03:15 JST, after the nightly registry export.
@db_periodic_task(crontab(hour="18", minute="15"))
def nightly_audit_chain_check() -> None:
    check_audit_chain()


@db_task()
def audit_chain_check_now() -> None:
    check_audit_chain()

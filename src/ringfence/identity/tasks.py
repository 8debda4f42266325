"""Background jobs of ID governance: reconciliation after imports and every night, review reminders.

Imports made anywhere (CLI, bundle, web) leave an ``import`` audit event for ``registry.accounts``; a
frequent job reconciles whenever such an event is newer than the last run, so every account-list import is
followed by a reconciliation without the importer knowing about this app.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from ringfence.audit.models import AuditAction, AuditEvent

from .models import CampaignStatus, CertificationCampaign, ReconciliationRun, RunTrigger
from .services.certification import remind_and_escalate
from .services.reconcile import ReconcileResult, reconcile

logger = logging.getLogger(__name__)
ACTOR = "system:reconciliation"


def reconcile_if_imported() -> ReconcileResult | None:
    """Reconcile every system if an account list was imported since the last run; None if not."""
    last = ReconciliationRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    imports = AuditEvent.objects.filter(action=AuditAction.IMPORT, target_type="registry.accounts")
    if last is not None:
        imports = imports.filter(at__gt=last)
    if not imports.exists():
        return None
    result = reconcile(trigger=RunTrigger.IMPORT, actor=ACTOR)
    logger.info("reconciliation %s after import: %s opened", result.run.pk, result.run.opened)
    return result


@db_periodic_task(crontab(minute="*/10"))
def reconcile_after_imports() -> None:
    """Every ten minutes: reconcile if accounts were imported since the last run."""
    reconcile_if_imported()


# 17:30 UTC is 02:30 JST, after the nightly registry export.
@db_periodic_task(crontab(hour="17", minute="30"))
def nightly_reconciliation() -> None:
    """Nightly: reconcile every system (people leave and entitlements end without any account import)."""
    reconcile(trigger=RunTrigger.SCHEDULE, actor=ACTOR)


# 00:00 UTC is 09:00 JST: reminders arrive at the start of the working day.
@db_periodic_task(crontab(hour="0", minute="0"))
def certification_reminders() -> None:
    """Daily: remind and escalate overdue access-review items of open campaigns."""
    for campaign in CertificationCampaign.objects.filter(status=CampaignStatus.OPEN):
        remind_and_escalate(campaign)

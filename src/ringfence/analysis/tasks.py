"""Background jobs of the analysis app (Huey, run by ``ringfence worker``)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services.schedule import daily

logger = logging.getLogger(__name__)


# 22:00 UTC is 07:00 JST: the periodic campaign of the month and late reminders arrive before work starts.
@db_periodic_task(crontab(hour="22", minute="0"))
def analysis_daily() -> None:
    """Daily: create the periodic campaign when due, create and compute go-live verifications, remind."""
    outcome = daily()
    logger.info("analysis daily job: %s", outcome)

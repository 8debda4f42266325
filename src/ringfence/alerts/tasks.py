"""Background jobs of the alerts app: sending notifications with retries, re-queuing lost ones."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .services import notifications


# Attempts: the first plus MAX_ATTEMPTS - 1 retries, a minute apart; ``deliver`` gives up after the last.
@db_task(retries=notifications.MAX_ATTEMPTS - 1, retry_delay=60)
def deliver_notification(delivery_id: int) -> None:
    """Send one notification; an exception makes Huey retry it."""
    notifications.deliver(delivery_id)


@db_periodic_task(crontab(minute="*/5"))
def requeue_lost_notifications() -> None:
    """Every five minutes: queue again deliveries whose queueing was lost (never attempted)."""
    notifications.requeue_pending()

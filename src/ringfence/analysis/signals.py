"""Registering a system with a go-live date creates its verification campaign (computed after N days).

A signal on the registry's ``SystemVersion`` keeps the registry app unaware of analysis. Only go-live dates
that are recent or in the future count: loading a catalogue of long-running systems creates nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from ringfence.core.timeutil import JST
from ringfence.registry.models import SystemVersion

logger = logging.getLogger(__name__)


@receiver(post_save, sender=SystemVersion, dispatch_uid="analysis-go-live")
def go_live_registered(
    sender: type[SystemVersion], instance: SystemVersion, created: bool, **kwargs: Any
) -> None:
    """Create the go-live verification campaign once the transaction that saved the version commits."""
    if kwargs.get("raw") or instance.go_live is None:
        return
    from .services.schedule import ACTOR, create_go_live_campaign, go_live_days

    today = timezone.now().astimezone(JST).date()
    if instance.go_live < today - dt.timedelta(days=go_live_days()):
        return
    code = instance.entity.code

    def create() -> None:
        try:
            create_go_live_campaign(code, actor=ACTOR)
        except Exception:  # never break a registry write; the daily job retries
            logger.exception("go-live campaign for %s not created", code)

    transaction.on_commit(create)

"""Authentication-function checks: a reviewed checklist per system, with evidence and a review date.

Each review is kept (a new review never overwrites an old one); the latest review of a system is the one in
force. A system is overdue when it has never been reviewed or its next review date has passed; an item
answered "not met" or "partly met" needs its evidence to say why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, InputProblem
from ringfence.core.timeutil import JST
from ringfence.registry.models import InformationSystem, SystemVersion

from ..models import AuthCheckItem, AuthCheckReview, CheckResult

REVIEW_INTERVAL_DAYS = 365


def record_review(
    system: InformationSystem,
    results: Mapping[str, tuple[str, str]],
    *,
    reviewed_on: dt.date,
    reviewer: str,
    next_review_due: dt.date | None = None,
) -> AuthCheckReview:
    """Record a checklist review; ``results`` maps every checklist item to (result, evidence).

    Every item must be answered; a result other than met or not applicable needs evidence. Problems are
    reported all at once (BadInput, field = the item).
    """
    problems = []
    clean: dict[str, dict[str, str]] = {}
    for item in AuthCheckItem.values:
        result, evidence = results.get(item, ("", ""))
        evidence = evidence.strip()[:1000]
        if result not in CheckResult.values:
            problems.append(InputProblem("checklist", None, item, _("choose a result")))
        elif result in (CheckResult.NOT_MET, CheckResult.PARTIAL) and not evidence:
            problems.append(InputProblem("checklist", None, item, _("say what is missing")))
        clean[item] = {"result": result, "evidence": evidence}
    due = next_review_due or reviewed_on + dt.timedelta(days=REVIEW_INTERVAL_DAYS)
    if due <= reviewed_on:
        problems.append(InputProblem("checklist", None, "next_review_due", _("must be after the review")))
    if problems:
        raise BadInput(_("the checklist is incomplete"), problems)
    with transaction.atomic():
        review = AuthCheckReview.objects.create(
            system=system, reviewed_on=reviewed_on, next_review_due=due, reviewer=reviewer, results=clean
        )
        record(AuditAction.CREATE, actor=reviewer, target_type="identity.auth_check", target_ref=system.code,
               detail={"review": review.pk, "reviewed_on": reviewed_on.isoformat(), "results": clean})  # fmt: skip
    return review


@dataclass(frozen=True)
class SystemCheckStatus:
    """The review in force for one system, what the catalogue claims, and whether it is overdue."""

    system: InformationSystem
    name: str
    declared: tuple[str, ...]
    review: AuthCheckReview | None
    overdue: bool
    gaps: tuple[str, ...]


def check_status(today: dt.date | None = None) -> list[SystemCheckStatus]:
    """Every catalogued system with its latest review; overdue when none or past its next review date."""
    today = today or timezone.now().astimezone(JST).date()
    now = timezone.now()
    latest: dict[int, AuthCheckReview] = {}
    for done in AuthCheckReview.objects.order_by("system_id", "-reviewed_on", "-recorded_at"):
        latest.setdefault(done.system_id, done)
    versions = {v.entity_id: v for v in SystemVersion.objects.as_of(now)}
    out = []
    for system in InformationSystem.objects.order_by("code"):
        review = latest.get(system.pk)
        version = versions.get(system.pk)
        gaps: tuple[str, ...] = ()
        if review is not None:
            gaps = tuple(k for k, v in review.results.items() if v.get("result") in ("not_met", "partial"))
        out.append(
            SystemCheckStatus(
                system=system,
                name=version.name_ja if version else "",
                declared=tuple(version.auth_features) if version else (),
                review=review,
                overdue=review is None or review.next_review_due < today,
                gaps=gaps,
            )
        )
    return out

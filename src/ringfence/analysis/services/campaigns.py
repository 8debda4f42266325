"""Writes of the analysis app: create and compute campaigns, sign them off, freeze them, track findings.

Every write that matters is put on the audit trail (target type ``analysis.campaign`` or
``analysis.finding``), including each sign-off with the figures' SHA-256 it signed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.authz.roles import Perm
from ringfence.authz.services import Access, compute_access
from ringfence.core.errors import RingfenceError
from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.registry.models import InformationSystem, SystemVersion

from ..models import (
    AnalysisFinding,
    Campaign,
    CampaignKind,
    CampaignStatus,
    CampaignSystem,
    Conclusion,
    FindingStatus,
)
from .conclusion import conclude
from .figures import SystemInfo, canonical_json, compute_figures
from .pinning import Pin, PinBroken, file_problems

DEFAULT_DUE_DAYS = 30  # sign-off due this many days after the period ends
FINDING_DUE_DAYS = 60  # findings due this many days after they are opened
TARGET = "analysis.campaign"


def sha256_of(data: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of ``data``."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def previous_full_week(today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday 00:00 JST of the last full week before ``today``."""
    today = today or timezone.now().astimezone(JST).date()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    return start_of_day_jst(monday), start_of_day_jst(monday + dt.timedelta(days=7))


def systems_in_scope(at: dt.datetime, codes: Iterable[str] | None = None) -> list[InformationSystem]:
    """The given systems, or every system holding non-public information at ``at``; unknown codes refused."""
    if codes is not None:
        wanted = list(dict.fromkeys(codes))
        found = {s.code: s for s in InformationSystem.objects.filter(code__in=wanted)}
        missing = [c for c in wanted if c not in found]
        if missing:
            raise RingfenceError(_("unknown system code(s): %(codes)s") % {"codes": ", ".join(missing)})
        return [found[c] for c in wanted]
    ids = SystemVersion.objects.as_of(at).filter(holds_non_public=True).values_list("entity_id", flat=True)
    return list(InformationSystem.objects.filter(pk__in=list(ids)).order_by("code"))


def create_campaign(
    *,
    name: str,
    start: dt.datetime,
    end: dt.datetime,
    actor: str,
    kind: str = CampaignKind.PERIODIC,
    systems: Iterable[str] | None = None,
    due_on: dt.date | None = None,
    reviewers: Mapping[str, str] | None = None,
    approvers: Mapping[str, str] | None = None,
    go_live_system: str = "",
) -> Campaign:
    """A planned campaign over [start, end) of ``systems`` (default: all holding non-public information).

    ``reviewers`` / ``approvers`` map a system code (or ``*`` for every system) to a login name.
    """
    if end <= start:
        raise RingfenceError(_("the period must end after it starts"))
    chosen = systems_in_scope(start, systems)
    if not chosen:
        raise RingfenceError(_("no system in scope: none holds non-public information at the period start"))
    reviewers = dict(reviewers or {})
    approvers = dict(approvers or {})
    _check_logins([*reviewers.values(), *approvers.values()])
    due = due_on or (end.astimezone(JST).date() + dt.timedelta(days=DEFAULT_DUE_DAYS))
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            kind=kind,
            start=start,
            end=end,
            due_on=due,
            created_by=actor,
            go_live_system=go_live_system,
        )
        for system in chosen:
            CampaignSystem.objects.create(
                campaign=campaign,
                system=system,
                reviewer=reviewers.get(system.code, reviewers.get("*", "")),
                approver=approvers.get(system.code, approvers.get("*", "")),
            )
        record(
            AuditAction.CREATE,
            actor=actor,
            target_type=TARGET,
            target_ref=str(campaign.pk),
            detail={"name": name, "kind": kind, "start": start.isoformat(), "end": end.isoformat(),
                    "systems": [s.code for s in chosen], "due_on": due.isoformat()},
        )  # fmt: skip
    return campaign


def _check_logins(names: Iterable[str]) -> None:
    wanted = {n for n in names if n}
    known = set(get_user_model().objects.filter(username__in=wanted).values_list("username", flat=True))
    missing = sorted(wanted - known)
    if missing:
        raise RingfenceError(_("unknown login(s): %(names)s") % {"names": ", ".join(missing)})


def _system_infos(campaign: Campaign, known_at: dt.datetime) -> list[SystemInfo]:
    infos = []
    for cs in campaign.systems.select_related("system"):
        version = SystemVersion.objects.as_of(campaign.start, known_at).filter(entity=cs.system).first()
        if version is None:  # the system went live during the period
            version = (
                SystemVersion.objects.as_of(campaign.end - dt.timedelta(microseconds=1), known_at)
                .filter(entity=cs.system)
                .first()
            )
        infos.append(
            SystemInfo(
                code=cs.system.code,
                name_ja=version.name_ja if version else cs.system.code,
                name_en=(version.name_en if version else "") or "",
                holds_non_public=bool(version.holds_non_public) if version else True,
            )
        )
    return infos


def reproducible_part(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without the detections (alerts and their triage state live on in the alerts app)."""
    systems = {
        code: {k: v for k, v in part.items() if k != "detections"}
        for code, part in figures["systems"].items()
    }
    return {**figures, "systems": systems}


def _compute(campaign: Campaign, pin: Pin, timings: dict[str, float] | None = None) -> dict[str, Any]:
    infos = _system_infos(campaign, pin.known_at)
    return compute_figures(pin, campaign.start, campaign.end, infos, timings=timings)


def run_campaign(
    campaign: Campaign,
    *,
    actor: str,
    detect: bool = True,
    pin: Pin | None = None,
    timings: dict[str, float] | None = None,
) -> Campaign:
    """Pin the inputs, compute every system's figures and conclusion, and list the period's detections.

    ``detect`` runs the rule pack over the period first (alerts are raised idempotently), so the report
    lists every detection with its triage state. A frozen campaign is refused: use ``verify_frozen``.
    """
    from .pinning import pin_inputs

    if campaign.frozen:
        raise RingfenceError(
            _("campaign %(id)s is approved and frozen; it can only be verified") % {"id": campaign.pk}
        )
    codes = list(campaign.systems.values_list("system__code", flat=True))
    if detect:
        _run_detection(campaign, codes)
    began = time.perf_counter()
    pin = pin or pin_inputs(campaign.start, campaign.end, codes)
    if timings is not None:
        timings["pin inputs"] = round(time.perf_counter() - began, 2)
    figures = _compute(campaign, pin, timings)
    from .detections import detections_by_system

    for code, rows in detections_by_system(campaign.start, campaign.end, codes).items():
        figures["systems"][code]["detections"] = rows
    now = timezone.now()
    with transaction.atomic():
        campaign.registry_known_at = pin.known_at
        campaign.lake_seq = pin.lake_seq
        campaign.lake_head_hash = pin.lake_head_hash
        campaign.pinned_files = pin.as_json()
        campaign.figures = figures
        campaign.figures_sha256 = sha256_of(reproducible_part(figures))
        campaign.computed_at = now
        campaign.status = CampaignStatus.COMPUTED
        campaign.save()
        for cs in campaign.systems.select_related("system"):
            value, reasons = conclude(figures["systems"][cs.system.code])
            changed = value != cs.conclusion
            cs.conclusion, cs.reasons = value, reasons
            if changed:  # new figures with another conclusion: earlier sign-offs no longer apply
                cs.reviewed_by, cs.reviewed_at, cs.approved_by, cs.approved_at = "", None, "", None
            cs.save()
            _track_conclusion_findings(cs, actor, now)
        record(
            AuditAction.JOB,
            actor=actor,
            target_type=TARGET,
            target_ref=str(campaign.pk),
            detail={"step": "computed", "figures_sha256": campaign.figures_sha256, "lake_seq": pin.lake_seq,
                    "registry_known_at": pin.known_at.isoformat(), "files": len(pin.files),
                    "conclusions": dict(campaign.systems.values_list("system__code", "conclusion"))},
        )  # fmt: skip
    return campaign


def _run_detection(campaign: Campaign, codes: list[str]) -> None:
    """Run the rule pack over the period so its detections are alerts (skipped if detection is absent)."""
    try:
        from ringfence.detection.engine import analyze
    except ImportError:  # detection not installed: the report says so through an empty list
        return
    analyze(campaign.start, campaign.end, systems=codes, raise_alerts=True)


def _conclusion_finding_titles(code: str) -> dict[str, str]:
    return {
        Conclusion.NOT_FUNCTIONING: _("%(system)s: access restrictions not functioning") % {"system": code},
        Conclusion.CANNOT_CONCLUDE: _("%(system)s: logs incomplete, no conclusion possible")
        % {"system": code},
    }


def _track_conclusion_findings(cs: CampaignSystem, actor: str, now: dt.datetime) -> None:
    """Open the finding a conclusion other than "functioning" calls for; close one a recomputation ended."""
    titles = _conclusion_finding_titles(cs.system.code)
    for conclusion, title in titles.items():
        if conclusion == cs.conclusion:
            continue
        for stale in cs.findings.filter(title=title, status=FindingStatus.OPEN, created_by=actor):
            close_finding(
                stale,
                actor=actor,
                resolution=_("Recomputed: the conclusion is now %(c)s") % {"c": cs.get_conclusion_display()},
            )
    wanted = titles.get(cs.conclusion)
    if wanted is None or cs.findings.filter(title=wanted).exists():
        return
    add_finding(
        cs,
        title=wanted,
        detail="; ".join(str(r.get("kind")) for r in cs.reasons),
        owner=cs.reviewer or "system-owner:" + cs.system.code,
        due_on=now.astimezone(JST).date() + dt.timedelta(days=FINDING_DUE_DAYS),
        actor=actor,
    )


@dataclass(frozen=True)
class Verification:
    """A frozen campaign computed again from its pin."""

    campaign_id: int
    stored_sha256: str
    recomputed_sha256: str
    differences: list[str]

    @property
    def identical(self) -> bool:
        """True when the re-run reproduced the stored figures exactly."""
        return self.stored_sha256 == self.recomputed_sha256


def verify_frozen(campaign: Campaign, *, actor: str) -> Verification:
    """Recompute the figures of a computed or frozen campaign from its pin and compare; nothing is changed."""
    if not campaign.pinned_files:
        raise RingfenceError(_("campaign %(id)s has not been computed yet") % {"id": campaign.pk})
    pin = Pin.from_json(campaign.pinned_files)
    broken = file_problems(pin)
    if broken:
        raise PinBroken(
            _("campaign %(id)s: lake files it was computed from are missing or altered: %(files)s")
            % {"id": campaign.pk, "files": "; ".join(p for ps in broken.values() for p in ps)}
        )
    again = reproducible_part(_compute(campaign, pin))
    stored = reproducible_part(campaign.figures)
    differences = [
        code
        for code in sorted(set(stored["systems"]) | set(again["systems"]))
        if canonical_json(stored["systems"].get(code)) != canonical_json(again["systems"].get(code))
    ]
    result = Verification(campaign.pk, campaign.figures_sha256, sha256_of(again), differences)
    record(
        AuditAction.JOB,
        actor=actor,
        target_type=TARGET,
        target_ref=str(campaign.pk),
        detail={"step": "verified", "identical": result.identical, "stored": result.stored_sha256,
                "recomputed": result.recomputed_sha256, "differences": differences},
    )  # fmt: skip
    return result


# --- sign-off -----------------------------------------------------------------------------------------------


def access_of(username: str, at: dt.datetime | None = None) -> Access:
    """What the login ``username`` may do now (for commands that act on someone's behalf)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise RingfenceError(_("unknown or inactive login: %(name)s") % {"name": username})
    return compute_access(user, at or timezone.now())


def may_sign_for(access: Access, cs: CampaignSystem) -> bool:
    """Whether a scope reaches this system (system owners only their own systems)."""
    return access.scope.everything or cs.system_id in access.scope.system_ids


def review(cs: CampaignSystem, *, username: str, access: Access, note: str = "") -> CampaignSystem:
    """The reviewer signs one system's analysis (needs ``analysis.review`` and the system in scope)."""
    campaign = Campaign.objects.get(pk=cs.campaign_id)  # fresh: another signature may have frozen it
    cs.campaign = campaign
    _check_signable(campaign)
    if not access.can(Perm.ANALYSIS_REVIEW) or not may_sign_for(access, cs):
        raise RingfenceError(
            _("%(user)s may not review %(system)s") % {"user": username, "system": cs.system.code}
        )
    if cs.reviewer and cs.reviewer != username:
        raise RingfenceError(
            _("%(system)s is to be reviewed by %(reviewer)s")
            % {"system": cs.system.code, "reviewer": cs.reviewer}
        )
    now = timezone.now()
    with transaction.atomic():
        cs.reviewed_by, cs.reviewed_at, cs.review_note = username, now, note
        cs.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        _record_sign(cs, "review", username, note)
    return cs


def approve(cs: CampaignSystem, *, username: str, access: Access, note: str = "") -> CampaignSystem:
    """The approver signs one system after its review (another person); the last approval freezes."""
    campaign = Campaign.objects.get(pk=cs.campaign_id)  # fresh: another signature may have frozen it
    cs.campaign = campaign
    _check_signable(campaign)
    if not access.can(Perm.ANALYSIS_APPROVE) or not may_sign_for(access, cs):
        raise RingfenceError(
            _("%(user)s may not approve %(system)s") % {"user": username, "system": cs.system.code}
        )
    if not cs.reviewed_by:
        raise RingfenceError(_("%(system)s has not been reviewed yet") % {"system": cs.system.code})
    if cs.reviewed_by == username:
        raise RingfenceError(
            _("the reviewer of %(system)s cannot also approve it") % {"system": cs.system.code}
        )
    if cs.approver and cs.approver != username:
        raise RingfenceError(
            _("%(system)s is to be approved by %(approver)s")
            % {"system": cs.system.code, "approver": cs.approver}
        )
    now = timezone.now()
    with transaction.atomic():
        cs.approved_by, cs.approved_at, cs.approval_note = username, now, note
        cs.save(update_fields=["approved_by", "approved_at", "approval_note"])
        _record_sign(cs, "approve", username, note)
        if not campaign.systems.filter(approved_at__isnull=True).exists():
            freeze(campaign, actor=username)
    return cs


def _check_signable(campaign: Campaign) -> None:
    if campaign.status != CampaignStatus.COMPUTED:
        raise RingfenceError(
            _("campaign %(id)s cannot be signed: it is %(status)s")
            % {"id": campaign.pk, "status": campaign.get_status_display()}
        )


def _record_sign(cs: CampaignSystem, step: str, username: str, note: str) -> None:
    record(
        AuditAction.CHANGE,
        actor=username,
        target_type=TARGET,
        target_ref=f"{cs.campaign_id}/{cs.system.code}",
        detail={"step": step, "conclusion": cs.conclusion, "figures_sha256": cs.campaign.figures_sha256,
                "note": note},
    )  # fmt: skip


def freeze(campaign: Campaign, *, actor: str) -> Campaign:
    """Store the whole report as JSON with its SHA-256; the campaign no longer changes."""
    from ..reports.document import report_document

    now = timezone.now()
    campaign.status = CampaignStatus.APPROVED
    campaign.approved_at = now
    document = report_document(campaign)
    campaign.frozen_report = document
    campaign.report_sha256 = sha256_of(document)
    campaign.save(update_fields=["status", "approved_at", "frozen_report", "report_sha256"])
    record(
        AuditAction.CHANGE,
        actor=actor,
        target_type=TARGET,
        target_ref=str(campaign.pk),
        detail={
            "step": "frozen",
            "report_sha256": campaign.report_sha256,
            "figures_sha256": campaign.figures_sha256,
        },
    )
    return campaign


# --- findings --------------------------------------------------------------------------------------------------


def add_finding(
    cs: CampaignSystem, *, title: str, detail: str, owner: str, due_on: dt.date, actor: str
) -> AnalysisFinding:
    """Open a finding with an owner and a due date."""
    if not title.strip() or not owner.strip():
        raise RingfenceError(_("a finding needs a title and an owner"))
    finding = AnalysisFinding.objects.create(
        campaign_system=cs, title=title, detail=detail, owner=owner, due_on=due_on, created_by=actor
    )
    record(
        AuditAction.CREATE,
        actor=actor,
        target_type="analysis.finding",
        target_ref=str(finding.pk),
        detail={"campaign": cs.campaign_id, "system": cs.system.code, "title": title, "owner": owner,
                "due_on": due_on.isoformat()},
    )  # fmt: skip
    return finding


def close_finding(finding: AnalysisFinding, *, resolution: str, actor: str) -> AnalysisFinding:
    """Close a finding with its resolution (findings outlive the campaign's freeze: they are tracked on)."""
    if finding.status == FindingStatus.CLOSED:
        raise RingfenceError(_("finding %(id)s is already closed") % {"id": finding.pk})
    if not resolution.strip():
        raise RingfenceError(_("closing a finding needs a resolution"))
    finding.status = FindingStatus.CLOSED
    finding.resolution = resolution
    finding.closed_at = timezone.now()
    finding.closed_by = actor
    finding.save(update_fields=["status", "resolution", "closed_at", "closed_by"])
    record(
        AuditAction.CHANGE,
        actor=actor,
        target_type="analysis.finding",
        target_ref=str(finding.pk),
        detail={"step": "closed", "resolution": resolution},
    )
    return finding

"""Triage of alerts (対応): new → assigned → investigating → closed (violation / benign / false positive).

Allowed steps are in ``ALLOWED``; anything else is refused with a message naming both statuses. Closing
needs a resolution, reopening a comment (why the earlier conclusion no longer holds), and un-suppressing a
comment too. Every step is an ``AlertTransition`` and an audit event.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from ringfence.audit.models import AuditAction
from ringfence.audit.services import record
from ringfence.core.errors import BadInput, RingfenceError

from ..choices import CLOSED_STATUSES, AlertStatus
from ..models import Alert, AlertComment, AlertTransition

MAX_TEXT = 4000
S = AlertStatus
_CLOSE = (S.CLOSED_VIOLATION, S.CLOSED_BENIGN, S.CLOSED_FALSE_POSITIVE)
ALLOWED: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ASSIGNED, S.INVESTIGATING, *_CLOSE}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.INVESTIGATING, *_CLOSE}),
    S.INVESTIGATING: frozenset({S.ASSIGNED, *_CLOSE}),
    S.CLOSED_VIOLATION: frozenset({S.INVESTIGATING}),  # reopen
    S.CLOSED_BENIGN: frozenset({S.INVESTIGATING}),
    S.CLOSED_FALSE_POSITIVE: frozenset({S.INVESTIGATING}),
    S.SUPPRESSED: frozenset({S.NEW}),  # un-suppress: someone wants it looked at after all
}


class TransitionRefused(RingfenceError):
    """A triage step that the workflow does not allow."""


def _label(status: str) -> str:
    return str(dict(AlertStatus.choices).get(status, status))


def allowed_targets(alert: Alert) -> list[str]:
    """The statuses ``alert`` may move to now (for the action buttons)."""
    return [s for s in AlertStatus.values if s in ALLOWED.get(alert.status, frozenset())]


def _check_text(text: str, what: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise BadInput(_("the %(what)s is longer than %(n)d characters") % {"what": what, "n": MAX_TEXT})
    return text


def transition(
    alert: Alert,
    to_status: str,
    *,
    actor: str,
    comment: str = "",
    assignee: AbstractBaseUser | None = None,
) -> Alert:
    """Move ``alert`` to ``to_status`` (audited); refuses steps the workflow does not allow."""
    comment = _check_text(comment, _("comment"))
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        from_status = current.status
        if to_status not in AlertStatus.values:
            raise TransitionRefused(_("“%(status)s” is not an alert status") % {"status": to_status})
        if to_status not in ALLOWED.get(from_status, frozenset()):
            raise TransitionRefused(
                _("an alert cannot go from “%(from)s” to “%(to)s”")
                % {"from": _label(from_status), "to": _label(to_status)}
            )
        if to_status == S.ASSIGNED and assignee is None:
            raise BadInput(_("assigning needs an assignee"))
        if to_status in CLOSED_STATUSES and not comment:
            raise BadInput(_("closing an alert needs a resolution"))
        if from_status in CLOSED_STATUSES | {S.SUPPRESSED} and not comment:
            raise BadInput(_("reopening an alert needs a comment saying why"))
        if assignee is not None:
            current.assignee = assignee  # type: ignore[assignment]
        elif to_status == S.INVESTIGATING and current.assignee is None:
            current.assignee = get_user_model().objects.filter(username=actor).first()
        if to_status in CLOSED_STATUSES:
            current.resolution = comment
        current.status = to_status
        current.save(update_fields=["status", "assignee", "resolution", "updated"])
        who = current.assignee.get_username() if current.assignee is not None else ""
        AlertTransition.objects.create(alert=current, from_status=from_status, to_status=to_status, actor=actor,
                                       comment=comment, assignee=who)  # fmt: skip
        record(AuditAction.CHANGE, actor=actor, target_type="alerts.alert", target_ref=current.key,
               detail={"alert": current.pk, "from": from_status, "to": to_status, "assignee": who,
                       "comment": comment[:500]})  # fmt: skip
    alert.refresh_from_db()
    return alert


def assign(alert: Alert, assignee: AbstractBaseUser, *, actor: str, comment: str = "") -> Alert:
    """Give ``alert`` to ``assignee`` (also re-assigns an assigned or investigated one)."""
    return transition(alert, S.ASSIGNED, actor=actor, comment=comment, assignee=assignee)


def investigate(alert: Alert, *, actor: str, comment: str = "") -> Alert:
    """Start investigating (the actor becomes the assignee if there is none); also reopens a closed alert."""
    return transition(alert, S.INVESTIGATING, actor=actor, comment=comment)


def close(alert: Alert, outcome: str, resolution: str, *, actor: str) -> Alert:
    """Close as ``closed_violation``, ``closed_benign`` or ``closed_false_positive`` with a resolution."""
    if outcome not in CLOSED_STATUSES:
        raise TransitionRefused(_("“%(status)s” is not a way to close an alert") % {"status": outcome})
    return transition(alert, outcome, actor=actor, comment=resolution)


def reopen(alert: Alert, comment: str, *, actor: str) -> Alert:
    """Reopen a closed alert (back to investigating) or un-suppress a suppressed one (back to new)."""
    target = S.NEW if alert.status == S.SUPPRESSED else S.INVESTIGATING
    if alert.status not in CLOSED_STATUSES | {S.SUPPRESSED}:
        raise TransitionRefused(_("only a closed or suppressed alert can be reopened"))
    return transition(alert, target, actor=actor, comment=comment)


def add_comment(alert: Alert, text: str, *, actor: str) -> AlertComment:
    """Append a comment (audited); an empty one is refused."""
    text = _check_text(text, _("comment"))
    if not text:
        raise BadInput(_("a comment cannot be empty"))
    with transaction.atomic():
        comment = AlertComment.objects.create(alert=alert, author=actor, text=text)
        record(AuditAction.CREATE, actor=actor, target_type="alerts.comment", target_ref=alert.key,
               detail={"alert": alert.pk, "comment": comment.pk, "text": text[:500]})  # fmt: skip
    return comment

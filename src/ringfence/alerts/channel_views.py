"""Notification channel pages: list with recent deliveries, create/change, send a test. ``rules.manage``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm
from ringfence.core.errors import BadInput

from .choices import ChannelKind, Severity
from .models import NotificationChannel, NotificationDelivery
from .services import notifications

FIELDS = ("name", "kind", "target", "min_severity", "secret", "subject_template", "body_template")


@require(Perm.RULES_MANAGE)
def channel_list(request: HttpRequest) -> HttpResponse:
    """Channels and the latest deliveries with their state."""
    deliveries = NotificationDelivery.objects.select_related("alert", "channel")[:50]
    return render(request, "alerts/channels.html",
                  {"channels": NotificationChannel.objects.all(), "deliveries": deliveries})  # fmt: skip


@require(Perm.RULES_MANAGE)
@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (no ``pk``) or change a channel."""
    channel = get_object_or_404(NotificationChannel, pk=pk) if pk is not None else None
    values: dict[str, Any] = {name: getattr(channel, name, "") for name in FIELDS}
    values["enabled"] = channel.enabled if channel else True
    if channel is None:
        values.update(kind=ChannelKind.SMTP, min_severity=Severity.MEDIUM)
    errors: list[str] = []
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FIELDS}
        values["enabled"] = request.POST.get("enabled") == "on"
        if channel is not None and not values["secret"]:
            values["secret"] = channel.secret  # the secret is never shown back; blank keeps it
        try:
            saved = notifications.save_channel(actor=request.user.get_username(), channel=channel, **values)
        except BadInput as exc:
            errors = [str(p) for p in exc.problems] or [str(exc)]
        else:
            messages.success(request, _("Channel saved."))
            return redirect("alerts:channel_edit", pk=saved.pk)
    return render(request, "alerts/channel_form.html", {
        "channel": channel, "values": values, "errors": errors,
        "kinds": ChannelKind.choices, "severities": Severity.choices,
    }, status=400 if errors else 200)  # fmt: skip


@require(Perm.RULES_MANAGE)
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a sample alert on the channel now and say whether it went out."""
    channel = get_object_or_404(NotificationChannel, pk=pk)
    try:
        notifications.send_test(channel, actor=request.user.get_username())
    except notifications.DeliveryError as exc:
        messages.error(request, _("The test notification failed: %(error)s") % {"error": exc})
    else:
        messages.success(request, _("Test notification sent."))
    return redirect("alerts:channel_edit", pk=channel.pk)

"""JSON for monitoring tools: the health of every source (no personal data)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from ringfence.authz.decorators import require
from ringfence.authz.roles import Perm

from . import selectors


@require(Perm.LOGS_VIEW)
def health(request: HttpRequest) -> JsonResponse:
    """Sources with their newest event, rate, parse-error rate and whether they are silent."""
    rows = [
        {
            "source": h.source,
            "system": h.system,
            "last_event_at": h.last_event_at.isoformat() if h.last_event_at else None,
            "last_received_at": h.last_received_at.isoformat() if h.last_received_at else None,
            "events_total": h.events_total,
            "quarantined_total": h.quarantined_total,
            "events_per_hour": round(h.events_per_hour, 1),
            "parse_error_rate": round(h.parse_error_rate, 6),
            "silent": h.silent,
            "silent_days": [d.isoformat() for d in h.silent_days],
        }
        for h in selectors.source_health()
    ]
    return JsonResponse({"sources": rows, "silent": [r["source"] for r in rows if r["silent"]]})

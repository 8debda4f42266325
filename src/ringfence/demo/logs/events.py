"""The neutral event every log format renders, and the vocabulary of operations and results."""

from __future__ import annotations

from typing import NamedTuple


class Event(NamedTuple):
    """One access event before it is rendered into a system's own log format.

    ``ts`` is epoch milliseconds; ``op`` one of OPS; ``result`` ok/fail/denied; ``label`` the scenario id
    when the event is part of a labelled violation (empty for ordinary traffic).
    """

    ts: int
    account: str
    host: str
    ip: str
    op: str
    result: str
    target: str
    rows: int
    label: str = ""


OPS = (
    "login",
    "logout",
    "view",
    "search",
    "export",
    "print",
    "update",
    "delete",
    "create_user",
    "delete_user",
)
RESULTS = ("ok", "fail", "denied")

# The least entitlement level each operation needs.
REQUIRED_LEVEL = {
    "login": "view",
    "logout": "view",
    "view": "view",
    "search": "view",
    "print": "view",
    "update": "update",
    "delete": "update",
    "export": "export",
    "create_user": "admin",
    "delete_user": "admin",
}
LEVEL_RANK = {"view": 0, "update": 1, "export": 2, "admin": 3}


def allowed(level: str, op: str) -> bool:
    """Whether an entitlement ``level`` covers ``op``."""
    return LEVEL_RANK[level] >= LEVEL_RANK[REQUIRED_LEVEL[op]]

"""Last-login facts from the log lake, for systems whose account exports carry none (or a stale one).

Two facts per system: the last successful logon of each account seen in the lake, and since when the lake
holds that system's events at all. An account is proven dormant by the logs only when the lake covers at
least the dormancy period and shows no logon in it; a short lake proves nothing either way.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

LOGON_ACTIVITIES = ("logon", "explicit_logon", "privileged_logon")


@dataclass(frozen=True)
class LoginEvidence:
    """What the lake says about logons, up to a moment."""

    last_logon: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)
    covered_since: dict[str, dt.datetime] = field(default_factory=dict)
    problem: str = ""

    def last_for(self, system: str, account_id: str) -> dt.datetime | None:
        """Last successful logon of an account (IDs compared case-insensitively, as directories do)."""
        return self.last_logon.get((system, account_id.casefold()))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def lake_logins(systems: Iterable[str], until: dt.datetime, root: Path | None = None) -> LoginEvidence:
    """Last successful logon per account and lake coverage per system, from events before ``until``.

    A lake that cannot be read gives empty evidence with ``problem`` saying why (the run records it), so a
    broken lake never stops a reconciliation, and never silently counts as "no logins".
    """
    from ringfence.logs.lake import connect

    codes = sorted(set(systems))
    if not codes:
        return LoginEvidence()
    try:
        con = connect(root=root)
        marks = ", ".join("?" for _ in codes)
        logons = con.execute(
            f"SELECT system, lower(account), max(time) FROM events WHERE system IN ({marks}) AND time < ? "
            f"AND class = 'authentication' AND outcome = 'success' AND activity IN ('logon', 'explicit_logon', "
            f"'privileged_logon') AND account IS NOT NULL GROUP BY ALL",
            [*codes, until],
        ).fetchall()
        coverage = con.execute(
            f"SELECT system, min(time) FROM events WHERE system IN ({marks}) AND time < ? GROUP BY ALL",
            [*codes, until],
        ).fetchall()
    except Exception as exc:  # a lake problem must not stop reconciliation; it is recorded instead
        logger.warning("log lake not usable for last logins: %s", exc)
        return LoginEvidence(problem=f"{type(exc).__name__}: {exc}"[:300])
    return LoginEvidence(
        last_logon={(s, a): _aware(t) for s, a, t in logons},
        covered_since={s: _aware(t) for s, t in coverage},
    )

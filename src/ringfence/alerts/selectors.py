"""Reads of the alerts app: filtered alert lists, the person's context at the alert's time, the evidence
events from the lake and the timeline of accesses around an alert.

Everything here returns personal data; the views that show it write the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from django.db.models import Q, QuerySet

from ringfence.core.timeutil import JST, start_of_day_jst
from ringfence.logs.lake.layout import lake_dir
from ringfence.logs.lake.query import HIVE_TYPES, events_by_id, live_files
from ringfence.logs.schema import EVENT_SCHEMA
from ringfence.logs.selectors import EventQuery, search_events
from ringfence.registry.selectors.asof import (
    AccountOwnerAt,
    NotInRegistry,
    PersonAt,
    account_owner_at,
    person_at,
)

from .choices import CLOSED_STATUSES, OPEN_STATUSES
from .models import Alert

EVIDENCE_SHOWN = 200
TIMELINE_LIMIT = 500
TIMELINE_HOURS = (1, 4, 12, 24, 72)
STATUS_GROUPS = {"open": OPEN_STATUSES, "closed": CLOSED_STATUSES}


@dataclass(frozen=True)
class AlertFilters:
    """Filters of the alert list; blank means any. ``status`` may also be ``open`` or ``closed``."""

    status: str = ""
    severity: str = ""
    rule: str = ""
    system: str = ""
    who: str = ""  # employee number, account or entity (part of it)
    start: dt.date | None = None  # first event on or after this JST day
    end: dt.date | None = None  # first event before the end of this JST day

    def as_dict(self) -> dict[str, str]:
        """The filters in force, as text (audit trail)."""
        return {k: str(v) for k, v in self.__dict__.items() if v not in ("", None)}


def filter_alerts(filters: AlertFilters, qs: QuerySet[Alert] | None = None) -> QuerySet[Alert]:
    """Alerts matching ``filters``, newest first."""
    qs = Alert.objects.all() if qs is None else qs
    if filters.status in STATUS_GROUPS:
        qs = qs.filter(status__in=STATUS_GROUPS[filters.status])
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.rule:
        qs = qs.filter(rule_id=filters.rule)
    if filters.system:
        qs = qs.filter(system=filters.system)
    if filters.who:
        who = filters.who
        qs = qs.filter(
            Q(person=who) | Q(account__iexact=who) | Q(entity__icontains=who) | Q(terminal__iexact=who)
        )
    if filters.start:
        qs = qs.filter(first_seen__gte=start_of_day_jst(filters.start))
    if filters.end:
        qs = qs.filter(first_seen__lt=start_of_day_jst(filters.end + dt.timedelta(days=1)))
    return qs.select_related("assignee").order_by("-first_seen", "-id")


def rules_in_use() -> list[tuple[str, str]]:
    """(rule_id, stored title) of every rule that has alerts, for the filter menu."""
    rows = Alert.objects.values_list("rule_id", "rule_title").distinct().order_by("rule_id")
    seen: dict[str, str] = {}
    for rule_id, title in rows:
        seen.setdefault(rule_id, title)
    return list(seen.items())


def systems_in_use() -> list[str]:
    """System codes that have alerts."""
    return sorted(s for s in Alert.objects.values_list("system", flat=True).distinct() if s)


@dataclass
class PersonContext:
    """Who was behind the alert at its first event: the account's owner, or the person named by detection."""

    at: dt.datetime
    account: AccountOwnerAt | None = None
    person: PersonAt | None = None
    problem: str = ""


def person_context(alert: Alert) -> PersonContext:
    """The registry as it stood at the alert's first event, for the person and account of the alert."""
    context = PersonContext(at=alert.first_seen)
    try:
        if alert.system and alert.account:
            context.account = account_owner_at(alert.system, alert.account, alert.first_seen)
            context.person = context.account.owner
        if context.person is None and alert.person:
            context.person = person_at(alert.person, alert.first_seen)
    except NotInRegistry as exc:
        context.problem = str(exc)
    return context


@dataclass
class EvidencePage:
    """Evidence events of an alert as the lake holds them (first ``EVIDENCE_SHOWN``)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0  # evidence rows kept on the alert
    missing: list[str] = field(default_factory=list)  # IDs the lake no longer holds (purged)


def _partitions_connection(partitions: set[tuple[str, dt.date]]) -> duckdb.DuckDBPyConnection:
    """A connection whose ``events`` view reads only the lake files of these (system, JST day) partitions.

    An event's partition follows from its system and time, so the evidence of an alert is found in a few
    files instead of a scan of the whole lake.
    """
    root = lake_dir()
    files = [f for f in live_files(root) if (f.system, f.day) in partitions]
    con = duckdb.connect()
    if not files:
        return _empty(con)  # the lake no longer holds them (purged): shown as missing
    listing = ", ".join("'" + str(root / f.path).replace("'", "''") + "'" for f in files)
    con.execute(
        f"CREATE TEMP VIEW events AS SELECT * FROM read_parquet([{listing}], hive_partitioning = true, "
        f"hive_types = {HIVE_TYPES})"
    )
    return con


def _empty(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    empty = EVENT_SCHEMA.empty_table().append_column("day", pa.array([], pa.date32()))
    con.register("alerts_no_events", empty)
    con.execute("CREATE TEMP VIEW events AS SELECT * FROM alerts_no_events")
    return con


def evidence_events(alert: Alert, limit: int = EVIDENCE_SHOWN) -> EvidencePage:
    """The alert's first evidence events, read from the lake by event ID."""
    shown = list(
        alert.evidence.order_by("time", "event_id").values_list("event_id", "time", "system")[:limit]
    )
    page = EvidencePage(stored=alert.evidence.count())
    if not shown:
        return page
    ids = [event_id for event_id, _time, _system in shown]
    con = _partitions_connection({(system, time.astimezone(JST).date()) for _id, time, system in shown})
    try:
        table = events_by_id(ids, con)
    finally:
        con.close()
    rows = table.to_pylist()
    for row in rows:
        row["time_jst"] = row["time"].astimezone(JST)
        # The event search takes minutes (JST wall time): the minute of the event, end excluded.
        minute = row["time_jst"].replace(second=0, microsecond=0)
        row["search_start"] = minute.strftime("%Y-%m-%dT%H:%M")
        row["search_end"] = (minute + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    page.rows = rows
    found = {row["event_id"] for row in rows}
    page.missing = [i for i in ids if i not in found]
    return page


def timeline_query(alert: Alert, hours: int) -> EventQuery:
    """The event search for the alert's person (or account) ±``hours`` around the alert."""
    hours = hours if hours in TIMELINE_HOURS else TIMELINE_HOURS[1]
    start = alert.first_seen - dt.timedelta(hours=hours)
    end = alert.last_seen + dt.timedelta(hours=hours)
    if alert.person:
        return EventQuery(start=start, end=end, person=alert.person, limit=TIMELINE_LIMIT)
    return EventQuery(start=start, end=end, system=alert.system, account=alert.account, limit=TIMELINE_LIMIT)


def timeline(alert: Alert, hours: int) -> tuple[EventQuery, list[dict[str, Any]], bool]:
    """Accesses of the alert's person (every account they owned then) or account, oldest first."""
    query = timeline_query(alert, hours)
    if not query.person and not query.account:
        return query, [], False
    page = search_events(query)
    evidence = set(alert.evidence.values_list("event_id", flat=True)[:5000])
    rows = sorted(page.rows, key=lambda r: r["time"])
    for row in rows:
        row["is_evidence"] = row["event_id"] in evidence
        row["during"] = alert.first_seen <= row["time"] <= alert.last_seen
    return query, rows, page.more

"""Reads for the log pages: sources and their health, and the event search over the lake.

Health figures come from the ingest tallies (cheap, per source and hour) and, for the rate, from the lake
itself restricted to the last day's partitions. The event search reads only the Parquet files of the
partitions (system, JST day) the filters allow — the file list is cut before DuckDB sees it — and stops
at ``limit`` rows, so it stays fast however large the lake grows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.utils import timezone

from ringfence.core.timeutil import JST
from ringfence.registry.models import AccountVersion, TerminalVersion

from .ingest.models import QuarantinedLine, SourceTally
from .lake.layout import lake_dir
from .lake.query import live_files
from .sources import SourceDefinition, load_sources

HEALTH_DAYS = 14
SEARCH_LIMIT = 200
MAX_SEARCH_DAYS = 366
RESULT_COLUMNS = ("event_id", "time", "system", "source", "class", "activity", "outcome", "account", "src_ip",
                  "src_host", "terminal", "function", "record_type", "record_ids", "record_count", "message",
                  "raw", "source_file", "source_line")  # fmt: skip


def configured_sources() -> dict[str, SourceDefinition]:
    """The definitions kept in ``<data dir>/sources`` (none when the folder does not exist or is invalid)."""
    folder = Path(settings.DATA_DIR) / "sources"
    if not folder.is_dir():
        return {}
    try:
        return load_sources(folder)
    except Exception:  # an invalid file must not take the health page down; ingest reports it
        return {}


@dataclass(frozen=True)
class SourceHealth:
    """One source's figures on the sources page."""

    source: str
    system: str
    description: str
    last_event_at: dt.datetime | None
    last_received_at: dt.datetime | None
    events_total: int
    quarantined_total: int
    events_per_hour: float  # average over the days it logged in the window
    silent_days: tuple[dt.date, ...] = ()  # days it did not log although it and its peers normally do
    never_received: bool = False

    @property
    def silent(self) -> bool:
        """Whether the source went quiet in the window (or has never delivered anything)."""
        return self.never_received or bool(self.silent_days)

    @property
    def parse_error_rate(self) -> float:
        """Share of received lines that were quarantined."""
        seen = self.events_total + self.quarantined_total
        return self.quarantined_total / seen if seen else 0.0

    @property
    def parse_error_percent(self) -> float:
        """``parse_error_rate`` in percent, for display."""
        return self.parse_error_rate * 100


def daily_counts(days: list[dt.date], root: Path | None = None) -> dict[str, dict[dt.date, int]]:
    """Events per source and JST day, for the given days only (only their partitions are read)."""
    root = root or lake_dir()
    files = live_files(root, days=days)
    if not files:
        return {}
    con = duckdb.connect()
    rows = con.execute(
        "SELECT source, day, count(*) FROM read_parquet(?, hive_partitioning = true, "
        "hive_types = {'system': 'VARCHAR', 'day': 'DATE'}) GROUP BY ALL",
        [[str(root / f.path) for f in files]],
    ).fetchall()
    counts: dict[str, dict[dt.date, int]] = {}
    for source, day, count in rows:
        counts.setdefault(str(source), {})[day] = int(count)
    return counts


NEAR_SILENT_SHARE = 0.01  # a day with under 1 % of the neighbouring days' events is as good as silent


def _quiet(own: dict[dt.date, int], day: dt.date, before: dt.date, after: dt.date | None) -> bool:
    """Whether ``day`` fell (nearly) silent between two days on which the source logged."""
    logged_before, logged_after = own.get(before, 0), own.get(after, 0) if after is not None else None
    if not logged_before or logged_after == 0:
        return False
    usual = min(logged_before, logged_after) if logged_after is not None else logged_before
    return own.get(day, 0) < usual * NEAR_SILENT_SHARE


def silent_days(counts: dict[str, dict[dt.date, int]], days: list[dt.date]) -> dict[str, tuple[dt.date, ...]]:
    """Days on which a source did not log although it should have, by source.

    A day counts as silent when the source logged the day before, and the day after (if that day is in the
    window), but on the day itself wrote nothing or under 1 % of the smaller of those days' counts — a log
    that stops just after midnight still leaves a few lines — *and* most other sources that logged on those
    neighbouring days logged normally on it. The last condition tells a gap from a day off: on a weekend or
    public holiday the office systems all fall quiet together, so none of them is flagged; when one system's
    log stops while its peers keep writing, it is.
    """
    result: dict[str, tuple[dt.date, ...]] = {}
    for source, own in counts.items():
        gaps: list[dt.date] = []
        for index, day in enumerate(days):
            if index == 0:
                continue
            before = days[index - 1]
            after = days[index + 1] if index + 1 < len(days) else None
            if not _quiet(own, day, before, after):
                continue
            peers = [
                other
                for name, other in counts.items()
                if name != source and other.get(before) and (after is None or other.get(after))
            ]
            if peers and sum(1 for other in peers if not _quiet(other, day, before, after)) * 2 > len(peers):
                gaps.append(day)
        if gaps:
            result[source] = tuple(gaps)
    return result


def source_health(now: dt.datetime | None = None, root: Path | None = None) -> list[SourceHealth]:
    """Every source known from tallies or definitions, with its health; silent sources first.

    The window is the ``HEALTH_DAYS`` JST days up to the newest event received from any source (or now,
    if earlier): in live operation that ends today; when a past week is loaded it is that week, so a log
    that stopped or skipped a day still stands out.
    """
    now = now or timezone.now()
    sums = {
        row["source"]: row
        for row in SourceTally.objects.values("source").annotate(
            system=Max("system"),
            events=Sum("events"),
            quarantined=Sum("quarantined"),
            last_event=Max("last_event_at"),
            last_received=Max("last_received_at"),
        )
    }
    definitions = configured_sources()
    newest = [row["last_event"] for row in sums.values() if row["last_event"] is not None]
    reference = min(now, max(newest)) if newest else now
    last_day = reference.astimezone(JST).date()
    days = [last_day - dt.timedelta(days=n) for n in range(HEALTH_DAYS - 1, -1, -1)]
    counts = daily_counts(days, root) if newest else {}
    # The reference day is still running: it may show that a source resumed, never that it is silent.
    gaps = silent_days(counts, days)
    result: list[SourceHealth] = []
    for source in sorted(set(sums) | set(definitions)):
        row: dict[str, Any] = dict(sums.get(source, {}))
        definition = definitions.get(source)
        active = [n for n in counts.get(source, {}).values() if n]
        result.append(
            SourceHealth(
                source=source,
                system=str(row.get("system") or (definition.system if definition else "")),
                description=definition.description if definition else "",
                last_event_at=row.get("last_event"),
                last_received_at=row.get("last_received"),
                events_total=int(row.get("events") or 0),
                quarantined_total=int(row.get("quarantined") or 0),
                events_per_hour=sum(active) / len(active) / 24 if active else 0.0,
                silent_days=tuple(d for d in gaps.get(source, ()) if d != last_day),
                never_received=row.get("last_event") is None,
            )
        )
    result.sort(key=lambda h: (not h.silent, h.system, h.source))
    return result


def recent_quarantine(source: str | None = None, limit: int = 100) -> list[QuarantinedLine]:
    """The newest quarantined lines (of one source, if given)."""
    lines = QuarantinedLine.objects.all()
    if source:
        lines = lines.filter(source=source)
    return list(lines.order_by("-received_at", "source", "line")[:limit])


@dataclass(frozen=True)
class EventQuery:
    """Filters of the event search; times are aware datetimes, [start, end)."""

    start: dt.datetime
    end: dt.datetime
    system: str = ""
    account: str = ""
    person: str = ""  # employee number: the accounts the registry says they owned, at each event's time
    terminal: str = ""  # asset tag, host name or IP address
    record_id: str = ""
    limit: int = SEARCH_LIMIT

    def days(self) -> list[dt.date]:
        """The JST days the range touches (the partitions to read)."""
        first = self.start.astimezone(JST).date()
        last = (self.end - dt.timedelta(microseconds=1)).astimezone(JST).date()
        count = min((last - first).days + 1, MAX_SEARCH_DAYS)
        return [first + dt.timedelta(days=n) for n in range(max(count, 0))]

    def as_dict(self) -> dict[str, str]:
        """The filters as text, for the audit trail."""
        return {name: str(value) for name, value in self.__dict__.items() if value not in ("", None)}


@dataclass
class EventPage:
    """Events found (newest first), whether more matched than shown, and how many files were read."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False
    files_read: int = 0
    unknown_person: bool = False


def _ownership(employee_number: str, start: dt.datetime, end: dt.datetime) -> pa.Table:
    """(system, account, from, to) of the accounts the person owned during [start, end), as known now."""
    versions = (
        AccountVersion.objects.filter(owner__employee_number=employee_number, superseded_at__isnull=True)
        .filter(valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .values_list("entity__system__code", "entity__account_id", "valid_from", "valid_to")
    )
    rows = list(versions)
    return pa.table(
        {
            "system": pa.array([r[0] for r in rows], pa.string()),
            "account": pa.array([r[1] for r in rows], pa.string()),
            "valid_from": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC")),
            "valid_to": pa.array([r[3] for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )


def _terminal_names(value: str) -> list[str]:
    """The value itself plus, when it is a terminal's asset tag, every host name and IP it has had."""
    names = {value}
    for hostname, ip in TerminalVersion.objects.filter(
        entity__asset_tag=value, superseded_at__isnull=True
    ).values_list("hostname", "ip_address"):
        names.update(v for v in (hostname, ip) if v)
    return sorted(names)


def search_events(query: EventQuery, root: Path | None = None) -> EventPage:
    """Events matching ``query``, newest first, at most ``query.limit``."""
    root = root or lake_dir()
    files = live_files(root, system=query.system or None, days=query.days())
    page = EventPage(files_read=len(files))
    owned: pa.Table | None = None
    if query.person:
        owned = _ownership(query.person, query.start, query.end)
        if owned.num_rows == 0:
            page.unknown_person = True
            return page
        systems = set(owned.column("system").to_pylist())
        files = [f for f in files if f.system in systems]
        page.files_read = len(files)
    if not files:
        return page
    clauses = ["e.time >= ?", "e.time < ?"]
    params: list[Any] = [query.start, query.end]
    if query.system:
        clauses.append("e.system = ?")
        params.append(query.system)
    if query.account:
        clauses.append("lower(e.account) = lower(?)")
        params.append(query.account)
    if query.terminal:
        names = _terminal_names(query.terminal)
        marks = ", ".join("?" for _ in names)
        clauses.append(f"(e.terminal IN ({marks}) OR e.src_host IN ({marks}) OR e.src_ip IN ({marks}))")
        params.extend(names * 3)
    if query.record_id:
        clauses.append("list_contains(e.record_ids, ?)")
        params.append(query.record_id)
    columns = ", ".join(f'e."{name}"' for name in RESULT_COLUMNS)
    join = ""
    con = duckdb.connect()
    if owned is not None:
        con.register("owned", owned)
        join = (
            "JOIN owned o ON e.system = o.system AND e.account = o.account AND e.time >= o.valid_from "
            "AND (o.valid_to IS NULL OR e.time < o.valid_to)"
        )
    sql = (
        f"SELECT {columns} FROM read_parquet(?, hive_partitioning = false) e {join} "
        f"WHERE {' AND '.join(clauses)} ORDER BY e.time DESC LIMIT ?"
    )
    # Newest days first, in windows of 1, 2, 4 … days, until enough rows are found: a common account or
    # terminal is answered from the last days' files instead of a year's. A JST day's partitions hold
    # only that day's events, so rows of a window are all newer than those of the next.
    by_day: dict[dt.date, list[str]] = {}
    for f in files:
        by_day.setdefault(f.day, []).append(str(root / f.path))
    days = sorted(by_day, reverse=True)
    wanted = int(query.limit) + 1
    rows: list[dict[str, Any]] = []
    page.files_read = 0
    width = 1
    while days and len(rows) < wanted:
        window, days = days[:width], days[width:]
        paths = [path for day in window for path in by_day[day]]
        page.files_read += len(paths)
        cursor = con.execute(sql, [paths, *params, wanted - len(rows)])
        names = [d[0] for d in cursor.description]
        rows.extend(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
        width *= 2
    page.more = len(rows) > query.limit
    page.rows = rows[: query.limit]
    for row in page.rows:
        row["time_jst"] = row["time"].astimezone(JST)
    return page


def systems_in_lake(root: Path | None = None) -> list[str]:
    """System codes that have events in the lake."""
    return sorted({f.system for f in live_files(root or lake_dir())})

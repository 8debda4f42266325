"""Driving the monitor: follow the lake's manifest, feed new files in micro-batches, hand findings to alerts.

``MonitorRunner.poll()`` is one round: the files added since the committed position (compaction output
skipped), read in chunks of at most ``max_events`` events, each chunk processed and committed with the
position after its last file. ``start()`` runs rounds in a thread, woken by ``wake()`` — the stream
service's flusher calls it right after events became durable — or every ``interval`` seconds (so files
that ``ringfence ingest`` or another service added are seen too). ``ringfence monitor`` runs the same loop
in the foreground.

A new state starts at the lake's current head (monitoring starts now, the past is ``ringfence analyze``'s
job) unless ``from_start`` is given.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import close_old_connections

from ringfence.alerts.findings import Finding
from ringfence.logs.lake.layout import lake_dir

from .follower import NewFiles, Position, lake_head, new_files, read_events
from .monitor import LiveMonitor, describe
from .state import default_state_dir, lock_state

log = logging.getLogger(__name__)

ACTOR = "system:monitor"
DEFAULT_MAX_EVENTS = 200_000
RULES_CHECK_SECONDS = 60.0
# Updates of known incidents wait while new events keep arriving, but not longer than this.
MAX_UPDATE_DELAY = dt.timedelta(seconds=10)
UPDATE_SLICE = 25  # incidents per delivery, so that a round of new events never waits long behind one


def raise_alerts(findings: list[Finding]) -> Any:
    """The alert intake (C4), as the monitor's actor."""
    from ringfence.alerts.services.intake import raise_alerts as intake

    return intake(findings, actor=ACTOR)


@dataclass
class RoundResult:
    """What one round did."""

    files: int = 0
    events: int = 0
    findings: int = 0
    seconds: float = 0.0
    keys: list[str] = field(default_factory=list)


class MonitorRunner:
    """Follows the lake and feeds a ``LiveMonitor``; one per state directory (a lock file says so)."""

    def __init__(
        self,
        *,
        state_dir: Path | None = None,
        lake_root: Path | None = None,
        ruleset: Any = None,
        rules: Callable[[], Any] | None = None,
        deliver: Callable[[list[Finding]], Any] | None = raise_alerts,
        from_start: bool = False,
        interval: float = 2.0,
        max_events: int = DEFAULT_MAX_EVENTS,
        reload_rules: bool = True,
    ) -> None:
        self.state_dir = state_dir or default_state_dir()
        self.lake_root = lake_root or lake_dir()
        self._lock: IO[bytes] | None = lock_state(self.state_dir)
        # ``rules`` loads the rule set (default: built-in pack, rules folder, settings), again every minute
        # so that rules enabled, disabled or tuned in the UI take effect; a fixed ``ruleset`` is kept.
        self.load_rules = rules or _default_rules
        self.monitor = LiveMonitor(self.state_dir, ruleset if ruleset is not None else self.load_rules())
        self.deliver = deliver
        self.interval = interval
        self.max_events = max_events
        self.reload_rules = reload_rules and ruleset is None
        self._rules_checked = time.monotonic()
        self.last_error = ""
        self.last_round: RoundResult | None = None
        self.totals = RoundResult()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._round_lock = threading.Lock()
        self._figures: dict[str, Any] = {}
        if self.monitor.position is None:
            start = Position() if from_start else lake_head(self.lake_root)
            self.monitor.process(_empty(), position=start)
        # Export and attach the registry now, not when the first event is waiting for its alert.
        self.monitor.refresh_registry(force=True)

    # -- one round ----------------------------------------------------------------------------------------

    def poll(self) -> RoundResult:
        """Process everything that entered the lake since the committed position."""
        with self._round_lock:
            started = time.perf_counter()
            self._maybe_reload_rules()
            position = self.monitor.position or Position()
            found: NewFiles = new_files(self.lake_root, position)
            done = self.monitor.done_files()
            items = [(path, at) for path, at in found.items if path not in done]
            result = RoundResult(files=len(items))
            # In time order, not manifest order: a lake filled by `ringfence ingest` holds one system's week
            # before the next system's, and correlations across systems need the events side by side.
            ordered = sorted(items, key=lambda item: (found.min_times.get(item[0], ""), item[1].seq))
            read: set[str] = set()
            chunk: list[str] = []
            rows = 0
            for index, (path, _at) in enumerate(ordered):
                chunk.append(path)
                rows += _rows_of(self.lake_root, path)
                if rows >= self.max_events or index == len(ordered) - 1:
                    read.update(chunk)
                    self._feed(chunk, *self._safe_position(items, read, found.position, position), result)
                    chunk, rows = [], 0
            if not ordered and found.position != position:
                self._feed([], found.position, [], result)
            result.seconds = time.perf_counter() - started
            self.last_round = result
            self.totals.files += result.files
            self.totals.events += result.events
            self.totals.findings += result.findings
            # Read here, in the round's thread: the state connection is not shared with health callers.
            self._figures = describe(self.monitor)
            return result

    def deliver_updates(self, *, force: bool = False) -> int:
        """Deliver waiting updates of known incidents, a slice of ``UPDATE_SLICE`` keys at a time, while no
        new events wait; one slice per round when they have waited longer than ``MAX_UPDATE_DELAY``; all of
        them with ``force``. Returns how many findings were delivered."""
        if self.deliver is None:
            return 0
        delivered = 0
        while True:
            count, since = self.monitor.updates_waiting()
            if not count:
                return delivered
            overdue = since is not None and dt.datetime.now(dt.UTC) - since > MAX_UPDATE_DELAY
            if not (force or not self._wake.is_set() or (overdue and not delivered)):
                return delivered
            with self._round_lock:
                delivered += self.monitor.deliver_updates(self.deliver, None if force else UPDATE_SLICE)

    @staticmethod
    def _safe_position(
        items: list[tuple[str, Position]], read: set[str], end: Position, start: Position
    ) -> tuple[Position, list[tuple[str, int]]]:
        """The position after the longest manifest-ordered prefix of ``items`` that is all read (``end``
        when everything is), and the files read beyond it (remembered as done)."""
        safe = start
        for path, at in items:
            if path not in read:
                break
            safe = at
        else:
            safe = end
        ahead = [(path, at.seq) for path, at in items if path in read and at.seq > safe.seq]
        return safe, ahead

    def _feed(
        self, paths: list[str], after: Position, done: list[tuple[str, int]], result: RoundResult
    ) -> None:
        events = read_events(self.lake_root, paths)
        batch = self.monitor.process_batch(events, position=after, deliver=self.deliver, done_files=done)
        result.events += batch.evaluated
        result.findings += len(batch.findings)
        result.keys.extend(f.key for f in batch.findings)
        if batch.findings:
            log.info(
                "monitor: %d events, %d findings in %.3f s",
                batch.evaluated,
                len(batch.findings),
                batch.seconds,
            )

    def _maybe_reload_rules(self) -> None:
        if not self.reload_rules or time.monotonic() - self._rules_checked < RULES_CHECK_SECONDS:
            return
        self._rules_checked = time.monotonic()
        ruleset = self.load_rules()
        if getattr(ruleset, "digest", None) != getattr(self.monitor.ruleset, "digest", None):
            self.monitor.set_ruleset(ruleset)
            log.info("monitor: rules reloaded")

    # -- in the background --------------------------------------------------------------------------------

    def wake(self) -> None:
        """Run a round now (the flusher stored events)."""
        self._wake.set()

    def start(self) -> None:
        """Catch up, then run rounds in a thread until ``stop``."""
        self.poll()
        self._thread = threading.Thread(target=self._loop, name="monitor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            self.run_round()

    def run_round(self) -> RoundResult | None:
        """``poll`` that logs errors instead of raising (the state stays; the next round retries)."""
        try:
            result = self.poll()
            self.deliver_updates()
            self.last_error = ""
            return result
        except Exception as exc:
            self.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.exception("monitoring round failed; will retry")
            time.sleep(min(self.interval, 5))
            return None
        finally:
            close_old_connections()

    def stop(self) -> None:
        """Stop the thread after a last round; release the state."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self.run_round()
            self.deliver_updates(force=True)
        self.close()

    def close(self) -> None:
        """Release the state database and its lock."""
        self.monitor.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def health(self) -> dict[str, Any]:
        """Figures for the stream service's health answer and the command's status line."""
        last = self.last_round
        return {
            **self._figures,
            "last_error": self.last_error,
            "last_round_seconds": round(last.seconds, 4) if last else None,
            "findings": self.totals.findings,
        }


def _default_rules() -> Any:
    from ringfence.detection.engine import load_ruleset

    return load_ruleset()


def _empty() -> Any:
    from ringfence.logs.schema import EVENT_SCHEMA

    return EVENT_SCHEMA.empty_table()


def _rows_of(root: Path, relative_path: str) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(root / relative_path).metadata.num_rows)
    except FileNotFoundError:
        return 0

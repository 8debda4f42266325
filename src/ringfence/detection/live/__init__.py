"""Continuous monitoring (issue 4 item 5): the detection rules evaluated on events as they arrive.

``LiveMonitor(state_dir, ruleset).process(new_events)`` (contract C6) evaluates a micro-batch with the
correlation state kept in ``state_dir``; ``MonitorRunner`` follows the lake's manifest and feeds it, inside
``ringfence stream run --monitor`` (woken after each flush) or as ``ringfence monitor``. See
docs/monitoring.md.
"""

from __future__ import annotations

from .follower import NewFiles, Position, lake_head, new_files, read_events
from .monitor import BatchResult, LiveMonitor, describe
from .runner import MonitorRunner, RoundResult

__all__ = [
    "BatchResult",
    "LiveMonitor",
    "MonitorRunner",
    "NewFiles",
    "Position",
    "RoundResult",
    "describe",
    "lake_head",
    "new_files",
    "read_events",
]

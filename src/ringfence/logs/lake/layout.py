"""Where things are in the lake, and the rules for the names used in paths.

    <LAKE_DIR>/manifest.jsonl                                   the hash-chained manifest
    <LAKE_DIR>/.lock                                            writers hold it exclusively (flock)
    <LAKE_DIR>/pending/<txn>.json                               intent of an unfinished write (recovery)
    <LAKE_DIR>/events/system=<code>/day=<YYYY-MM-DD>/part-<seq>-<id>.parquet

The partition directories use Hive's ``key=value`` form so DuckDB derives ``system`` and ``day`` from the
path and skips whole files when a query filters on them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

EVENTS_DIR = "events"
MANIFEST_NAME = "manifest.jsonl"
LOCK_NAME = ".lock"
PENDING_DIR = "pending"
TEMP_SUFFIX = ".tmp"

# A system code becomes a directory name: no separators, no '=' (Hive), no leading dot (hidden files).
SYSTEM_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PART_PATH = re.compile(
    r"events/system=(?P<system>[A-Za-z0-9][A-Za-z0-9_.-]{0,63})/day=(?P<day>\d{4}-\d{2}-\d{2})/"
    r"part-(?P<seq>\d+)-(?P<id>[0-9a-f]+)\.parquet"
)


def lake_dir() -> Path:
    """The lake's root directory (``settings.LAKE_DIR``), as an absolute path."""
    return Path(settings.LAKE_DIR).resolve()


@dataclass(frozen=True)
class Partition:
    """One system's events of one JST calendar day."""

    system: str
    day: dt.date

    @property
    def relative_dir(self) -> str:
        """The partition's directory relative to the lake root, with forward slashes."""
        return f"{EVENTS_DIR}/system={self.system}/day={self.day.isoformat()}"

    def part_name(self, seq: int, short_id: str) -> str:
        """Relative path of a part file; ``seq`` orders the parts (the manifest sequence at writing)."""
        return f"{self.relative_dir}/part-{seq:012d}-{short_id}.parquet"


def partition_of(relative_path: str) -> Partition | None:
    """The partition a part file's relative path names, or None when the path is not a part file's."""
    match = PART_PATH.fullmatch(relative_path)
    if match is None:
        return None
    try:
        day = dt.date.fromisoformat(match["day"])
    except ValueError:
        return None
    return Partition(match["system"], day)


def absolute(root: Path, relative_path: str) -> Path:
    """The absolute path of a lake-relative path, refusing anything that would leave the lake."""
    pure = PurePosixPath(relative_path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ValueError(relative_path)
    return root.joinpath(*pure.parts)


def relative(root: Path, path: Path) -> str:
    """The lake-relative path of a file under ``root``, with forward slashes (as in the manifest)."""
    return path.relative_to(root).as_posix()

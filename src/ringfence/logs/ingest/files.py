"""The files an ingest reads: folders walked, ``.gz`` and ``.zip`` opened, unreadable files named.

Every input becomes an ``InputFile`` before anything is read, so a path that does not exist or cannot be
read stops the run before it starts, naming the file. A compressed file is decompressed into a private
temporary folder and read like any other; its *name* (``access.log`` for ``access.log.gz``, the member's
name for a ZIP member) identifies it, so a compressed copy of a file already ingested is recognised.
"""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.utils.translation import gettext as _

from ringfence.core.errors import BadInput, InputProblem, RingfenceError

from .routing import SOURCES_JSON

COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class InputFile:
    """One log file to read: a plain file, a ``.gz`` file, or one member of a ZIP archive."""

    path: Path  # the file on disk (the archive, for a member)
    name: str  # identity of the content: base name without .gz, or the member's base name
    display: str  # how messages and the events' source_file name it
    member: str | None = None
    size: int = 0  # bytes on disk (compressed size for archives), for progress

    @property
    def compressed(self) -> bool:
        """Whether the content must be decompressed before reading."""
        return self.member is not None or self.path.suffix == ".gz"


def _ignored(path: Path) -> bool:
    """Files a folder walk leaves alone: hidden files and the folder's source description."""
    return path.name.startswith(".") or path.name == SOURCES_JSON


def _check_readable(path: Path) -> None:
    with path.open("rb") as handle:
        handle.read(1)


def _zip_members(path: Path) -> list[InputFile]:
    with zipfile.ZipFile(path) as archive:
        return [
            InputFile(
                path=path,
                name=PurePosixPath(info.filename).name.removesuffix(".gz"),
                display=f"{path}!{info.filename}",
                member=info.filename,
                size=info.compress_size,
            )
            for info in archive.infolist()
            if not info.is_dir() and not PurePosixPath(info.filename).name.startswith(".")
        ]


def _one(path: Path) -> list[InputFile]:
    _check_readable(path)
    if path.suffix.lower() == ".zip":
        return _zip_members(path)
    size = path.stat().st_size
    name = path.name.removesuffix(".gz") if path.suffix == ".gz" else path.name
    return [InputFile(path=path, name=name, display=str(path), size=size)]


def expand(paths: Iterable[Path]) -> list[InputFile]:
    """Every file of ``paths`` (folders walked in name order); ``BadInput`` naming each one unusable."""
    found: list[InputFile] = []
    problems: list[InputProblem] = []
    for given in paths:
        if not given.exists():
            problems.append(InputProblem(given, None, None, _("does not exist")))
            continue
        candidates = (
            [given]
            if given.is_file()
            else sorted(p for p in given.rglob("*") if p.is_file() and not _ignored(p.relative_to(given)))
        )
        for path in candidates:
            if given.is_dir() and any(part.startswith(".") for part in path.relative_to(given).parts):
                continue
            try:
                found.extend(_one(path))
            except PermissionError:
                problems.append(InputProblem(path, None, None, _("cannot be read (permission denied)")))
            except zipfile.BadZipFile as exc:
                problems.append(
                    InputProblem(path, None, None, _("not a valid ZIP file: %(error)s") % {"error": exc})
                )
            except OSError as exc:
                problems.append(
                    InputProblem(
                        path, None, None, _("cannot be read: %(error)s") % {"error": exc.strerror or exc}
                    )
                )
    if problems:
        raise BadInput(_("some inputs cannot be read; nothing was ingested"), problems)
    return found


@contextmanager
def plain_copy(item: InputFile, scratch: Path) -> Iterator[Path]:
    """The content of ``item`` as a plain file: the file itself, or a decompressed copy in ``scratch``."""
    if not item.compressed:
        yield item.path
        return
    target = scratch / f"{os.getpid()}-{abs(hash(item.display))}-{item.name}"
    try:
        try:
            with target.open("wb") as out:
                if item.member is not None:
                    with zipfile.ZipFile(item.path) as archive, archive.open(item.member) as src:
                        _copy(src, out, item.member)
                else:
                    with gzip.open(item.path, "rb") as src:
                        _copy(src, out, item.path.name)
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise RingfenceError(
                _("%(file)s cannot be decompressed: %(error)s") % {"file": item.display, "error": exc}
            ) from exc
        yield target
    finally:
        target.unlink(missing_ok=True)


def _copy(src: IO[bytes] | gzip.GzipFile, out: IO[bytes], name: str) -> None:
    if name.endswith(".gz") and not isinstance(src, gzip.GzipFile):
        with gzip.GzipFile(fileobj=src, mode="rb") as inner:  # a .gz inside a ZIP
            shutil.copyfileobj(inner, out, COPY_CHUNK)
        return
    shutil.copyfileobj(src, out, COPY_CHUNK)

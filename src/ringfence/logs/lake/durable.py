"""File-system primitives with the durability the lake promises, and errors a person can act on.

A write is durable once the file's data is fsynced *and* the directory entry naming it is fsynced; both are
needed on ext4/XFS for a renamed file to survive a power cut. Operating-system errors (disk full, no
permission, file too large) become a ``RingfenceError`` naming the path, so the CLI stops with one clear
line instead of a traceback.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.utils.translation import gettext as _

from ringfence.core.errors import RingfenceError

DIR_MODE = 0o750
FILE_MODE = 0o640  # events are personal data: the service account and its group (DuckDB jobs) only
HASH_CHUNK = 1 << 20


class LakeIOError(RingfenceError):
    """The lake could not be read or written; the message names the path and the reason."""


def io_error(path: Path | str, exc: OSError) -> LakeIOError:
    """A one-line error for an operating-system failure on ``path``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = _("the disk is full")
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = _("permission denied")
    elif exc.errno == errno.EFBIG:
        reason = _("file too large for the file system or the process's limit")
    else:
        reason = exc.strerror or str(exc)
    return LakeIOError(_("cannot use %(path)s: %(reason)s") % {"path": path, "reason": reason})


@contextmanager
def os_errors(path: Path | str) -> Iterator[None]:
    """Turn any ``OSError`` raised inside into a ``LakeIOError`` naming ``path``."""
    try:
        yield
    except LakeIOError:
        raise
    except OSError as exc:
        raise io_error(getattr(exc, "filename", None) or path, exc) from exc


def make_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents, fsyncing each parent so the new entries are durable."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    with os_errors(path):
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=DIR_MODE)
            except FileExistsError:
                continue
            fsync_dir(directory.parent)


def fsync_dir(path: Path) -> None:
    """fsync a directory, making renames and creations inside it durable."""
    with os_errors(path):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_file(path: Path) -> None:
    """fsync a file's data and metadata."""
    with os_errors(path):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_small_file(path: Path, data: bytes) -> None:
    """Write a small file durably beside its final name and rename it into place."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os_errors(draft):
        with open(draft, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        draft.chmod(FILE_MODE)
        draft.replace(path)
    fsync_dir(path.parent)


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a file, read in chunks (the GIL is released while hashing)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@contextmanager
def exclusive_lock(root: Path) -> Iterator[None]:
    """Hold the lake's writer lock; blocks until other writers (any process on this host) finish.

    ``flock`` is released by the kernel when the holder dies, so a killed writer never leaves the lake
    locked. (The lake must sit on a local file system; flock over NFS is not dependable.)
    """
    from .layout import LOCK_NAME

    make_dirs(root)
    lock_path = root / LOCK_NAME
    with os_errors(lock_path):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        with os_errors(lock_path):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock

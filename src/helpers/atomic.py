"""The one way this workspace replaces a file: write a temporary file beside it, fsync, rename.

A reader sees the old file or the new one, never half of either; a writer that dies leaves only
a temporary file whose name starts with ``.tmp-`` (cleaned up by the next writer that holds the
directory's lock)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_PREFIX = ".tmp-"


def tmp_path(path: Path) -> Path:
    """A unique temporary name beside ``path`` (same directory, so the rename is atomic)."""
    return path.with_name(f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{path.name}")


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(tmp: Path, path: Path) -> None:
    """Rename the finished ``tmp`` over ``path`` and sync the directory."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; on any error ``path`` is unchanged and no temporary file stays."""
    tmp = tmp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def clean_leftovers(directory: Path) -> None:
    """Remove temporary files of writers that died (call only while holding the directory's lock)."""
    for leftover in directory.glob(f"{TMP_PREFIX}*"):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)

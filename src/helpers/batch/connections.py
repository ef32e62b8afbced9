"""Where kernels' connection files and IPC sockets live: a directory private to each worker process."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

_connection_dir: str | None = None
CONNECTION_DIR_PREFIX = "ktpel-k-"


def connection_dir() -> str:
    """A directory private to this process (mode 0700) for kernels' connection files and IPC sockets;
    removed at exit, or by a later batch if this one was killed (its name carries this process's pid)."""
    global _connection_dir
    if _connection_dir is None:
        remove_orphan_connection_dirs()
        # Short: a Unix socket path is limited to 107 bytes (the sockets are <dir>/k-<id>-ipc-<n>).
        _connection_dir = tempfile.mkdtemp(prefix=f"{CONNECTION_DIR_PREFIX}{os.getpid()}-")
        atexit.register(shutil.rmtree, _connection_dir, True)
    return _connection_dir


def remove_orphan_connection_dirs() -> None:
    """Remove this user's connection directories whose process no longer exists (a worker ended by
    SIGKILL); Linux only (``/proc`` says which processes exist)."""
    if not sys.platform.startswith("linux"):
        return
    for path in Path(tempfile.gettempdir()).glob(f"{CONNECTION_DIR_PREFIX}*-*"):
        pid = path.name[len(CONNECTION_DIR_PREFIX):].split("-", 1)[0]
        try:
            mine = path.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not _running(pid):
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: str) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a killed worker not yet reaped by its parent
    still has a ``/proc`` entry, but can no longer use its directory)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")

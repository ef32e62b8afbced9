"""One fingerprint of this package's code: what a report run depends on besides its notebook and data.

Each file's sha256 is kept in memory, keyed by what ``stat`` says of it (size, mtime, ctime, inode): an
unchanged file is not read again, so :func:`package_digest` costs a directory walk and a ``stat`` per file.
Editing a file changes its mtime and ctime, replacing it (git checkout, an atomic rename) its inode.  A file
changed so recently that a further change could leave its timestamps as they are (within :data:`RACY_NS` of
now, the clock tick of the file system) is read every time until it is older, as git does for its index."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

PACKAGE = Path(__file__).parent
#: Non-Python files that change what a run or an export produces.
ASSETS = ("assets", "fonts")
#: A file whose ctime is this close to now (nanoseconds) is hashed again on every call.
RACY_NS = 2_000_000_000

_Key = tuple[int, int, int, int]
_cache: dict[str, tuple[_Key, bytes]] = {}


def _now_ns() -> int:
    return time.time_ns()


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _walk(top: Path, suffix: str) -> list[str]:
    """Package-relative posix names of the files under ``top`` ending in ``suffix`` (no ``__pycache__``)."""
    names = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(folder, PACKAGE).replace(os.sep, "/")
        names += [f if rel == "." else f"{rel}/{f}" for f in files if f.endswith(suffix)]
    return sorted(names)


def package_files(parts: Sequence[str] | None = None) -> list[str]:
    """Every module of this package and its assets (or only the modules under the subpackages ``parts``), by
    package-relative posix name, in a stable order."""
    if parts is None:
        return _walk(PACKAGE, ".py") + [n for d in ASSETS for n in _walk(PACKAGE / d, "")]
    return [n for part in parts for n in _walk(PACKAGE / part, ".py")]


def file_digest(path: str | Path) -> bytes:
    """sha256 of the file at ``path``, read only if its size, mtime, ctime or inode changed since last time."""
    path = os.fspath(path)
    st = os.stat(path)
    key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    hit = _cache.get(path)  # a dict's get and set are atomic: no lock (that a fork could inherit held)
    if hit is not None and hit[0] == key:
        return hit[1]
    digest = hashlib.sha256(_read(path)).digest()  # stat before reading: a change while reading shows next time
    if _now_ns() - st.st_ctime_ns >= RACY_NS:
        _cache[path] = (key, digest)
    return digest


def package_digest(parts: Sequence[str] | None = None) -> str:
    """sha256 over :func:`package_files` (their names and their contents' sha256) as they are on disk now: the
    caller's and a worker's must agree."""
    h = hashlib.sha256()
    for name in package_files(parts):
        h.update(f"{name}\0".encode())
        h.update(file_digest(os.path.join(PACKAGE, name)))
    return h.hexdigest()

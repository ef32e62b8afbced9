"""One fingerprint of this package's code: what a report run depends on besides its notebook and data."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

PACKAGE = Path(__file__).parent
#: Non-Python files that change what a run or an export produces.
ASSETS = ("assets", "fonts")


def package_files(parts: Sequence[str] | None = None) -> list[tuple[str, bytes]]:
    """Every module of this package and its assets (or only those under the subpackages ``parts``),
    by package-relative path, in a stable order."""
    if parts is None:
        paths = sorted(PACKAGE.rglob("*.py")) + sorted(p for d in ASSETS for p in (PACKAGE / d).rglob("*") if p.is_file())
    else:
        paths = sorted(p for part in parts for p in (PACKAGE / part).rglob("*.py"))
    return [(p.relative_to(PACKAGE).as_posix(), p.read_bytes()) for p in paths if "__pycache__" not in p.parts]


def package_digest(parts: Sequence[str] | None = None) -> str:
    """sha256 of :func:`package_files` as they are on disk now: the caller's and a worker's must agree."""
    h = hashlib.sha256()
    for name, data in package_files(parts):
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()

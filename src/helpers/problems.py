"""Validation problems, reported as ``file:line: field: what is wrong``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ValidationFailed(Exception):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(ValueError):
    """A bad command-line request (``-p``, ``--only``, ``--jobs``, a bad parameter of a hand run)."""


class StorageError(RuntimeError):
    """The workspace could not write (or read) its own files: a read-only directory, a full disk.  The message
    names the place relative to the project; what was there before is unchanged."""

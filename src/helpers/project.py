"""Where a workspace keeps its files.  Every command works on one project: the
directory given with ``--project`` or the nearest one above the current directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def snapshots_dir(self) -> Path:
        return self.processed / "snapshots"

    @property
    def catalog_path(self) -> Path:
        return self.processed / "catalog.json"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    def rel(self, path: Path) -> str:
        """``path`` relative to the project root, for messages (never a machine path)."""
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:  # pragma: no cover - other drive on Windows
            return path.name


def find_project(start: Path | str | None = None) -> Project:
    """The project at ``start`` (or ``$KTPEL_PROJECT``, or the current directory),
    or the nearest directory above it that holds ``data/raw``."""
    here = Path(start or os.environ.get("KTPEL_PROJECT") or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "data" / "raw").is_dir():
            return Project(candidate)
    raise FileNotFoundError(f"no KTP-el workspace (a directory with data/raw/) at or above {here.name or here}")

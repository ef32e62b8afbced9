"""Shared by every test file: a private copy of the raw layer, and a way to run ``ktpel``.

Keep this small and general; fixtures of one test file belong in that file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.project import Project

#: The repository (the project whose raw layer the tests copy).
ROOT = Path(__file__).resolve().parents[1]


#: The five seed sources as first checked (``tests/fixtures/seed/raw``): tests that pin particular facts,
#: lines and counts use them, so that the corpus in ``data/raw`` can grow without rewriting the tests.
SEED_RAW = ROOT / "tests" / "fixtures" / "seed" / "raw"


def copy_raw_layer(dest: Path, seed: bool = False) -> Project:
    """Copy the repository's ``data/raw`` (or, with ``seed``, the seed raw layer) into ``dest/data/raw``;
    the project at ``dest``."""
    shutil.copytree(SEED_RAW if seed else ROOT / "data" / "raw", dest / "data" / "raw")
    return Project(dest)


@pytest.fixture
def project_copy(tmp_path: Path) -> Project:
    """A workspace at ``tmp_path/ws`` holding a copy of the seed raw layer and nothing else."""
    return copy_raw_layer(tmp_path / "ws", seed=True)


def run_ktpel(project_root: Path | Project, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``ktpel --project ROOT ARGS...`` in a subprocess (text, stdout and stderr captured)."""
    root = project_root.root if isinstance(project_root, Project) else project_root
    return subprocess.run([sys.executable, "-m", "helpers.cli", "--project", str(root), *args],
                          capture_output=True, text=True, timeout=timeout)

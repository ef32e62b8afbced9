"""Shared by every test file: a private copy of the raw layer, a built workspace with the probe notebook,
and a way to run ``ktpel``.

Keep this small and general; fixtures of one test file belong in that file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from helpers.project import Project
from helpers.snapshot import build

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


#: A batch of one run of the probe notebook; replace ``MODE`` by its mode (see :func:`write_probe_notebook`).
PROBE_CONFIG = """\
runs:
  - name: probe
    notebook: notebooks/99_probe.ipynb
    parameters: {mode: MODE}
"""


def write_probe_notebook(path: Path) -> None:
    """A tiny notebook whose ``mode`` parameter says what it does: ``ok`` prints ``probe ok transport
    <the kernel's transport>``; ``raise`` raises ValueError; ``kill`` kills its own kernel; ``sleep`` writes its
    kernel's pid to ``kernel.pid`` (in its cwd) and sleeps, so that a run is in progress while a test acts."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
                       language_info={"name": "python"})
    params = nbformat.v4.new_code_cell('snapshot = "latest"\nmode = "ok"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import json, os, signal, time\n"
        "if mode == 'raise':\n    raise ValueError('probe asked to fail')\n"
        "if mode == 'kill':\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        "if mode == 'sleep':\n"
        "    with open('kernel.pid.tmp', 'w') as fh:\n        fh.write(str(os.getpid()))\n"
        "    os.replace('kernel.pid.tmp', 'kernel.pid')\n"
        "    time.sleep(600)\n"
        "from ipykernel.connect import get_connection_info\n"
        "print('probe', mode, 'transport', json.loads(get_connection_info())['transport'])")]
    nbformat.write(nb, path)


def report_workspace(dest: Path, *, seed: bool = False, notebooks: bool = True, probe: bool = False) -> SimpleNamespace:
    """A workspace at ``dest`` with a copy of the raw layer (:func:`copy_raw_layer`), the project's notebooks and
    ``reports.yaml`` (or, without ``notebooks``, an empty notebooks folder), ``notebooks/99_probe.ipynb`` if
    ``probe`` (:func:`write_probe_notebook`), and its snapshot built: ``project``, ``root``, ``sid`` and ``out``
    (``reports/<sid>``)."""
    project = copy_raw_layer(dest, seed=seed)
    if notebooks:
        shutil.copytree(ROOT / "notebooks", project.notebooks_dir)
        shutil.copy(ROOT / "reports.yaml", project.root / "reports.yaml")
    else:
        project.notebooks_dir.mkdir()
    if probe:
        write_probe_notebook(project.notebooks_dir / "99_probe.ipynb")
    sid = build(project).snapshot_id
    return SimpleNamespace(project=project, root=project.root, sid=sid, out=project.reports_dir / sid)


@pytest.fixture(scope="session")
def probe_workspace(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., SimpleNamespace]:
    """``probe_workspace(name, seed=False, notebooks=True)``: a new :func:`report_workspace` with the probe
    notebook, in a temporary folder named after ``name`` (call it from a module-scoped fixture)."""
    def make(name: str, *, seed: bool = False, notebooks: bool = True) -> SimpleNamespace:
        return report_workspace(tmp_path_factory.mktemp(name) / "ws", seed=seed, notebooks=notebooks, probe=True)
    return make


def cells_run(notebook: str) -> int:
    """How many code cells a run of ``notebooks/<notebook>`` executes (the progress line's "N/N cells"): its own,
    and the parameters cell Papermill injects."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    return sum(cell.cell_type == "code" for cell in nb.cells) + 1


def run_ktpel(project_root: Path | Project, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``ktpel --project ROOT ARGS...`` in a subprocess (text, stdout and stderr captured)."""
    root = project_root.root if isinstance(project_root, Project) else project_root
    return subprocess.run([sys.executable, "-m", "helpers.cli", "--project", str(root), *args],
                          capture_output=True, text=True, timeout=timeout)


def _load_screenshot_tool():
    """``tools/screenshot.py`` as a module: the browser tests open pages the way it does (offline Chromium)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ktpel_screenshot", ROOT / "tools" / "screenshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


screenshot_tool = _load_screenshot_tool()

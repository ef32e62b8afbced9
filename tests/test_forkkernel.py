"""Kernels forked from a warm zygote (helpers.batch.kernels) behave like spawned ones, for real.

Each test runs a small notebook through helpers.batch.engine.execute_task (real Papermill, real kernels)
in this process, once forked and once spawned, and compares what the kernel saw."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from helpers.batch import engine as nbengine
from helpers.batch import kernels as forkkernel
from helpers.batch.tasks import RunTask

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report")]

PROBE = """\
import json, os, sys
import pandas as pd
seen = {"cwd": os.getcwd(), "project": os.environ.get("KTPEL_PROJECT"), "path0": sys.path[0],
        "max_columns": pd.get_option("display.max_columns"), "names": sorted(n for n in dir() if not n.startswith("_")),
        "own_session": os.getsid(0) == os.getpid(), "main": sys.modules["__main__"].__name__,
        "argv0": os.path.basename(sys.argv[0])}
print(json.dumps(seen))
"""


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
                       language_info={"name": "python"})
    nbformat.write(nb, path)
    return path


def _run(tmp: Path, notebook: Path, name: str, kernel_start: str, **env: str):
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    task = RunTask(name=name, notebook=notebook, output_dir=out, parameters={}, cwd=notebook.parent,
                   env={"KTPEL_PROJECT": str(tmp), **env}, kernel_name="python3", input_label=notebook.name,
                   output_dir_label="out", kernel_start=kernel_start, start_timeout=60)
    return nbengine.execute_task(task, lambda event: None)


def _printed(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    return json.loads(nb.cells[0].outputs[0]["text"])


@pytest.fixture(autouse=True)
def _fresh_zygote():
    nbengine.register()
    forkkernel.discard_zygote()
    yield
    forkkernel.discard_zygote()


def test_a_forked_kernel_sees_what_a_spawned_one_sees(tmp_path):
    (tmp_path / "nb").mkdir()
    notebook = _notebook(tmp_path / "nb" / "probe.ipynb", PROBE)
    seen = {}
    for mode in ("spawn", "fork"):
        outcome = _run(tmp_path, notebook, f"probe-{mode}", mode)
        assert outcome.ok, outcome.error
        seen[mode] = _printed(outcome.output)
    assert seen["fork"] == seen["spawn"]
    assert seen["fork"]["cwd"] == str(tmp_path / "nb") and seen["fork"]["project"] == str(tmp_path)
    assert seen["fork"]["max_columns"] == 20  # pandas' default inside a kernel, not a terminal's 0
    assert seen["fork"]["own_session"] is True
    assert "pd" in seen["fork"]["names"] and "seen" not in seen["fork"]["names"]  # a fresh namespace


def test_forked_kernels_share_the_imports_and_start_faster(tmp_path):
    notebook = _notebook(tmp_path / "imports.ipynb", "import sys\nprint('pandas' in sys.modules)",
                         "import helpers.analysis.charts, pandas, altair, duckdb")
    _run(tmp_path, notebook, "warm-up", "fork")  # starts the zygote
    times = {}
    for mode in ("spawn", "fork"):
        t0 = time.perf_counter()
        outcome = _run(tmp_path, notebook, f"imports-{mode}", mode)
        times[mode] = time.perf_counter() - t0
        assert outcome.ok, outcome.error
        preloaded = nbformat.read(outcome.output, as_version=4).cells[0].outputs[0]["text"].strip()
        assert preloaded == ("True" if mode == "fork" else "False")
    assert times["fork"] < times["spawn"], times


def test_a_dead_zygote_is_replaced_and_a_killed_kernel_is_reported(tmp_path):
    notebook = _notebook(tmp_path / "probe.ipynb", PROBE)
    assert _run(tmp_path, notebook, "first", "fork").ok
    old = forkkernel.zygote()
    os.kill(old.process.pid, signal.SIGKILL)
    old.process.wait()
    outcome = _run(tmp_path, notebook, "second", "fork")
    assert outcome.ok, outcome.error
    assert forkkernel.zygote() is not old and forkkernel.zygote().alive()
    killer = _notebook(tmp_path / "kill.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    killed = _run(tmp_path, killer, "killed", "fork")
    assert not killed.ok and "DeadKernelError" in killed.error


def _gone(pid: int, within: float = 15.0) -> bool:
    """Whether process ``pid`` ended (or is a zombie) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def test_the_zygote_ends_when_its_worker_is_killed():
    code = ("import time\nfrom helpers.batch import kernels as forkkernel\nz = forkkernel.zygote()\nz._await_ready()\n"
            "print(z.process.pid, flush=True)\ntime.sleep(120)")
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        zygote_pid = int(worker.stdout.readline())
    finally:
        worker.kill()  # SIGKILL: no clean-up code of the worker runs
        worker.wait()
    assert _gone(zygote_pid), "the zygote outlived its worker"


def test_an_unknown_kernel_start_is_refused(tmp_path):
    from helpers.batch.run import run_batch
    from helpers.problems import UsageError
    from helpers.project import Project

    with pytest.raises(UsageError, match="unknown kernel start 'thread'; choose one of fork, spawn"):
        run_batch(Project(tmp_path), kernel_start="thread")

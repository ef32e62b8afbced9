"""Kernels forked from a warm zygote (helpers.batch.kernels) behave like spawned ones, for real.

Each test runs a small notebook through helpers.batch.engine.execute_task (real Papermill, real kernels)
in this process, once forked and once spawned, and compares what the kernel saw."""

from __future__ import annotations

import json
import os
import shutil
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


def _run(tmp: Path, notebook: Path, name: str, kernel_start: str, events: list | None = None, **env: str):
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    task = RunTask(name=name, notebook=notebook, output_dir=out, parameters={}, cwd=notebook.parent,
                   env={"KTPEL_PROJECT": str(tmp), **env}, kernel_name="python3", input_label=notebook.name,
                   output_dir_label="out", kernel_start=kernel_start, start_timeout=60)
    return nbengine.execute_task(task, (events if events is not None else []).append)


def _printed(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    return json.loads(nb.cells[0].outputs[0]["text"])


@pytest.fixture(autouse=True)
def _fresh_zygote():
    nbengine.register()
    forkkernel.discard_zygote()
    forkkernel.reset_failures()
    yield
    forkkernel.discard_zygote()
    forkkernel.reset_failures()


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


def test_forked_kernels_share_the_imports_the_zygote_made(tmp_path):
    """A forked kernel finds pandas, Altair, DuckDB and the helpers already imported (the zygote's work), a
    spawned one does not; which kernel ran is a state of the kernel, not a time."""
    notebook = _notebook(tmp_path / "imports.ipynb", "import sys\nprint('pandas' in sys.modules)",
                         "import helpers.analysis.charts, pandas, altair, duckdb")
    for mode in ("spawn", "fork"):
        outcome = _run(tmp_path, notebook, f"imports-{mode}", mode)
        assert outcome.ok, outcome.error
        preloaded = nbformat.read(outcome.output, as_version=4).cells[0].outputs[0]["text"].strip()
        assert preloaded == ("True" if mode == "fork" else "False")


def test_the_zygote_forks_with_no_thread_but_jemallocs_and_kernels_have_none_of_it(tmp_path):
    """The only thread beside the zygote's main thread is jemalloc's background thread (pyarrow); a forked
    kernel does not have it (fork copies the calling thread only), and speaks IPC, not TCP."""
    notebook = _notebook(tmp_path / "threads.ipynb",
                         "import json, os\nfrom ipykernel.connect import get_connection_info\n"
                         "tids = os.listdir(f'/proc/{os.getpid()}/task')\n"
                         "names = [open(f'/proc/{os.getpid()}/task/{t}/comm').read().strip() for t in tids]\n"
                         "print(json.dumps({'jemalloc': 'jemalloc_bg_thd' in names, "
                         "'transport': json.loads(get_connection_info())['transport']}))")
    outcome = _run(tmp_path, notebook, "threads", "fork")
    assert outcome.ok, outcome.error
    assert _printed(outcome.output) == {"jemalloc": False, "transport": "ipc"}
    z = forkkernel.zygote()
    assert forkkernel.foreign_threads(z.process.pid) == []
    assert "jemalloc_bg_thd" in {Path(f"/proc/{z.process.pid}/task/{t}/comm").read_text().strip()
                                 for t in os.listdir(f"/proc/{z.process.pid}/task")}


def _forked(outcome) -> bool:
    """Whether the run's kernel was forked from the zygote (it found pandas imported before its code ran)."""
    return "pandas" in _printed(outcome.output)["preloaded"]


PRELOADED = "import json, sys\nprint(json.dumps({'preloaded': [m for m in ('pandas',) if m in sys.modules]}))"


def test_a_dead_zygote_is_replaced_and_a_killed_kernel_is_reported(tmp_path):
    notebook = _notebook(tmp_path / "probe.ipynb", PRELOADED)
    assert _run(tmp_path, notebook, "first", "fork").ok
    old = forkkernel.zygote()
    os.kill(old.process.pid, signal.SIGKILL)
    old.process.wait()
    outcome = _run(tmp_path, notebook, "second", "fork")
    assert outcome.ok, outcome.error
    assert _forked(outcome)
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


# --- a forked start that fails falls back to a spawned kernel, and says so -------------------------

def _fallbacks(events: list) -> list[str]:
    return [event[2] for event in events if event[0] == "fallback"]


def test_a_zygote_that_stops_answering_gives_a_spawned_kernel_for_that_run(tmp_path):
    notebook = _notebook(tmp_path / "probe.ipynb", PRELOADED)
    assert _forked(_run(tmp_path, notebook, "warm", "fork"))
    z = forkkernel.zygote()
    z.sock.settimeout(3)  # how long this worker waits for its zygote's answer (60 s in a batch)
    os.kill(z.process.pid, signal.SIGSTOP)  # alive, but answers nothing
    events: list = []
    outcome = _run(tmp_path, notebook, "stopped", "fork", events)
    assert outcome.ok, outcome.error
    assert not _forked(outcome) and "the kernel zygote did not answer" in _fallbacks(events)[0], events
    assert _gone(z.process.pid)  # the stopped zygote was ended, by its own handle
    again = _run(tmp_path, notebook, "next", "fork")
    assert again.ok and _forked(again)  # the following run forks again, from a new zygote


@pytest.fixture
def shadowed(tmp_path, monkeypatch):
    """A directory first on the zygote's PYTHONPATH (the zygote takes this process's environment)."""
    path = tmp_path / "shadow"
    path.mkdir()
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(path), os.environ.get("PYTHONPATH", "")]))
    return path


def test_a_zygote_that_cannot_import_falls_back_to_spawn_and_says_so_once(tmp_path, shadowed):
    (shadowed / "vl_convert.py").write_text("raise ImportError('broken on purpose')\n")  # in PRELOAD
    notebook = _notebook(tmp_path / "probe.ipynb", PRELOADED)
    events: list = []
    outcomes = [_run(tmp_path, notebook, f"run-{i}", "fork", events) for i in range(3)]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert not any(map(_forked, outcomes))  # each run got a spawned kernel
    said = _fallbacks(events)
    assert len(said) == 2 and "the kernel zygote exited" in said[0], said  # two zygotes tried, then no more
    assert said[1].endswith("this run's kernel is spawned instead; this worker stops forking")


def test_a_zygote_with_other_helpers_code_is_not_used(tmp_path, shadowed):
    shutil.copytree(Path(forkkernel.__file__).parents[1], shadowed / "helpers")
    (shadowed / "helpers" / "codehash_marker.py").write_text("# other code than the worker's\n")
    notebook = _notebook(tmp_path / "probe.ipynb", PRELOADED)
    events: list = []
    outcome = _run(tmp_path, notebook, "mismatch", "fork", events)
    assert outcome.ok, outcome.error
    assert not _forked(outcome)
    assert "imported other helpers code than this worker has" in _fallbacks(events)[0]


def test_a_forked_kernel_is_signalled_through_its_pidfd_only(tmp_path):
    """Once a forked kernel ended, its handle sends nothing: a pid number is never signalled."""
    notebook = _notebook(tmp_path / "probe.ipynb", PRELOADED)
    assert _run(tmp_path, notebook, "warm", "fork").ok
    z = forkkernel.zygote()
    kernel = z.fork([sys.executable, "-m", "ipykernel_launcher", "-f", str(tmp_path / "nothing.json")],
                    str(tmp_path), dict(os.environ), None)
    assert kernel.poll() is None and _stat_ppid(kernel.pid) == z.process.pid
    kernel.kill()
    assert kernel.wait(timeout=60) == -1 and kernel.poll() == -1
    kernel.kill()  # no pidfd any more: a no-op, whatever process has that number now
    assert kernel._pidfd is None


def _stat_ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_fork_is_refused_where_the_platform_lacks_it(monkeypatch):
    from helpers.batch import executors

    monkeypatch.setattr(executors.sys, "platform", "darwin")
    assert executors.fork_unsupported() == "forked kernels need Linux (this is darwin)"
    assert executors.default_kernel_start() == "spawn"


def test_the_fork_provisioner_is_a_jupyter_client_entry_point():
    """pyproject declares it; jupyter_client's own factory makes it from the kernelspec the batch uses."""
    import tomllib

    from jupyter_client.provisioning.factory import KernelProvisionerFactory

    from conftest import ROOT

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    assert declared["jupyter_client.kernel_provisioners"] == {
        nbengine.FORK_PROVISIONER: "helpers.batch.kernels:ForkProvisioner"}
    spec = nbengine.ThisPythonKernelSpecManager(fork=True).get_kernel_spec("python3")
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == nbengine.FORK_PROVISIONER
    made = KernelProvisionerFactory.instance().create_provisioner_instance("k", spec, parent=None)
    assert type(made) is forkkernel.ForkProvisioner
    assert "kernel_provisioner" not in nbengine.ThisPythonKernelSpecManager().get_kernel_spec("python3").metadata

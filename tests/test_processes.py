"""Processes of `ktpel report`: nothing outlives the command, kernels cannot collide, limits on input.

Real `ktpel report` processes, real workers, zygotes and kernels, real signals. A probe notebook writes
its kernel's pid and then sleeps, so a run is *in progress* (a state, not a moment) when the test acts;
every check waits for a state with a generous bound and never measures a duration."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import PROBE_CONFIG, copy_raw_layer, run_ktpel
from helpers.batch.connections import CONNECTION_DIR_PREFIX
from helpers.snapshot import build

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report")]

#: Generous bound for a state to be reached on a busy machine (seconds); a pass never waits this long.
PATIENCE = 120.0


@pytest.fixture(scope="module")
def ws(probe_workspace) -> SimpleNamespace:
    """The seed workspace with only the probe notebook (conftest), run once (`ok.yaml`); `sleep.yaml` runs
    it sleeping."""
    made = probe_workspace("procs", seed=True, notebooks=False)
    for mode in ("ok", "sleep"):
        (made.root / f"{mode}.yaml").write_text(PROBE_CONFIG.replace("MODE", mode), encoding="utf-8")
    first = run_ktpel(made.root, "report", "--config", str(made.root / "ok.yaml"), "--no-export", timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    return SimpleNamespace(root=made.root, out=made.out, good=(made.out / "probe.ipynb").read_bytes(),
                           pidfile=made.project.notebooks_dir / "kernel.pid")


# --- looking at processes (Linux /proc) --------------------------------------------------------

def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found and _alive(child):
                found.add(child)
                todo.append(child)
    return found


def wait_for(condition: Callable[[], bool], what: str, within: float = PATIENCE) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"not reached within {within:.0f} s: {what}"
        time.sleep(0.1)


def _start_sleeping_batch(ws: SimpleNamespace, *extra: str) -> subprocess.Popen[str]:
    ws.pidfile.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "helpers.cli", "--project", str(ws.root), "report", "--config",
                             str(ws.root / "sleep.yaml"), "--no-export", "--force", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for(lambda: ws.pidfile.exists() or proc.poll() is not None, "the probe kernel is running")
    assert proc.poll() is None, proc.communicate()
    return proc


# --- killing ktpel report ------------------------------------------------------------------------

@pytest.mark.parametrize(("how", "kernel_start", "code"), [
    ("SIGKILL", "fork", -signal.SIGKILL),
    ("SIGTERM", "fork", 128 + signal.SIGTERM),
    ("SIGINT to the group", "fork", 128 + signal.SIGINT),  # Ctrl-C in a terminal reaches every process of it
    ("SIGTERM", "spawn", 128 + signal.SIGTERM),
])
def test_a_killed_report_leaves_no_process_and_the_next_run_repairs(ws, how, kernel_start, code):
    proc = _start_sleeping_batch(ws, "--kernel-start", kernel_start)
    kernel = int(ws.pidfile.read_text())
    tree = descendants(proc.pid)
    assert kernel in tree and len(tree) >= 3, tree  # workers, (zygote,) the kernel, ...
    if kernel_start == "fork":  # one zygote for the batch's workers, started by ktpel report; the kernel its fork
        zygotes = [p for p in tree - {kernel} if b"kernels import serve" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert len(zygotes) == 1, tree  # (a forked kernel shows its zygote's command line)
        assert _stat(zygotes[0])[1] == str(proc.pid) and _stat(kernel)[1] == str(zygotes[0])
    if how == "SIGINT to the group":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, getattr(signal, how))
    stdout, stderr = proc.communicate(timeout=PATIENCE)
    wait_for(lambda: not any(map(_alive, tree)), f"every process of the batch ends ({sorted(tree)})", within=30)
    assert proc.returncode == code, stdout + stderr
    assert "Traceback" not in stdout + stderr, stderr
    if how != "SIGKILL":
        name = how.split()[0]
        assert stderr.strip().splitlines() == [
            f"ktpel report: stopped by {name}; runs in progress were abandoned, previous outputs are kept "
            "(run it again to finish)"], stderr
        assert not list(ws.out.glob(".tmp-*"))  # its own temporary notebook is cleaned up
    assert (ws.out / "probe.ipynb").read_bytes() == ws.good  # the previous good output stays
    again = run_ktpel(ws.root, "report", "--config", str(ws.root / "ok.yaml"), "--no-export", timeout=300)
    assert again.returncode == 0 and "waiting" not in again.stdout, again.stdout + again.stderr
    assert "1 up to date" in again.stdout  # the good output was never replaced
    assert not list(ws.out.glob(".tmp-*"))  # a SIGKILLed run's leftover is removed by the next one
    # ... and so are the killed workers' private directories of kernel connection files and sockets
    assert not [d for pid in tree for d in Path(tempfile.gettempdir()).glob(f"{CONNECTION_DIR_PREFIX}{pid}-*")]


def _zygotes() -> set[int]:
    """Live processes started as a kernel zygote (forked kernels show the same command line)."""
    found = set()
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"kernels import serve" in Path(f"/proc/{entry}/cmdline").read_bytes() and _alive(int(entry)):
                found.add(int(entry))
        except OSError:
            continue
    return found


def test_an_up_to_date_batch_ends_the_zygote_it_started_early(ws):
    """`ktpel report` starts the kernels' zygote before it plans (its imports overlap the planning); with
    nothing to run it ends it."""
    before = _zygotes()
    done = run_ktpel(ws.root, "report", "--config", str(ws.root / "ok.yaml"), "--no-export")
    assert done.returncode == 0 and "0 ok, 0 failed, 1 up to date" in done.stdout, done.stdout + done.stderr
    wait_for(lambda: not (_zygotes() - before), "no zygote of that batch is left", within=30)


def test_a_second_report_waits_for_the_first_and_then_runs(ws):
    first = _start_sleeping_batch(ws)
    second = subprocess.Popen([sys.executable, "-m", "helpers.cli", "--project", str(ws.root), "report",
                               "--config", str(ws.root / "ok.yaml"), "--no-export", "--force"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = second.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith("waiting for another `ktpel report` on reports/"), line
    assert second.poll() is None and first.poll() is None
    os.kill(first.pid, signal.SIGTERM)
    first.communicate(timeout=PATIENCE)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0 and "1 ok, 0 failed" in stdout, stdout + stderr
    ws.good = (ws.out / "probe.ipynb").read_bytes()  # the forced run replaced it


# --- kernels cannot collide on ports --------------------------------------------------------------

PROBES = "runs:\n  - name: p-{mode}\n    notebook: notebooks/99_probe.ipynb\n    grid: {mode: [a, b, c, d]}\n"


def test_two_batches_at_once_start_every_kernel_over_ipc(ws, tmp_path):
    """Two workspaces run a batch each at the same moment (8 kernel starts, fork and spawn): every run
    succeeds, and every kernel was connected over IPC sockets, so none competed for a TCP port."""
    other = copy_raw_layer(tmp_path / "other", seed=True)
    shutil.copytree(ws.root / "notebooks", other.notebooks_dir, ignore=shutil.ignore_patterns("kernel.pid"))
    build(other)
    batches = []
    for root, start in ((ws.root, "fork"), (other.root, "spawn")):
        (root / "probes.yaml").write_text(PROBES, encoding="utf-8")
        batches.append(subprocess.Popen(
            [sys.executable, "-m", "helpers.cli", "--project", str(root), "report", "--config",
             str(root / "probes.yaml"), "--no-export", "--force", "-j", "2", "--kernel-start", start],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for batch in batches:
        stdout, stderr = batch.communicate(timeout=600)
        assert batch.returncode == 0 and "4 ok, 0 failed" in stdout, stdout + stderr
        assert "Address already in use" not in stdout + stderr
    for out in (ws.out, other.reports_dir / ws.out.name):
        for mode in "abcd":
            printed = nbformat.read(out / f"p-{mode}.ipynb", as_version=4).cells[-1].outputs[0]["text"]
            assert printed.strip() == f"probe {mode} transport ipc"


def test_a_batch_whose_zygotes_fail_spawns_its_kernels_and_says_so_once(ws, tmp_path):
    """Every worker's zygote dies importing a broken module: the batch still finishes, every run with a
    spawned kernel, and one line says why."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "vl_convert.py").write_text("raise ImportError('broken on purpose')\n")  # the zygote imports it
    (ws.root / "probes.yaml").write_text(PROBES, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "helpers.cli", "--project", str(ws.root), "report", "--config",
                           str(ws.root / "probes.yaml"), "--no-export", "--force", "-j", "2", "--kernel-start",
                           "fork"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0 and "4 ok, 0 failed" in done.stdout, done.stdout + done.stderr
    said = [line for line in done.stdout.splitlines() if "forked kernel start failed" in line]
    assert len(said) == 1 and "the kernel zygote exited" in said[0], done.stdout
    assert said[0].strip().endswith("this run's kernel is spawned instead")


# --- limits on arguments ------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["--start-timeout", "nan"], "argument --start-timeout: 'nan' is not a number of seconds above 0"),
    (["--start-timeout", "-5"], "argument --start-timeout: '-5' is not a number of seconds above 0"),
    (["--start-timeout", "0"], "argument --start-timeout: '0' is not a number"),
    (["--start-timeout", "inf"], "argument --start-timeout: 'inf' is not a number"),
    (["-j", "0"], "argument -j/--jobs: '0' is not a positive whole number"),
    (["-j", "100000"], "argument -j/--jobs: '100000' is more than 256 notebooks at once"),
])
def test_bad_report_arguments_are_refused(ws, args, message):
    done = run_ktpel(ws.root, "report", "--config", str(ws.root / "ok.yaml"), *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def _bomb(levels: int = 9) -> str:
    """Billion laughs: each anchor lists the previous one ten times (10**levels values once expanded)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines)


HUNDREDS = ",".join(map(str, range(300)))
GRID = "runs:\n  - name: {name}\n    notebook: notebooks/99_probe.ipynb\n    grid: {grid}\n"
BAD_LIMITS = [
    (_bomb() + "\nruns: [*a8]\n", "yaml", "expands to more than 100,000 values"),
    ("runs: " + "[" * 5000 + "]" * 5000 + "\n", "yaml", "is nested too deeply"),
    ("runs: &r [*r]\n", "yaml", "contains itself through an alias"),
    (GRID.format(name="p-{mode}-{x}", grid=f"{{mode: [{HUNDREDS}], x: [{HUNDREDS}]}}"),
     "grid", "makes 90,000 runs (300 x 300); a batch has at most 10,000"),
    (GRID.format(name="p-{mode:>999999999}", grid="{mode: [a, b]}"), "name", "asks for a width over 99"),
    (GRID.format(name="p-{mode:{w}}-{w}", grid="{mode: [a], w: [999999999]}"), "name", "has a nested field"),
]


@pytest.mark.parametrize(("text", "field", "message"), BAD_LIMITS)
def test_oversized_configs_are_refused_quickly_and_clearly(ws, text, field, message):
    (ws.root / "big.yaml").write_text(text, encoding="utf-8")
    done = run_ktpel(ws.root, "report", "--config", str(ws.root / "big.yaml"), timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "big.yaml:" in done.stderr and f": {field}: " in done.stderr and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("value", "message"), [
    ("[" + ", ".join(f"&a{i} [{', '.join([f'*a{i - 1}' if i else 'x'] * 10)}]" for i in range(7)) + "]",
     "-p mode: the value expands to more than 100,000 values"),
    ("[" * 5000, "-p mode: the value is nested too deeply"),
    ("&a [*a]", "-p mode: the value contains itself through an alias"),
])
def test_oversized_parameters_are_refused_quickly_and_clearly(ws, value, message):
    done = run_ktpel(ws.root, "report", "--config", str(ws.root / "ok.yaml"), "-p", f"mode={value}", timeout=60)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr

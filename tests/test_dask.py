"""`ktpel report --executor dask`: the batch on a Dask cluster (a LocalCluster of two worker processes).

The workers see the workspace copy at the same path as the test (one machine), as a shared file
system would give them; the package is the one this environment has installed."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import cells_run, report_workspace, run_ktpel
from helpers.batch.executors import EXECUTORS, DaskExecutor
from helpers.batch.run import run_batch
from helpers.batch.tasks import RunTask

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]

CONFIG = """\
defaults:
  lang: id
runs:
  - name: region-comparison
    notebook: notebooks/01_region_comparison.ipynb
  - name: profile-batam
    notebook: notebooks/06_region_profile.ipynb
    parameters: {region: "Kota Batam"}
  - name: broken
    notebook: notebooks/98_broken.ipynb
    parameters: {region: "Kota Batam"}
  - name: kabupaten-kota
    notebook: notebooks/03_kabupaten_kota.ipynb
"""


def _killer(dest: Path) -> None:
    """A notebook whose kernel kills its parent, the Dask worker running it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
                       language_info={"name": "python"})
    nb.cells = [nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")]
    nbformat.write(nb, dest)


def _task(ws: SimpleNamespace, name: str, notebook: str, output_dir: str = "scratch") -> RunTask:
    return RunTask(name=name, notebook=ws.root / notebook, output_dir=ws.root / output_dir, parameters={},
                   cwd=ws.root, env={}, kernel_name="python3", input_label=notebook, output_dir_label=output_dir)


def _broken_copy(source: Path, dest: Path) -> None:
    """A copy of a real notebook with a cell that raises right after its parameters cell."""
    nb = nbformat.read(source, as_version=4)
    at = next(i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"))
    nbformat.write(nb, dest)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    made = report_workspace(tmp_path_factory.mktemp("dask") / "ws")
    notebooks = made.project.notebooks_dir
    _broken_copy(notebooks / "06_region_profile.ipynb", notebooks / "98_broken.ipynb")
    (made.root / "dask.yaml").write_text(CONFIG, encoding="utf-8")
    _killer(notebooks / "97_kill_worker.ipynb")
    (made.root / "scratch").mkdir()
    return made


def test_a_batch_runs_on_dask_workers_with_progress_and_a_failure_of_its_own(ws, cluster):
    lines: list[str] = []
    with DaskExecutor(jobs=2, scheduler=cluster) as executor:
        results = run_batch(ws.project, config=ws.root / "dask.yaml",
                            only=["region-comparison", "profile-batam", "broken"], executor=executor,
                            kernel_reuse=False, echo=lines.append)  # three runs, three kernel starts
        semaphores = cluster.scheduler.extensions["semaphores"]
        assert semaphores.max_leases[executor._slot_name] == 2  # the launch window: min(jobs, 2)
        assert semaphores.metrics["acquire_total"][executor._slot_name] == 3  # every kernel start took it
    _wait_for(lambda: not semaphores.max_leases and not _our_queues(cluster))  # closing leaves nothing behind
    out = "\n".join(lines)
    by_name = {r.name: r for r in results}
    assert list(by_name) == ["region-comparison", "profile-batam", "broken"], out  # config order, --only honoured
    for name in ("region-comparison", "profile-batam"):
        assert by_name[name].status == "ok", out
        assert by_name[name].output == ws.out / f"{name}.ipynb" and by_name[name].output.is_file()
        meta = json.loads(by_name[name].output.read_text(encoding="utf-8"))["metadata"]
        assert meta["ktpel"]["status"] == "ok" and meta["ktpel"]["snapshot_id"] == ws.sid
        assert f"{name}: started" in out
        assert any(line.strip().startswith(f"{name}: ") and line.endswith(" cells") for line in lines), out
    cells = cells_run("06_region_profile.ipynb")
    assert f"profile-batam: {cells}/{cells} cells" in out

    broken = by_name["broken"]
    assert broken.status == "failed" and "RuntimeError: broken on purpose" in (broken.error or ""), out
    assert broken.output == ws.out / "broken.failed.ipynb" and broken.output.is_file()
    assert not (ws.out / "broken.ipynb").exists()
    assert "broken FAILED (RuntimeError: broken on purpose)" in out
    assert "2 ok, 1 failed, 0 up to date" in out
    assert not (ws.out / "kabupaten-kota.ipynb").exists()  # not selected
    assert not list(ws.out.glob(".tmp-*"))


def _our_queues(cluster) -> list[str]:
    return [name for name in cluster.scheduler.extensions["queues"].queues if name.startswith("ktpel-")]


def _wait_for(condition, seconds: float = 60.0) -> None:
    """Wait for a state; the bound is generous (a busy machine), a pass never waits it out."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached within {seconds:.0f} s"
        time.sleep(0.05)


def test_a_lost_worker_fails_its_run_and_the_batch_goes_on(ws, cluster):
    allowed, cluster.scheduler.allowed_failures = cluster.scheduler.allowed_failures, 0  # no re-run elsewhere
    events: list[tuple] = []
    try:
        with DaskExecutor(jobs=2, scheduler=cluster) as executor:
            outcomes = {o.name: o for o in executor.run(
                [_task(ws, "killer", "notebooks/97_kill_worker.ipynb"),
                 _task(ws, "fine", "notebooks/98_broken.ipynb")], events.append)}
    finally:
        cluster.scheduler.allowed_failures = allowed
    assert not outcomes["killer"].ok and outcomes["killer"].output is None
    assert outcomes["killer"].error.startswith("worker failed: the Dask worker running it died (KilledWorker")
    assert not outcomes["fine"].ok and "broken on purpose" in outcomes["fine"].error  # ran to its own end
    assert ("start", "killer", 1) in events and all(isinstance(e, tuple) for e in events)
    assert not (ws.root / "scratch" / "killer.ipynb").exists()  # its .tmp file stays, for the next batch to sweep
    assert not (ws.root / "scratch" / "killer.failed.ipynb").exists()
    cluster.wait_for_workers(2, timeout=30)


def test_a_worker_that_cannot_see_the_project_fails_that_run_only(ws, cluster):
    task = _task(ws, "elsewhere", "notebooks/01_region_comparison.ipynb", "not-on-this-worker")
    with distributed.Client(cluster, set_as_default=False) as client:
        executor = DaskExecutor(scheduler=client)
        outcomes = list(executor.run([task, dataclasses.replace(task, name="elsewhere-2")], lambda event: None))
        executor.close()
        assert client.status == "running"  # a Client given to the executor stays the caller's
    assert sorted(o.name for o in outcomes) == ["elsewhere", "elsewhere-2"]
    for outcome in outcomes:
        assert not outcome.ok and outcome.output is None
        assert "cannot see not-on-this-worker" in outcome.error and "same path" in outcome.error


def test_a_worker_with_other_helpers_refuses_the_run(ws, cluster, monkeypatch):
    monkeypatch.setattr("helpers.batch.executors.package_digest", lambda: "0" * 64)  # the caller's, as if edited
    with DaskExecutor(scheduler=cluster) as executor:
        [outcome] = executor.run([_task(ws, "other-code", "notebooks/98_broken.ipynb")], lambda event: None)
    assert not outcome.ok and "other helpers modules than the caller" in outcome.error
    assert not list((ws.root / "scratch").glob("other-code*"))


def test_cli_dask_needs_a_reachable_scheduler(ws, monkeypatch):
    assert "dask" in EXECUTORS
    done = run_ktpel(ws.root, "report", "--executor", "dask")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--scheduler" in done.stderr and "Traceback" not in done.stderr
    done = run_ktpel(ws.root, "report", "--scheduler", "tcp://127.0.0.1:8786")
    assert done.returncode == 2 and "only used with --executor dask" in done.stderr
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "2s")
    done = run_ktpel(ws.root, "report", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--scheduler tcp://127.0.0.1:1: cannot reach the Dask scheduler" in done.stderr
    assert "Traceback" not in done.stderr and "running" not in done.stdout


def test_cli_runs_on_a_scheduler_address(ws, cluster):
    done = run_ktpel(ws.root, "report", "--executor", "dask", "--scheduler", cluster.scheduler_address,
                     "--only", "profile-batam", "--force", "--no-export", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    cells = cells_run("06_region_profile.ipynb")
    assert f"profile-batam: {cells}/{cells} cells" in done.stdout and "1 ok, 0 failed, 0 up to date" in done.stdout
    assert "Traceback" not in done.stderr, done.stderr

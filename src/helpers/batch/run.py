"""Run a planned batch: skip what is up to date, hand the rest to an executor, print progress and a summary."""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers import atomic
from helpers.batch.config import KERNEL_STARTS, RUNNER_VERSION, load_config
from helpers.batch.connections import remove_orphan_connection_dirs
from helpers.batch.executors import (
    EXECUTORS,
    Executor,
    default_jobs,
    default_kernel_start,
    end_zygote,
    fork_unsupported,
    start_zygote,
)
from helpers.batch.plan import PlannedRun, grid_sources, plan, stored_fingerprint
from helpers.batch.tasks import Event, RunOutcome, RunTask, preload_after
from helpers.problems import UsageError
from helpers.project import Project
from helpers.rows import text_table

# --- the batch ----------------------------------------------------------------------------------

def _echo(line: str) -> None:
    print(line, flush=True)


def _task(project: Project, run: PlannedRun, snapshot_id: str, start_timeout: float, kernel_start: str,
          after: str | None = None, kernel_reuse: bool = False) -> RunTask:
    return RunTask(
        name=run.name, notebook=run.notebook.path.resolve(), output_dir=run.output.parent.resolve(),
        parameters=run.parameters, cwd=run.notebook.path.parent.resolve(),
        env={"KTPEL_PROJECT": str(project.root.resolve())}, kernel_name=run.notebook.kernel_name,
        input_label=run.notebook.label, output_dir_label=project.rel(run.output.parent),
        metadata={"name": run.name, "fingerprint": run.fingerprint, "snapshot_id": snapshot_id,
                  "notebook": run.notebook.label, "parameters": run.parameters, "runner_version": RUNNER_VERSION},
        start_timeout=start_timeout, kernel_start=kernel_start, after=after, kernel_reuse=kernel_reuse)


def _first_line(text: str | None, limit: int = 300) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_batch(project: Project, snapshot: str = "latest", *, config: Path | None = None, only: Sequence[str] = (),
              overrides: Mapping[str, Any] | None = None, jobs: int | None = None, force: bool = False,
              export_settings: Mapping[str, Any] | None = None, executor: Executor | None = None,
              start_timeout: float = 60.0, kernel_start: str | None = None, after: str | None = None,
              kernel_reuse: bool = True, echo: Callable[[str], None] = _echo,
              zygote: tuple[Any, list[Any]] | None = None) -> list[RunOutcome]:
    """Run the batch of ``reports.yaml`` (or ``config``) on ``snapshot``; one result per run, in config order.

    ``after``: ``"module:function"`` each worker calls as ``function(project_root, output)`` after a run
    that succeeded (see :class:`RunTask`); a failing call is said and leaves the result's ``exported`` False.
    ``kernel_reuse``: a worker runs its next notebook in the kernel of its last good run, reset
    (:mod:`helpers.batch.warm`); False: a fresh kernel per run.
    ``zygote``: the kernels' zygote (:func:`helpers.batch.executors.start_zygote`) if the caller started it
    already; else, for forked kernels on this machine, it is started here, before the planning.

    Refuses the whole batch (:class:`ValidationFailed`, :class:`UsageError`) before running anything
    if a run is bad; otherwise never raises for a failing run: see each result's ``status``."""
    from filelock import FileLock

    from helpers.snapshot import resolve

    t0 = time.monotonic()
    kernel_start = kernel_start or default_kernel_start()
    if kernel_start not in KERNEL_STARTS:
        raise UsageError(f"unknown kernel start {kernel_start!r}; choose one of {', '.join(KERNEL_STARTS)}")
    if not (math.isfinite(start_timeout) and start_timeout > 0):
        raise UsageError(f"start timeout {start_timeout!r}: give a number of seconds above 0")
    if kernel_start == "fork" and executor is None and (why := fork_unsupported()):
        raise UsageError(f"--kernel-start fork: {why}; use --kernel-start spawn")
    # The kernels' zygote starts now: its imports overlap the planning (ended unused if nothing runs).
    if zygote is None and kernel_start == "fork" and executor is None:
        zygote = start_zygote(jobs or default_jobs())
    try:
        snapshot_id, _ = resolve(project, snapshot)
        runs = plan(project, load_config(project, config, grid_sources(project, snapshot_id)), snapshot_id, only=only, overrides=overrides,
                    export_settings=export_settings)
        out_dir = project.reports_dir / snapshot_id
        out_dir.mkdir(parents=True, exist_ok=True)
        results: dict[str, RunOutcome] = {}
        total, counter = len(runs), itertools.count(1)
        lock = FileLock(str(out_dir / ".report.lock"))
        if not _try_lock(lock):
            echo(f"waiting for another `ktpel report` on {project.rel(out_dir)} to finish ...")
            lock.acquire()
        try:
            _remove_leftovers(out_dir)  # from runs that died; we hold the lock
            remove_orphan_connection_dirs()  # of workers that were killed
            todo = []
            for run in runs:
                if not force and run.output.exists() and stored_fingerprint(run.output) == run.fingerprint:
                    results[run.name] = RunOutcome(run.name, "up to date", 0.0, run.output)
                    run.failed_output.unlink(missing_ok=True)  # a failure of other inputs, now superseded
                    echo(f"[{next(counter)}/{total}] {run.name} up to date")
                else:
                    todo.append(run)
            if todo:
                n_jobs = max(1, min(jobs or default_jobs(), len(todo)))
                where = f"{n_jobs} at a time" if executor is None else f"on {getattr(executor, 'label', type(executor).__name__)}"
                echo(f"snapshot {snapshot_id}: running {len(todo)} of {total} notebook(s), {where}")
                own = executor is None
                if after:  # what the workers call after each run, this process calls for the batch once it is done
                    preload_after(after)
                if executor is None:
                    ex: Executor = EXECUTORS["local"](jobs=n_jobs, zygote=zygote, shared_zygote=kernel_start == "fork")
                    zygote = None  # the executor's now
                else:
                    ex = executor
                finished: set[str] = set()
                said_fallback = False

                def on_event(event: Event) -> None:
                    kind, name, *rest = event
                    if name in finished:
                        return
                    if kind == "start":
                        echo(f"      {name}: started" + (f" (attempt {rest[0]})" if rest[0] > 1 else ""))
                    elif kind == "cells":
                        echo(f"      {name}: {rest[0]}/{rest[1]} cells")
                    elif kind == "retry":
                        echo(f"      {name}: {rest[0]}; retrying once")
                    elif kind == "fallback":
                        nonlocal said_fallback
                        if not said_fallback:  # once per batch: every worker may meet the same broken zygote
                            said_fallback = True
                            echo(f"      {name}: forked kernel start failed: {rest[0]}")

                try:
                    tasks = [_task(project, run, snapshot_id, start_timeout, kernel_start, after, kernel_reuse)
                             for run in longest_first(todo, read_run_seconds(project))]
                    for outcome in ex.run(tasks, on_event):
                        finished.add(outcome.name)
                        results[outcome.name] = outcome
                        status = "ok" if outcome.ok else f"FAILED ({_first_line(outcome.error, 120)})"
                        echo(f"[{next(counter)}/{total}] {outcome.name} {status} {outcome.seconds:.1f}s")
                        if outcome.after_error:
                            echo(f"      {outcome.name}: {after} failed: {_first_line(outcome.after_error, 200)}")
                except BaseException:  # interrupted (Ctrl-C, SIGTERM) or broken: nothing may outlive the batch
                    if own:
                        ex.abort()  # the workers are dead when it returns: their temporary notebooks can go
                        _remove_leftovers(out_dir)
                    raise
                if own:
                    ex.close()
        finally:
            lock.release()
        ordered = [results[run.name] for run in runs]
        record_run_seconds(project, ordered)
        for line in summary_lines(project, ordered, time.monotonic() - t0):
            echo(line)
        return ordered
    finally:
        if zygote is not None:
            end_zygote(zygote)


#: In ``reports/``: how long each run's cells took the last time it ran, so that the next batch starts
#: the longest first (a batch whose long run starts last ends with the other workers idle).
RUN_SECONDS = ".run-seconds.json"


def read_run_seconds(project: Project) -> dict[str, float]:
    """Run name -> seconds its cells took when it last ran (empty if unknown or unreadable: only an order)."""
    try:
        data = json.loads((project.reports_dir / RUN_SECONDS).read_text(encoding="utf-8"))
        return {str(k): float(v) for k, v in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def record_run_seconds(project: Project, results: Sequence[RunOutcome]) -> None:
    seconds = read_run_seconds(project)
    seconds.update({r.name: round(r.phases.get("cells", r.seconds), 3) for r in results if r.ok and r.phases})
    try:
        atomic.write_text(project.reports_dir / RUN_SECONDS, json.dumps(seconds, indent=0, sort_keys=True) + "\n")
    except OSError:  # read-only reports/: the next batch keeps the config order
        pass


def longest_first(runs: Sequence[PlannedRun], seconds: Mapping[str, float]) -> list[PlannedRun]:
    """``runs`` with those that took longest last time first; runs never timed come first, in config order."""
    return sorted(runs, key=lambda run: -seconds.get(run.name, math.inf))


def _remove_leftovers(out_dir: Path) -> None:
    """Delete the temporary notebooks of runs that did not finish (only while holding the batch lock)."""
    for leftover in out_dir.glob(".tmp-*.ipynb"):
        leftover.unlink(missing_ok=True)


def _try_lock(lock: Any) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
        return True
    except Timeout:
        return False


def summary_lines(project: Project, results: Sequence[RunOutcome], seconds: float) -> list[str]:
    """An aligned table (name, status, seconds, output), each failure's error under its row, and a total."""
    rows = [(r.name, r.status, "-" if r.status == "up to date" else f"{r.seconds:.1f}",
             project.rel(r.output) if r.output else "-") for r in results]
    head, *table = text_table(("name", "status", "seconds", "output"), rows, right={2})
    lines = ["", head]
    for result, row in zip(results, table):
        lines.append(row)
        if result.error:
            lines += [f"    {line}" for line in result.error.strip().splitlines()[:12]]
    ran = [r.phases for r in results if r.phases]
    if ran:
        total = {k: sum(p.get(k, 0.0) for p in ran) for k in ("kernel", "reset", "papermill", "cells", "write", "export")}
        lines.append("seconds per run, mean: " + ", ".join(f"{k} {v / len(ran):.2f}" for k, v in total.items() if v))
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "failed", "up to date")}
    lines.append(f"{counts['ok']} ok, {counts['failed']} failed, {counts['up to date']} up to date "
                 f"in {seconds:.1f} s")
    return lines



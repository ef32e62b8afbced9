"""Executors: where and how many report runs execute at once.

The planner (:mod:`helpers.report`) turns ``reports.yaml`` into :class:`RunTask`
values (plain, picklable data with absolute paths) and hands them to an
:class:`Executor`, which yields one :class:`RunOutcome` per task as each one
finishes and passes progress :data:`Event` tuples to a callback in the calling
thread.  A task is executed by :func:`helpers.nbengine.execute_task`
(Papermill), whatever the executor.

The seam for other executors
----------------------------
:class:`LocalProcessExecutor` (the default) is a pool of ``jobs`` *processes*
(``spawn``, not ``fork``: a forked child inherits the parent's ZMQ and event-loop
state, papermill #329; processes, not threads: ``cwd`` is not thread-safe,
papermill #473).  Each worker imports Papermill once and is reused for every run
it is given; a semaphore shared by the workers bounds how many kernels are
*starting* at once (papermill #239), see :class:`LocalProcessExecutor`.

A Dask executor is one more class and one more entry in :data:`EXECUTORS`,
nothing else changes::

    class DaskExecutor(Executor):
        def __init__(self, jobs, scheduler):            # ktpel report --executor dask --scheduler ADDRESS
            self.client = distributed.Client(scheduler)
        def run(self, tasks, on_event):
            slot = distributed.Semaphore(max_leases=jobs, name="ktpel-kernel-launch")
            events = distributed.Queue()                 # workers put Event tuples, we drain it
            futures = [self.client.submit(execute_task, t, events.put, slot, pure=False) for t in tasks]
            for future in distributed.as_completed(futures):  # drain `events` meanwhile
                yield future.result()

The paths in a :class:`RunTask` must then be valid on the workers (a shared file
system), and the workers need this package and the snapshot.
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import multiprocessing as mp
import os
import queue
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol, Sequence

#: Progress reported while a run executes:
#: ``("start", name, attempt)``, ``("cells", name, done, total)``, ``("retry", name, why)``.
Event = tuple[Any, ...]


class LaunchSlot(Protocol):
    """A (cross-process) semaphore: ``multiprocessing``'s, or ``distributed.Semaphore``."""

    def acquire(self) -> bool: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (absolute paths; labels for messages and metadata)."""

    name: str
    notebook: Path
    output_dir: Path
    parameters: dict[str, Any]
    cwd: Path
    env: dict[str, str]
    kernel_name: str
    input_label: str  # the notebook, repo-relative
    output_dir_label: str  # the output directory, repo-relative
    metadata: dict[str, Any] = field(default_factory=dict)  # stored as the output's metadata.ktpel
    start_timeout: float = 60.0
    attempts: int = 2  # kernel start attempts

    def output_label(self, path: Path) -> str:
        return f"{self.output_dir_label}/{path.name}"


@dataclass(frozen=True)
class RunOutcome:
    name: str
    ok: bool
    seconds: float
    output: Path | None  # <name>.ipynb, <name>.failed.ipynb, or None if nothing was written
    error: str | None
    attempts: int
    started: float  # time.time() in the worker
    finished: float


class Executor(abc.ABC):
    """Runs tasks somewhere; yields outcomes as they finish; calls ``on_event`` in the caller's thread."""

    @abc.abstractmethod
    def run(self, tasks: Sequence[RunTask], on_event: Callable[[Event], None]) -> Iterator[RunOutcome]: ...

    def close(self) -> None:
        """Release workers (an executor may run several batches before that)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# --- the local process pool -------------------------------------------------------------------

_worker_events: Any = None
_worker_slot: Any = None


def _init_worker(events: Any, slot: Any) -> None:
    global _worker_events, _worker_slot
    _worker_events, _worker_slot = events, slot
    from . import nbengine  # Papermill, once per worker

    nbengine.register()


def _work(task: RunTask) -> RunOutcome:
    from .nbengine import execute_task

    return execute_task(task, _worker_events.put, _worker_slot)


def _failed(task: RunTask, exc: BaseException) -> RunOutcome:
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return RunOutcome(task.name, False, 0.0, None, f"worker failed: {message}", 0, 0.0, 0.0)


class LocalProcessExecutor(Executor):
    """``jobs`` worker processes on this machine, reused across runs (and batches).

    ``launch_limit`` (default ``min(jobs, 2)``) kernels may be starting at once,
    i.e. between launch and their first ``kernel_info`` reply; the others wait
    for a slot, so a burst of simultaneous launches cannot starve each other of
    CPU until they time out, and port selection is never contended by more than
    that many launches.  A start that still fails is retried once by the worker.
    """

    def __init__(self, jobs: int | None = None, launch_limit: int | None = None) -> None:
        self.jobs = max(1, jobs or default_jobs())
        self.launch_limit = max(1, min(self.jobs, launch_limit or 2))
        self._ctx = mp.get_context("spawn")
        self._pool: cf.ProcessPoolExecutor | None = None
        self._events: Any = None

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._events = self._ctx.Queue()
            slot = self._ctx.BoundedSemaphore(self.launch_limit)
            self._pool = cf.ProcessPoolExecutor(self.jobs, mp_context=self._ctx, initializer=_init_worker,
                                                initargs=(self._events, slot))
        return self._pool

    def _drain(self, on_event: Callable[[Event], None]) -> None:
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            on_event(event)

    def run(self, tasks: Sequence[RunTask], on_event: Callable[[Event], None]) -> Iterator[RunOutcome]:
        pool = self._start()
        futures = {pool.submit(_work, task): task for task in tasks}
        pending = set(futures)
        try:
            while pending:
                done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                self._drain(on_event)
                for future in done:
                    exc = future.exception()
                    yield _failed(futures[future], exc) if exc else future.result()
            self._drain(on_event)
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._events.close()


#: ``ktpel report --executor NAME``: a factory taking ``jobs`` (and, later, its own options).
EXECUTORS: dict[str, Callable[..., Executor]] = {"local": LocalProcessExecutor}

"""Executors: where and how many report runs execute at once.

The planner (:mod:`helpers.batch.plan`) turns ``reports.yaml`` into :class:`RunTask`
values (plain, picklable data with absolute paths) and hands them to an
:class:`Executor`, which yields one :class:`RunOutcome` per task as each one
finishes and passes progress :data:`Event` tuples to a callback in the calling
thread.  A task is executed by :func:`helpers.batch.engine.execute_task`
(Papermill), whatever the executor.

Executors
---------
:class:`LocalProcessExecutor` (the default) is a pool of ``jobs`` *processes*
(``spawn``, not ``fork``: a forked child inherits the parent's ZMQ and event-loop
state, papermill #329; processes, not threads: ``cwd`` is not thread-safe,
papermill #473).  Each worker imports Papermill once and is reused for every run
it is given; a semaphore shared by the workers bounds how many kernels are
*starting* at once (papermill #239), see :class:`LocalProcessExecutor`.

:class:`DaskExecutor` (``ktpel report --executor dask --scheduler ADDRESS``)
submits one Dask task per run to a ``distributed`` cluster; ``distributed`` is
imported only when it is used.  The launch window is a ``distributed.Semaphore``
held on the scheduler (shared by every worker of the batch), progress events
travel back through a ``distributed.Queue`` that :meth:`DaskExecutor.run`
drains in the caller's thread, and a worker that raised or was lost becomes a
failed :class:`RunOutcome`.  What reaches a worker is the :class:`RunTask`
only, i.e. *paths*, never the snapshot or the notebooks themselves:

* **the project at the same path everywhere**: a task names the notebook, the
  output directory and the kernel's working directory by absolute path, and
  the kernel finds the snapshot through ``KTPEL_PROJECT`` (also absolute).
  Every worker must see the project, with its ``data/processed/snapshots/``
  and ``reports/``, at the caller's path: a shared file system (NFS) mounted
  at the same path, or a copy synced to the same path before the batch (and
  the outputs synced back after it).  A worker that cannot see the notebook
  or the output directory fails the run with a message saying so.
* **this package, same commit**: the worker imports :mod:`helpers.batch.executors` and
  :mod:`helpers.batch.engine` (``pip install -e .`` of the same commit in the
  workers' environment, which also needs Papermill and ipykernel: the kernel
  is the worker's own interpreter).  A run's fingerprint covers the caller's
  helper modules, so a worker whose ``helpers`` differ from the caller's
  refuses the run rather than write an output stamped with a fingerprint of
  other code.
"""

from __future__ import annotations

import abc
import atexit
import concurrent.futures as cf
import contextlib
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from helpers.batch.tasks import Event, RunOutcome, RunTask
from helpers.codehash import package_digest
from helpers.problems import UsageError


class Executor(abc.ABC):
    """Runs tasks somewhere; yields outcomes as they finish; calls ``on_event`` in the caller's thread."""

    @abc.abstractmethod
    def run(self, tasks: Sequence[RunTask], on_event: Callable[[Event], None]) -> Iterator[RunOutcome]: ...

    def close(self) -> None:
        """Release workers (an executor may run several batches before that)."""

    def abort(self) -> None:
        """Stop now (the batch was interrupted): runs in progress are abandoned; by default, :meth:`close`."""
        self.close()

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


def fork_unsupported() -> str | None:
    """Why kernels cannot be forked here (``--kernel-start fork`` is refused), or None."""
    if not sys.platform.startswith("linux"):
        return f"forked kernels need Linux (this is {sys.platform})"
    if not (hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")):
        return "forked kernels need os.fork, os.pidfd_open and signal.pidfd_send_signal (Python 3.9+ on Linux)"
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError as exc:
        return f"forked kernels need pidfds (Linux 5.3+): {exc}"
    return None


def default_kernel_start() -> str:
    """``fork`` (kernels forked from a warm zygote, :mod:`helpers.batch.kernels`) where it is safe and
    available (Linux with pidfds), else ``spawn``."""
    return "spawn" if fork_unsupported() else "fork"


# --- the local process pool -------------------------------------------------------------------

_worker_events: Any = None
_worker_slot: Any = None


def _watch_lifeline(lifeline: Connection) -> None:
    """In a worker: end this process (SIGKILL, no clean-up that could hang) when the lifeline pipe
    reaches end of file, i.e. when the executor closed its end (:meth:`LocalProcessExecutor.abort`) or
    the process holding it died, however it died.  The zygote sees its socket close and exits; the
    kernels exit with their parent (see :mod:`helpers.batch.kernels`)."""
    try:
        while True:
            lifeline.recv()
    except (EOFError, OSError):
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def _init_worker(events: Any, slot: Any, lifeline: Connection, zygotes: Any = None) -> None:
    global _worker_events, _worker_slot
    if zygotes is not None and not zygotes.empty():  # a socket to the executor's shared zygote
        from helpers.batch.kernels import attach

        attach(zygotes.get())
    _worker_events, _worker_slot = events, slot
    # Ctrl-C reaches the whole foreground process group: the executor's process handles it (and ends the
    # workers through the lifeline), so a worker does not print a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_lifeline, args=(lifeline,), name="ktpel-lifeline", daemon=True).start()
    from helpers.batch import engine as nbengine  # Papermill, once per worker

    nbengine.register()


def _work(task: RunTask) -> RunOutcome:
    from helpers.batch.engine import execute_task

    return execute_task(task, _worker_events.put, _worker_slot)


def _failed(task: RunTask, exc: BaseException) -> RunOutcome:
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return RunOutcome(task.name, "failed", 0.0, None, f"worker failed: {message}")


class LocalProcessExecutor(Executor):
    """``jobs`` worker processes on this machine, reused across runs (and batches).

    ``launch_limit`` (default ``min(jobs, 2)``) kernels may be starting at once,
    i.e. between launch and their first ``kernel_info`` reply; the others wait
    for a slot, so a burst of simultaneous launches cannot starve each other of
    CPU until they time out.  A start that still fails is retried once by the worker.

    With ``shared_zygote`` (for forked kernels), one kernel zygote serves all the
    workers: it starts with the pool, so its imports overlap the workers' start,
    and they are made once, not once per worker.  Each worker takes its own socket
    to it; a worker whose shared zygote fails starts its own, as without it.

    The workers hold the read end of a *lifeline* pipe whose write end only this
    process has: when this process dies (even by SIGKILL) or calls :meth:`abort`,
    every worker sees end of file and kills itself at once, and its zygote and
    kernels follow it (see :mod:`helpers.batch.kernels`; the shared zygote ends
    when every socket to it is closed, or with :meth:`close`).  Nothing of a batch
    outlives the process that runs it.
    """

    def __init__(self, jobs: int | None = None, launch_limit: int | None = None, shared_zygote: bool = False,
                 zygote: tuple[Any, list[Any]] | None = None) -> None:
        self.jobs = max(1, jobs or default_jobs())
        self.launch_limit = max(1, min(self.jobs, launch_limit or 2))
        self.shared_zygote = shared_zygote or zygote is not None
        self._given = zygote  # a shared zygote started before this executor (start_zygote)
        self._zygote: Any = None  # the shared zygote's process
        self._ctx = mp.get_context("spawn")
        self._pool: cf.ProcessPoolExecutor | None = None
        self._events: Any = None
        self._lifeline: Connection | None = None  # the write end; the workers watch the read end

    def _start(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._events = self._ctx.Queue()
            slot = self._ctx.BoundedSemaphore(self.launch_limit)
            watched, self._lifeline = self._ctx.Pipe(duplex=False)
            zygotes = None
            if self.shared_zygote:
                from helpers.batch.kernels import spawn_zygote

                self._zygote, socks = self._given or spawn_zygote(self.jobs)
                self._given = None
                zygotes = self._ctx.SimpleQueue()
                for sock in socks:  # pickled here: multiprocessing hands the descriptor to the worker that takes it
                    zygotes.put(sock)
                    sock.close()
            self._pool = cf.ProcessPoolExecutor(self.jobs, mp_context=self._ctx, initializer=_init_worker,
                                                initargs=(self._events, slot, watched, zygotes))
        return self._pool

    def _drain(self, on_event: Callable[[Event], None]) -> None:
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            on_event(event)

    def run(self, tasks: Sequence[RunTask], on_event: Callable[[Event], None]) -> Iterator[RunOutcome]:
        with _sigint_ignored():  # workers (and the shared zygote) start from here; they inherit SIGINT ignored
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
        if self._given is not None:  # never started
            end_zygote(self._given)
            self._given = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._events.close()
        if self._zygote is not None:  # its workers are gone; so go the kernels they kept (they die with it)
            self._zygote.kill()
            self._zygote.wait()
            self._zygote = None
        if self._lifeline is not None:
            self._lifeline.close()
            self._lifeline = None

    def abort(self) -> None:
        """Stop at once: the workers kill themselves (lifeline closed), and are waited for."""
        if self._lifeline is not None:
            self._lifeline.close()
            self._lifeline = None
        self.close()


def start_zygote(workers: int) -> tuple[Any, list[Any]]:
    """A kernel zygote for ``workers`` local workers, started now, with SIGINT ignored as the workers have it
    (Ctrl-C stops the batch through its workers): ``LocalProcessExecutor(zygote=...)`` takes it, so that its
    imports overlap what comes before the batch (reading the config, planning); else :func:`end_zygote`."""
    from helpers.batch.kernels import spawn_zygote

    with _sigint_ignored():
        return spawn_zygote(workers)


def end_zygote(zygote: tuple[Any, list[Any]]) -> None:
    process, socks = zygote
    for sock in socks:
        sock.close()
    process.kill()
    process.wait()


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in this process meanwhile (only the main thread may change it; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)



# --- a Dask distributed cluster --------------------------------------------------------------

_ENGINE_REGISTERED = False


class _DaskLaunchSlot:
    """:class:`LaunchSlot` over a ``distributed.Semaphore`` (made in the worker, by name)."""

    def __init__(self, semaphore: Any) -> None:
        self._semaphore = semaphore

    def acquire(self) -> bool:
        return bool(self._semaphore.acquire())

    def release(self) -> None:
        try:
            self._semaphore.release()
        except Exception:  # noqa: BLE001 - an expired lease is released by the scheduler anyway
            pass


def _refused(task: RunTask, why: str) -> RunOutcome:
    now = time.time()
    return RunOutcome(task.name, "failed", 0.0, None, why, started=now, finished=now)


def _dask_work(task: RunTask, events_name: str, slot_name: str, launch_limit: int, digest: str) -> RunOutcome:
    """The Dask task of one run, on a worker: :func:`helpers.batch.engine.execute_task` with the
    batch's launch semaphore, and progress events put on the batch's queue."""
    global _ENGINE_REGISTERED
    import socket

    import distributed

    from helpers.batch import engine as nbengine

    if not _ENGINE_REGISTERED:
        nbengine.register()
        _ENGINE_REGISTERED = True
    host = socket.gethostname()
    if package_digest() != digest:
        return _refused(task, f"worker on {host} has other helpers modules than the caller (install the "
                              f"same commit on every worker: pip install -e .)")
    missing = [label for path, label in ((task.notebook, task.input_label), (task.output_dir, task.output_dir_label))
               if not path.exists()]
    if missing:
        return _refused(task, f"worker on {host} cannot see {', '.join(missing)}: every worker needs the project "
                              f"at the caller's path (a shared file system, or a copy synced to the same path)")
    client = distributed.get_client()
    events = distributed.Queue(events_name, client=client)  # one more reference, dropped by close() below

    def emit(event: Event) -> None:
        try:
            events.put(list(event))
        except Exception:  # noqa: BLE001 - progress is best effort; the run goes on
            pass

    try:
        slot = _DaskLaunchSlot(distributed.Semaphore(max_leases=launch_limit, name=slot_name))
        return nbengine.execute_task(task, emit, slot)
    finally:
        events.close()


class DaskExecutor(Executor):
    """Runs on a Dask ``distributed`` cluster: one task per run (``pure=False``: never cached).

    ``scheduler`` is the scheduler's address (``tcp://host:8786``), or a
    ``distributed.Client`` (used as is, left open) or cluster object such as
    ``LocalCluster`` (a client is made for it); the executor connects when it is
    made (:class:`helpers.problems.UsageError` if the scheduler cannot be reached).  ``jobs`` bounds how many runs
    are in flight at once (default: all, i.e. as many as the workers have
    threads); ``launch_limit`` (default ``min(jobs, 2)``) how many kernels may be
    starting at once on the whole cluster, as in :class:`LocalProcessExecutor`.
    Workers should run one task at a time (``dask worker --nthreads 1``, one
    worker process per concurrent notebook); the kernels are separate processes.
    See the module docstring for what the workers need.
    """

    #: Seconds between two looks at the progress queue while runs are in flight.
    poll_interval = 0.1

    def __init__(self, jobs: int | None = None, scheduler: Any = None, launch_limit: int | None = None) -> None:
        if scheduler is None:
            raise ValueError("DaskExecutor needs a scheduler: an address such as tcp://host:8786, or a Client")
        self.jobs = max(1, jobs) if jobs else None
        self.launch_limit = max(1, min(self.jobs or 2, launch_limit or 2))
        self.scheduler = scheduler
        self._client: Any = None
        self._own_client = False
        self._slot: Any = None
        self._slot_name = f"ktpel-kernel-launch-{uuid.uuid4().hex}"
        self._start()  # connect now: an unreachable scheduler is reported before anything is planned

    def _start(self) -> Any:
        if self._client is None:
            import distributed

            if isinstance(self.scheduler, distributed.Client):
                self._client = self.scheduler
            else:
                try:
                    self._client = distributed.Client(self.scheduler, set_as_default=False)
                except OSError as exc:  # unreachable, or not a scheduler: a bad --scheduler

                    raise UsageError(f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({exc})") from None
                self._own_client = True
            self._slot = distributed.Semaphore(max_leases=self.launch_limit, name=self._slot_name,
                                               scheduler_rpc=self._client.scheduler, loop=self._client.loop)
            self._slot.register()
            # An executor its user never closed (``ktpel report`` does not) still releases its
            # scheduler state and flushes its client at exit; registered after ``distributed``'s
            # own exit hooks, so it runs before them.
            atexit.register(self.close)
        return self._client

    def run(self, tasks: Sequence[RunTask], on_event: Callable[[Event], None]) -> Iterator[RunOutcome]:
        import distributed

        client = self._start()
        batch = uuid.uuid4().hex[:12]
        events = distributed.Queue(f"ktpel-events-{batch}", client=client)
        digest = package_digest()
        waiting = list(reversed(tasks))
        submitted: dict[Any, RunTask] = {}
        completed = distributed.as_completed(loop=client.loop)

        def submit() -> None:
            while waiting and (self.jobs is None or len(submitted) < self.jobs):
                task = waiting.pop()
                future = client.submit(_dask_work, task, events.name, self._slot_name, self.launch_limit, digest,
                                       key=f"ktpel-{task.name}-{batch}", pure=False)
                submitted[future] = task
                completed.add(future)

        def drain() -> None:
            try:
                received = events.get(batch=True)
            except Exception:  # noqa: BLE001 - e.g. the scheduler is unreachable: outcomes still come
                return
            for event in received:
                on_event(tuple(event))

        try:
            submit()
            while submitted:
                done = completed.next_batch(block=False)
                drain()
                if not done:
                    time.sleep(self.poll_interval)
                    continue
                for future in done:
                    task = submitted.pop(future)
                    yield self._outcome(future, task)
                submit()
        finally:
            if submitted:
                client.cancel(list(submitted))
            events.close()

    @staticmethod
    def _outcome(future: Any, task: RunTask) -> RunOutcome:
        try:
            if future.status == "finished":
                return future.result()
            if future.status == "error":
                exc = future.exception()
                if type(exc).__name__ == "KilledWorker":  # the worker process died while running it
                    return _refused(task, f"worker failed: the Dask worker running it died (KilledWorker: {exc})")
                return _failed(task, exc)
            return _refused(task, f"worker failed: its Dask task was {future.status} (a lost worker or scheduler)")
        except BaseException as exc:  # noqa: BLE001 - the result could not be fetched: a lost worker
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            return _failed(task, exc)

    def close(self) -> None:
        if self._client is None:
            return
        atexit.unregister(self.close)
        try:
            if self._slot is not None:
                self._slot.close()
        except Exception:  # noqa: BLE001 - the scheduler may be gone already
            pass
        if self._own_client:
            self._client.close()
        self._client = self._slot = None
        self._own_client = False


#: ``ktpel report --executor NAME``: a factory taking ``jobs`` and the executor's own options
#: (``scheduler`` for ``dask``).
EXECUTORS: dict[str, Callable[..., Executor]] = {"local": LocalProcessExecutor, "dask": DaskExecutor}

"""Run one notebook with Papermill, inside a worker process: :func:`execute_task`.

This is the only module of the report runner that imports Papermill (about 2 s
here, mostly ``nbformat``'s JSON-schema stack), so a worker imports it once
and reuses it for every run it is given.  What it adds to Papermill:

* **this interpreter's kernel**: the kernel is started as
  ``sys.executable -m ipykernel_launcher``, whatever ``python3`` kernelspec
  another environment (or ``~/.local/share/jupyter``) may define
  (:class:`ThisPythonKernelSpecManager`), forked from the worker's zygote
  through the ``ktpel-fork-provisioner`` provisioner (:class:`ForkKernelManager`)
  or spawned (:class:`SpawnKernelManager`);
* **no TCP ports**: on Linux kernels talk over IPC sockets in a directory
  private to the worker, so two kernels cannot race for a port;
* **explicit working directory and environment per run**: given to the kernel
  at launch (``cwd=``, ``env=``), never by ``chdir`` in the worker;
* **a bounded launch window**: a kernel start holds a slot (a semaphore shared
  by the executor's workers) from launch until the kernel answers
  ``kernel_info``; a start that fails or times out raises
  :class:`KernelStartFailed` and :func:`execute_task` retries it once;
* **progress as events**: ``("cells", name, done, total)`` after every code cell,
  ``("fallback", name, why)`` when a forked start failed and the kernel was spawned;
* **one write per output, atomic**: Papermill is given no output path (it would write the
  notebook before and after every cell); the executed notebook is written once, as
  ``.tmp-<name>.<pid>.ipynb`` in the output directory; on success it is renamed to ``<name>.ipynb``; on failure to
  ``<name>.failed.ipynb``, and the previous ``<name>.ipynb`` is left untouched.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib.metadata import EntryPoint
from pathlib import Path
from queue import Empty
from typing import IO, Any

import nbformat
import papermill as pm
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.provisioning.factory import KernelProvisionerFactory
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import (
    NBClientEngine,
    NotebookExecutionManager,
    papermill_engines,
)
from papermill.exceptions import PapermillExecutionError
from papermill.log import logger as papermill_logger
from papermill.utils import merge_kwargs, remove_args
from traitlets import Bool, DottedObjectName, default

from helpers import atomic
from helpers.batch import warm
from helpers.batch.connections import connection_dir
from helpers.batch.kernels import ForkProvisioner
from helpers.batch.tasks import Event, LaunchSlot, RunOutcome, RunTask, call_after, preload_after

ENGINE_NAME = "ktpel"


class KernelStartFailed(RuntimeError):
    """The kernel did not start, or did not answer ``kernel_info`` in time."""


#: The kernel provisioner that forks kernels from a worker's zygote, registered through jupyter_client's
#: ``jupyter_client.kernel_provisioners`` entry point (``[project.entry-points]`` in pyproject.toml).
FORK_PROVISIONER = "ktpel-fork-provisioner"
_PROVISIONER_GROUP = "jupyter_client.kernel_provisioners"


def this_python_spec(fork: bool) -> KernelSpec:
    """``sys.executable -m ipykernel_launcher``, whatever ``python3`` kernelspec another environment (or
    ``~/.local/share/jupyter``) defines; with ``fork``, provisioned by :data:`FORK_PROVISIONER`."""
    metadata = {"kernel_provisioner": {"provisioner_name": FORK_PROVISIONER}} if fork else {}
    return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (ktpel)",
                      language="python", resource_dir="", metadata=metadata)


class ThisPythonKernelSpecManager(KernelSpecManager):
    """Every kernel name means this interpreter's kernel (:func:`this_python_spec`)."""

    fork = Bool(False)

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return this_python_spec(self.fork)


class QuickReadyClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel answered ``kernel_info`` and an IOPub message came
    through (so both channels are connected).  The stock ``wait_for_ready`` then also waits until IOPub has
    been quiet for 0.2 s, to drop what is left there; nbclient matches every IOPub message to the request it
    answers and skips the others, so that wait would only cost each new kernel 0.2 s."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:  # IOPub not connected yet: ask again
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class SpawnKernelManager(AsyncKernelManager):
    """Starts this interpreter's kernel as a new process, connected over IPC sockets on Linux.

    Over TCP a kernel manager picks free ports and the kernel binds them later: under load another
    process can take one in between (``ZMQError: Address already in use``).  IPC sockets live in
    :func:`connection_dir`, a directory no other process writes in, so two kernels cannot collide;
    :func:`execute_task` still retries a start that fails once."""

    @default("kernel_spec_manager")
    def _default_spec_manager(self) -> KernelSpecManager:
        return ThisPythonKernelSpecManager(parent=self, fork=self._fork)

    _fork = False
    client_class = DottedObjectName(f"{__name__}.QuickReadyClient")

    @default("transport")
    def _default_transport(self) -> str:
        return "ipc" if sys.platform.startswith("linux") else "tcp"

    @default("connection_file")
    def _default_connection_file(self) -> str:
        return os.path.join(connection_dir(), f"k-{uuid.uuid4().hex[:12]}.json")


class ForkKernelManager(SpawnKernelManager):
    """As :class:`SpawnKernelManager`, with the kernel forked from this worker's zygote
    (:class:`helpers.batch.kernels.ForkProvisioner`)."""

    _fork = True


def register_fork_provisioner() -> None:
    """Make :data:`FORK_PROVISIONER` known to jupyter_client's provisioner factory.

    Normally its entry point does this; an environment installed (``pip install -e .``) before the entry
    point existed lacks it, so it is added to the factory's table of entry points here."""
    factory = KernelProvisionerFactory.instance()
    if FORK_PROVISIONER not in factory.get_provisioner_entries():
        factory.provisioners[FORK_PROVISIONER] = EntryPoint(
            FORK_PROVISIONER, f"{ForkProvisioner.__module__}:{ForkProvisioner.__name__}", _PROVISIONER_GROUP)


class _Client(PapermillNotebookClient):
    """Papermill's client, with the kernel launched in our cwd/env inside a launch slot."""

    def __init__(self, nb_man: NotebookExecutionManager, *, ktpel: dict[str, Any], **kw: Any) -> None:
        super().__init__(nb_man, **kw)
        self._ktpel = ktpel
        self._holding_slot = False

    def _release_slot(self) -> None:
        if self._holding_slot:
            self._holding_slot = False
            self._ktpel["slot"].release()

    def start_new_kernel(self, **kwargs: Any) -> None:
        k = self._ktpel
        k["kernel_t0"] = time.perf_counter()
        kwargs.update(cwd=k["cwd"], env=k["env"], stdout=k["log"], stderr=k["log"])
        self.km.ktpel_note = k["note"]  # what ForkProvisioner says when it falls back to a spawned kernel
        k["slot"].acquire()
        self._holding_slot = True
        try:
            super().start_new_kernel(**kwargs)
        except Exception as exc:
            self._release_slot()
            raise KernelStartFailed(f"the kernel could not be launched ({type(exc).__name__}: {exc})") from exc

    def start_new_kernel_client(self) -> Any:
        try:
            return super().start_new_kernel_client()
        except Exception as exc:
            raise KernelStartFailed(f"the kernel did not answer within {self.startup_timeout} s "
                                    f"({type(exc).__name__}: {exc})") from exc
        finally:
            self._release_slot()
            if "kernel_t0" in self._ktpel:  # a kernel started (not a kept one): launch until it answered
                _add(self._ktpel["phases"], "kernel", time.perf_counter() - self._ktpel.pop("kernel_t0"))

    def papermill_execute_cells(self) -> None:
        """With kernel reuse: record a fresh kernel's state, or reset a kept kernel to it, then run the cells."""
        k = self._ktpel
        t0 = time.perf_counter()
        if k["reuse"]:
            code = warm.RESET if k["reused"] else warm.RECORD
            reply = self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False))
            if not reply or reply["content"].get("status") != "ok":
                raise KernelStartFailed("the kept kernel could not be reset: "
                                        f"{(reply or {}).get('content', {}).get('evalue', 'no reply')}")
        t1 = time.perf_counter()
        _add(k["phases"], "reset", t1 - t0)
        super().papermill_execute_cells()
        _add(k["phases"], "cells", time.perf_counter() - t1)


def _add(phases: dict[str, float], phase: str, seconds: float) -> None:
    phases[phase] = phases.get(phase, 0.0) + seconds


def _report_cells(nb_man: NotebookExecutionManager, progress: Callable[[int, int], None]) -> None:
    """Call ``progress(done, total)`` after each code cell."""
    total = sum(cell.cell_type == "code" for cell in nb_man.nb.cells)
    complete = nb_man.cell_complete
    done = 0

    def cell_complete(cell: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal done
        complete(cell, *args, **kwargs)
        if cell.cell_type == "code":
            done += 1
            progress(done, total)

    nb_man.cell_complete = cell_complete


class KtpelEngine(NBClientEngine):
    """Papermill's nbclient engine with :class:`_Client` and :class:`ForkKernelManager` or
    :class:`SpawnKernelManager`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: NotebookExecutionManager, kernel_name: str,
                                 log_output: bool = False, stdout_file: Any = None, stderr_file: Any = None,
                                 start_timeout: float = 60, execution_timeout: float | None = None,
                                 **kwargs: Any) -> Any:
        ktpel = kwargs.pop("ktpel")
        ktpel["state"]["nb"] = nb_man.nb  # executed in place; on an error, Papermill adds its markers to it
        _report_cells(nb_man, ktpel["progress"])
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        manager_class = ForkKernelManager if ktpel["kernel_start"] == "fork" else SpawnKernelManager
        km, kc, key = None, None, None
        if ktpel["reuse"]:  # a kept kernel and client (helpers.batch.warm), or a new one this worker may keep
            key = warm.kernel_key(kernel_name, ktpel["kernel_start"], ktpel["cwd"], ktpel["task_env"])
            km, kc = warm.take(key) or (manager_class(kernel_name=kernel_name), None)
            ktpel["reused"] = kc is not None
        final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name,
                                    kernel_manager_class=manager_class, log=papermill_logger, km=km,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = _Client(nb_man, ktpel=ktpel, **final_kwargs)
        if km is None:
            return client.execute()
        client.kc = kc  # a kept client: nbclient starts none (a new one waits 0.2 s for a quiet IOPub)
        try:
            nb = client.execute()
        except BaseException:
            warm.shut_down(km, client.kc)
            raise
        if nb.metadata.get("papermill", {}).get("exception"):
            warm.shut_down(km, client.kc)  # a failed run's kernel is not reused
        else:
            warm.keep(key, km, client.kc)  # type: ignore[arg-type]
        return nb


def register() -> None:
    """Register the engine with Papermill and quieten Papermill's own logging (we report every
    failure ourselves, with the notebook it happened in)."""
    papermill_engines.register(ENGINE_NAME, KtpelEngine)
    register_fork_provisioner()
    papermill_logger.setLevel(logging.CRITICAL)


def _tail(log: IO[bytes], limit: int = 1500) -> str:
    log.flush()
    log.seek(0)
    text = log.read().decode("utf-8", "replace").strip()
    lines = [line for line in text.splitlines() if "without encryption" not in line]
    return "\n".join(lines)[-limit:]


def _finish(nb: nbformat.NotebookNode, tmp: Path, dest: Path, task: RunTask, status: str, error: str | None) -> None:
    """Record our metadata (and repo-relative papermill paths) in ``nb``, write it to ``tmp`` (the one write
    of the run's output), then rename it to ``dest``."""
    nb.metadata.setdefault("papermill", {}).update(input_path=task.input_label, output_path=task.output_label(dest))
    nb.metadata["ktpel"] = {**task.metadata, "status": status, **({"error": error} if error else {})}
    for cell in nb.cells:  # Papermill gives its cell a random id; the same run gives the same notebook
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []) and "id" in cell:
            cell["id"] = "injected-parameters"
    with open(tmp, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
        fh.flush()
        os.fsync(fh.fileno())
    atomic.replace(tmp, dest)


def execute_task(task: RunTask, emit: Callable[[Event], None], slot: LaunchSlot | None = None) -> RunOutcome:
    """Run ``task``'s notebook into ``task.output_dir``; never raises for a failing notebook."""
    out = task.output_dir
    tmp = atomic.tmp_path(out / f"{task.name}.ipynb")
    final, failed = out / f"{task.name}.ipynb", out / f"{task.name}.failed.ipynb"
    started = time.time()
    if task.after:
        preload_after(task.after)
    error: str | None = None
    attempt = 0
    phases: dict[str, float] = {}  # seconds: kernel, reset, cells, papermill (the rest of it), write, export
    for attempt in range(1, task.attempts + 1):
        emit(("start", task.name, attempt))
        error = None
        with tempfile.TemporaryFile() as log:
            state: dict[str, Any] = {}  # the engine puts the notebook being executed here
            ktpel = {"cwd": str(task.cwd), "env": {**os.environ, **task.env}, "log": log, "state": state,
                     "phases": phases,
                     "reuse": task.kernel_reuse, "task_env": task.env,
                     "kernel_start": task.kernel_start, "slot": slot or _NoSlot(),
                     "note": lambda why: emit(("fallback", task.name, why)),
                     "progress": lambda d, t: emit(("cells", task.name, d, t))}
            try:
                # No output path: Papermill would write the whole notebook (validated against the nbformat
                # schema) before and after every cell; the notebook is written once, by _finish.
                t0 = time.perf_counter()
                pm.execute_notebook(str(task.notebook), None, parameters=task.parameters, engine_name=ENGINE_NAME,
                                    kernel_name=task.kernel_name, progress_bar=False, request_save_on_cell_execute=False,
                                    start_timeout=task.start_timeout, ktpel=ktpel)
                _add(phases, "papermill", max(0.0, time.perf_counter() - t0 - sum(phases.values())))
                break
            except KernelStartFailed as exc:
                tail = _tail(log)
                error = f"KernelStartFailed: {exc}" + (f"\nkernel log:\n{tail}" if tail else "")
                if attempt < task.attempts:
                    emit(("retry", task.name, str(exc)))
            except PapermillExecutionError as exc:
                error = f"{exc.ename}: {exc.evalue}"
                break
            except Exception as exc:  # a broken notebook file, a dead kernel, ...
                error = f"{type(exc).__name__}: {exc}"
                break
    output: Path | None = None
    try:
        if (nb := state.get("nb")) is not None:
            output = failed if error else final
            t0 = time.perf_counter()
            _finish(nb, tmp, output, task, "failed" if error else "ok", error)
            _add(phases, "write", time.perf_counter() - t0)
            if not error:
                failed.unlink(missing_ok=True)
        elif not error:
            error = "papermill wrote no output notebook"
    except Exception as exc:  # e.g. a disk full while writing: the previous output stays
        output, error = None, error or f"{type(exc).__name__} while saving the output: {exc}"
    finally:
        tmp.unlink(missing_ok=True)
    after_error, exported = None, False
    if error is None and output is not None and task.after:
        try:
            t0 = time.perf_counter()
            call_after(task.after, Path(task.env["KTPEL_PROJECT"]), output)
            _add(phases, "export", time.perf_counter() - t0)
            exported = True
        except Exception as exc:  # noqa: BLE001 - the run is good; the caller redoes what `after` does
            after_error = f"{type(exc).__name__}: {exc}"
    return RunOutcome(task.name, "ok" if error is None else "failed", time.time() - started, output, error, attempt,
                      started, time.time(), after_error, exported, phases)


class _NoSlot:
    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass

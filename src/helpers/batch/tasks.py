"""What travels from the planner to the workers and back: a task to run (:class:`RunTask`) and the record of
a run (:class:`RunOutcome`).

A run goes through four types, one per stage, each made from the one before:

- :class:`helpers.batch.config.RunSpec`: one run of ``reports.yaml`` as written (a grid entry gives several),
  with the lines its parts came from, for messages;
- :class:`helpers.batch.plan.PlannedRun`: that run checked, its parameters merged, its output paths and
  fingerprint known;
- :class:`RunTask`: what a worker needs to execute it (absolute paths, kernel settings, the ``after`` call),
  made only for runs that are not up to date;
- :class:`RunOutcome`: the run's record from then on: made by the worker (or by the batch for a run that was
  up to date, or by an executor for a worker that died), printed in the summary and read by the export
  trigger (:func:`helpers.export.stamp.export_after_batch`).

The export reads the executed notebooks back from disk as its own :class:`helpers.export.model.Run` (their
stored parameters and charts): a page, not a run record."""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

#: Progress reported while a run executes:
#: ``("start", name, attempt)``, ``("cells", name, done, total)``, ``("retry", name, why)``,
#: ``("fallback", name, why)`` (a forked kernel start failed; that run's kernel was spawned).
Event = tuple[Any, ...]


class LaunchSlot(Protocol):
    """A (cross-process) semaphore bounding kernel starts: ``multiprocessing``'s, or a
    ``distributed.Semaphore`` behind :class:`_DaskLaunchSlot`.  ``release`` is only
    called after a successful ``acquire``."""

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
    kernel_start: str = "spawn"  # or "fork": from the worker's zygote (helpers.batch.kernels)
    kernel_reuse: bool = False  # run in the worker's kept kernel, reset (helpers.batch.warm)
    #: "module:function" the worker calls as ``function(project_root, output)`` after a successful run (the
    #: CLI passes the per-run export, so exports run on the workers; the batch itself imports no export code).
    after: str | None = None

    def output_label(self, path: Path) -> str:
        return f"{self.output_dir_label}/{path.name}"


#: The statuses of a :class:`RunOutcome`.
STATUSES = ("ok", "failed", "up to date")


@dataclass(frozen=True)
class RunOutcome:
    """One run of a batch: how it ended, where its notebook is, and what its worker did after it."""

    name: str
    status: str  # one of STATUSES: "up to date" runs were not executed (their output's fingerprint matched)
    seconds: float
    output: Path | None  # <name>.ipynb, <name>.failed.ipynb, or None if nothing was written
    error: str | None = None
    attempts: int = 0  # kernel start attempts (0: not executed)
    started: float = 0.0  # time.time() in the worker
    finished: float = 0.0
    after_error: str | None = None  # the ``after`` call failed (the run itself is ok); None if it ran or none was asked
    exported: bool = False  # the worker did the ``after`` call (the per-run export) for it
    #: Where the run's time went, in seconds: ``kernel`` (start, until it answered; 0 for a kept kernel),
    #: ``reset`` (of a kept kernel), ``cells``, ``papermill`` (the rest of Papermill: reading, parameters,
    #: round trips), ``write`` (the output notebook), ``export`` (the ``after`` call).
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The run did not fail: it ran to its end, or was up to date."""
        return self.status != "failed"


_preloading: set[str] = set()


def preload_after(spec: str) -> None:
    """Import the module of ``"module:function"`` in a background thread, once per process, so its imports
    happen while this process waits (a worker for its first kernel, ``ktpel report`` for its workers), not
    after the run."""
    module = spec.partition(":")[0]
    if module not in _preloading:
        _preloading.add(module)
        threading.Thread(target=importlib.import_module, args=(module,), name="ktpel-preload", daemon=True).start()


def call_after(spec: str, project_root: Path, output: Path) -> None:
    """Call ``"module:function"`` with (project root, output notebook)."""
    module, _, function = spec.partition(":")
    getattr(importlib.import_module(module), function)(project_root, output)

"""What travels between the planner, the executors and the engine: a task to run and its outcome."""

from __future__ import annotations

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
    after_error: str | None = None  # the ``after`` call failed (the run itself is ok); None if it ran or none was asked
    after_done: bool = False
    #: Where the run's time went, in seconds: ``kernel`` (start, until it answered; 0 for a kept kernel),
    #: ``reset`` (of a kept kernel), ``cells``, ``papermill`` (the rest of Papermill: reading, parameters,
    #: round trips), ``write`` (the output notebook), ``export`` (the ``after`` call).
    phases: dict[str, float] = field(default_factory=dict)

"""Warm kernels: a worker keeps its kernel between runs, reset to the state of a fresh one.

A fresh kernel per run (forked or spawned) pays, every run, for what the notebooks do once per process:
starting ipykernel, importing the analysis code that the zygote does not preload, and vl-convert's
first rendering (which starts its JavaScript engine, about as long as a small notebook's whole work).
With ``kernel_reuse`` a worker keeps the kernel of a run that succeeded, and the client connected to it,
and runs its next notebook in it, provided the kernel would have been started the same way (kernel name,
start method, working directory and environment).  Keeping the client matters: a new client waits until
the kernel's IOPub channel has been quiet for 0.2 s (``jupyter_client``'s ``wait_for_ready``), a fifth of a
small notebook's work.  Before the run the kernel is reset:

* ``os.environ``, the working directory, ``sys.path`` and the warning filters are put back as they were
  when the kernel started (recorded by :data:`RECORD` before its first run);
* the user namespace, the output history and the execution counter are cleared
  (``InteractiveShell.reset(new_session=True)``), so cells are numbered from 1 again.

What stays is what a fresh kernel would not have: modules imported by earlier runs (imports are the
point) and whatever state those modules keep.  The notebooks of this project keep none that shows in
their outputs: ``tests/test_national.py`` runs the default batch both ways and compares every output.
A kernel whose run failed, or that died, is never reused.  ``--no-kernel-reuse`` gives each run a fresh
kernel; use it for notebooks whose modules keep state between runs.
"""

from __future__ import annotations

import threading
from typing import Any

from jupyter_core.utils import run_sync

#: Run silently in a kernel before its first run: what :data:`RESET` puts back.
RECORD = ("import os as _o, sys as _s, types as _t, warnings as _w\n"
          "_f = _t.ModuleType('_ktpel_fresh'); _f.environ = dict(_o.environ); _f.cwd = _o.getcwd()\n"
          "_f.path = list(_s.path); _f.filters = list(_w.filters); _s.modules['_ktpel_fresh'] = _f\n"
          "del _o, _s, _t, _w, _f\n")
#: Run silently in a kept kernel before its next run.
RESET = ("import os as _o, sys as _s, warnings as _w\n"
         "_f = _s.modules['_ktpel_fresh']\n"
         "_o.chdir(_f.cwd); _o.environ.clear(); _o.environ.update(_f.environ); _s.path[:] = _f.path\n"
         "_w.filters[:] = _f.filters; _w._filters_mutated()\n"
         "get_ipython().reset(new_session=True)\n")

_kept: dict[str, Any] = {}  # "key": how its kernel was started, "km": its kernel manager, "kc": its client


def kernel_key(kernel_name: str, kernel_start: str, cwd: str, env: dict[str, str]) -> tuple[Any, ...]:
    """What must be equal for a kept kernel to stand in for a fresh one (per thread: a Dask worker's
    threads each have their own event loop)."""
    return (kernel_name, kernel_start, cwd, tuple(sorted(env.items())), threading.get_ident())


def take(key: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """The kept (kernel manager, client) for ``key`` if its kernel is alive (they are no longer kept:
    :func:`keep` them again after a good run); any other kept kernel is shut down."""
    km, kc, kept_key = _kept.pop("km", None), _kept.pop("kc", None), _kept.pop("key", None)
    if km is None:
        return None
    try:
        if kept_key == key and kc is not None and kc.channels_running and run_sync(km.is_alive)():
            return km, kc
    except Exception:  # noqa: BLE001 - a broken manager: start afresh
        pass
    shut_down(km, kc)
    return None


def keep(key: tuple[Any, ...], km: Any, kc: Any) -> None:
    _kept.update(key=key, km=km, kc=kc)


def shut_down(km: Any, kc: Any = None) -> None:
    """Stop a kernel (and its client's channels) that will not be used again (best effort: it dies with
    this worker anyway)."""
    try:
        if kc is not None:
            kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - already dead
        pass

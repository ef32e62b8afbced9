"""Kernels forked from a warm parent, so a batch pays the notebooks' imports once per worker.

A report notebook spends most of its CPU before its first line of analysis: starting
Python and ipykernel, then importing pandas, Altair, DuckDB and the helpers (about
1.5 s of the 3 to 4 s a run takes here).  With ``kernel_start="fork"`` (the default on
Linux) each runner worker keeps one *zygote*: a process started once that has made
those imports (:data:`PRELOAD`) and then only forks.  Every kernel is a fresh fork of
it, so it starts with the modules loaded but an empty user namespace, its own
working directory, environment, session and process group, exactly as a spawned
kernel would, and is run by the same ``IPKernelApp``.

The worker talks to its zygote over a Unix socket pair (one request per kernel: the
launch command, ``cwd``, ``env`` and the log file descriptor, passed with
``SCM_RIGHTS``); the zygote answers with the kernel's pid.  The kernel manager drives
the kernel through :class:`ForkProvisioner`, a ``LocalProvisioner`` whose process
handle is :class:`ForkedKernel` (signals by pid; the zygote reaps its children).

Safety of ``fork``: the zygote forks before any thread, ZeroMQ context, DuckDB
connection or vl-convert runtime exists (BLAS is held to one thread), and stops
when its worker's end of the socket closes; a kernel whose zygote is gone exits
(ipykernel's parent poller).  ``kernel_start="spawn"`` (``ktpel report --kernel-start
spawn``) starts every kernel as a new process instead, as plain Papermill does.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import IO, Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from helpers.codehash import package_digest

#: Modules the zygote imports once: what the report notebooks and the kernel itself import.
PRELOAD = ("ipykernel.kernelapp", "IPython.display", "pandas", "altair", "duckdb", "vl_convert",
           "helpers.analysis.charts", "helpers.analysis.figures", "helpers.analysis.narrative", "helpers.analysis.params", "helpers.analysis.queries")
#: Environment of the zygote (and so of its kernels): one BLAS thread, so that nothing runs
#: beside the main thread when it forks.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_MAX_MESSAGE = 1 << 20


# --- the zygote (its own process) ------------------------------------------------------------

class _KernelLike:
    kernel = True


def _preload() -> None:
    """Import :data:`PRELOAD` as inside a Jupyter kernel: modules that ask ``get_ipython()`` at import
    time (pandas picks its display defaults that way) must see a kernel, not a terminal."""
    builtins.get_ipython = _KernelLike  # type: ignore[attr-defined]
    try:
        for module in PRELOAD:
            importlib.import_module(module)
    finally:
        del builtins.get_ipython  # type: ignore[attr-defined]


def serve(fd: int) -> None:
    """The zygote's loop: import :data:`PRELOAD`, then fork a kernel per request on socket ``fd``."""
    _preload()
    sock = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit: no zombies
    sock.sendall(b'{"ready": true}')
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 1)
        except (ConnectionError, OSError):
            return
        if not data:  # the worker is gone
            return
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            sock.close()
            _become_kernel(request, fds[0] if fds else None)  # never returns
        for received in fds:
            os.close(received)
        sock.sendall(json.dumps({"pid": pid}).encode())


def _become_kernel(request: dict[str, Any], log_fd: int | None) -> None:
    """In the forked child: take the run's session, files, directory and environment, then run ipykernel."""
    code = 1
    try:
        os.setsid()  # as jupyter_client's launcher does: signals to the kernel's group reach only it
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        out = log_fd if log_fd is not None else null
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # exit with the zygote
        argv = request["argv"]  # [python, -m, ipykernel_launcher, -f, FILE]: the spawned kernel's argv
        sys.argv = [importlib.util.find_spec(argv[2]).origin or argv[2], *argv[3:]]  # type: ignore[union-attr]
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]  # as ipykernel_launcher does; the shell puts '' back
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - report it in the kernel log, then leave
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        os._exit(code)


# --- the worker's side ------------------------------------------------------------------------

class ZygoteFailed(RuntimeError):
    """The zygote could not be started or did not answer."""


class Zygote:
    """A zygote process and the worker's end of its socket."""

    def __init__(self, start_timeout: float = 60.0) -> None:
        self.digest = package_digest()  # the helpers it imported
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**os.environ, **SINGLE_THREADED}
        code = f"from helpers.batch.kernels import serve; serve({theirs.fileno()})"
        self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()], env=env,
                                        stdin=subprocess.DEVNULL)
        theirs.close()
        self.sock = ours
        self.sock.settimeout(start_timeout)
        self._ready = False  # the zygote says so once its imports are done
        self._lock = threading.Lock()  # one request at a time (a Dask worker may run tasks in threads)

    def _await_ready(self) -> None:
        if not self._ready:
            self._receive()
            self._ready = True

    def _receive(self) -> dict[str, Any]:
        try:
            data = self.sock.recv(_MAX_MESSAGE)
        except (OSError, TimeoutError) as exc:
            raise ZygoteFailed(f"the kernel zygote did not answer ({type(exc).__name__}: {exc})") from exc
        if not data:
            raise ZygoteFailed(f"the kernel zygote exited (code {self.process.poll()})")
        return dict(json.loads(data))

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], log: IO[bytes] | None) -> ForkedKernel:
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode()
        with self._lock:
            self._await_ready()
            try:
                socket.send_fds(self.sock, [request], [log.fileno()] if log is not None else [])
            except OSError as exc:
                raise ZygoteFailed(f"the kernel zygote is gone ({exc})") from exc
            return ForkedKernel(int(self._receive()["pid"]))

    def close(self) -> None:
        self.sock.close()  # the zygote sees end of file and exits
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - it only ever waits on the socket
            self.process.kill()
            self.process.wait()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def zygote() -> Zygote:
    """This process's zygote, started on first use; restarted if it died or if the helpers changed
    on disk since it imported them (a long-lived Dask worker outlives many batches)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None and (not _zygote.alive() or _zygote.digest != package_digest()):
            _zygote.close()
            _zygote = None
        if _zygote is None:
            _zygote = Zygote()
        return _zygote


def discard_zygote() -> None:
    """Stop this process's zygote (the next :func:`zygote` starts a new one)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


class ForkedKernel:
    """The ``Popen``-like handle of a forked kernel (not our child: the zygote reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1  # gone; its status went to the zygote
            except PermissionError:  # pragma: no cover - the pid was reused by another user's process
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):  # type: ignore[misc]
    """``LocalProvisioner`` that forks the kernel from this process's :func:`zygote`."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if list(cmd[1:3]) != ["-m", "ipykernel_launcher"]:  # not this Python's ipykernel: spawn it
            return await super().launch_kernel(cmd, **kwargs)
        try:
            process = zygote().fork(list(cmd), str(kwargs.get("cwd") or os.getcwd()),
                                    dict(kwargs.get("env") or os.environ), kwargs.get("stdout"))
        except ZygoteFailed:
            discard_zygote()  # the retry of this start gets a new one
            raise
        self.process, self.pid, self.pgid = process, process.pid, process.pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info

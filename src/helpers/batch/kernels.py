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
``SCM_RIGHTS``); the zygote answers with the kernel's pid and a *pidfd* of it (also by
``SCM_RIGHTS``).  The kernel manager drives the kernel through :class:`ForkProvisioner`
(registered as jupyter_client's ``ktpel-fork-provisioner`` provisioner entry point), whose
process handle :class:`ForkedKernel` signals and watches the kernel only through that pidfd:
a pid number is never signalled, so a kernel that ended and was reaped cannot be confused
with another process that got its number.

**Fallback.**  A forked start that fails (the zygote died, could not import
:data:`PRELOAD`, imported other ``helpers`` code than the worker has, or did not answer)
starts that run's kernel as a new process instead, and the batch says so once
(:meth:`ForkProvisioner.launch_kernel`).  After two failed zygotes in a row a worker
stops forking.  Fork needs Linux with pidfds
(:func:`helpers.batch.executors.fork_unsupported`).

**Threads at fork.**  The zygote runs one BLAS thread (:data:`SINGLE_THREADED`) and
starts no thread, ZeroMQ context, DuckDB connection or vl-convert runtime itself.  It
is not single-threaded, though: importing pyarrow (pandas 3 does) starts jemalloc's
background purging thread (``jemalloc_bg_thd``; Arrow configures jemalloc with
``background_thread:true``).  ``fork`` copies only the calling thread, so a kernel has
no such thread.  This is safe because jemalloc registers ``pthread_atfork`` handlers
that take all its mutexes before the fork and reinitialise them in the child (so no
lock is copied in a held state), and in the child background threads are off: the
kernel's Arrow allocator purges unused pages on its own allocations instead, which
changes when memory is returned to the system, not what any computation gives.  A
test checks that the zygote has no other thread (:func:`foreign_threads`).

**Lifetime.**  The zygote stops when its worker's end of the socket closes (the
worker exited or was killed).  Each forked kernel asks the kernel to send it SIGKILL
when the zygote dies (``PR_SET_PDEATHSIG``; the zygote forks only from its main
thread, which lives as long as it does) and ipykernel's parent poller
(``JPY_PARENT_PID``) is the second line.  ``kernel_start="spawn"`` (``ktpel report
--kernel-start spawn``) starts every kernel as a new process instead, as plain
Papermill does.
"""

from __future__ import annotations

import builtins
import ctypes
import gc
import importlib
import importlib.util
import json
import os
import select
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
           "helpers.analysis.charts", "helpers.analysis.figures", "helpers.analysis.narrative",
           "helpers.analysis.params", "helpers.analysis.queries")
#: Environment of the zygote (and so of its kernels): one BLAS thread, so that no BLAS thread pool
#: exists when it forks (see the module notes for the one thread that does).
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Threads the zygote may have beside its main thread when it forks (see the module notes).
KNOWN_THREADS = ("jemalloc_bg_thd",)
_MAX_MESSAGE = 1 << 20
_PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send this process ``signum`` when the thread that created it ends (its parent, for a
    process forked or spawned from a parent's main thread); no-op elsewhere."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def foreign_threads(pid: int | None = None) -> list[str]:
    """Names of the threads of process ``pid`` (default: this one) other than its main thread and
    :data:`KNOWN_THREADS` (Linux ``/proc``)."""
    pid = pid or os.getpid()
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) != pid:
            with open(f"/proc/{pid}/task/{tid}/comm", encoding="utf-8") as fh:
                names.append(fh.read().strip())
    return sorted(n for n in names if n not in KNOWN_THREADS)


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


def _reap(signum: int, frame: Any) -> None:
    """SIGCHLD in the zygote: reap every kernel that ended (its worker watches it through a pidfd)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(*fds: int) -> None:
    """The zygote's loop: import :data:`PRELOAD`, then fork a kernel per request on any of the sockets
    ``fds`` (one per worker it serves); it ends when every worker has closed its end."""
    socks = [socket.socket(fileno=fd) for fd in fds]
    _preload()
    # What the imports made lives as long as the kernels: move it out of the collector's sight, so that
    # a kernel's full collections (IPython runs one at every reset, pandas and Altair trigger others) scan
    # only what the kernel itself made: about 0.15 s less per reset.  (CPython's advice for a parent
    # that forks: collect, then freeze, right before forking.)
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)
    hello = json.dumps({"ready": True, "digest": package_digest(), "threads": foreign_threads()}).encode()
    for sock in list(socks):
        try:
            sock.sendall(hello)
        except OSError:  # that worker is gone already
            socks.remove(sock)
    while socks:
        ready, _, _ = select.select(socks, [], [])
        for sock in ready:
            if not _fork_on_request(sock, socks):
                socks.remove(sock)
                sock.close()


def _fork_on_request(sock: socket.socket, socks: list[socket.socket]) -> bool:
    """Fork a kernel for the request waiting on ``sock``; False when its worker is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 1)
    except (ConnectionError, OSError):
        return False
    if not data:  # the worker is gone
        return False
    request = json.loads(data)
    # SIGCHLD is held back from fork until the pidfd is open: a kernel that ends at once stays a
    # zombie until then, so its pid cannot be reaped and reused before the pidfd refers to it.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
        if pid == 0:
            for each in socks:
                each.close()
            _become_kernel(request, fds[0] if fds else None)  # never returns
        pidfd = os.pidfd_open(pid)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    for received in fds:
        os.close(received)
    try:
        socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
    except OSError:
        return False
    finally:
        os.close(pidfd)
    return True


def _become_kernel(request: dict[str, Any], log_fd: int | None) -> None:
    """In the forked child: take the run's session, files, directory and environment, then run ipykernel."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        die_with_parent()  # the zygote forks from its main thread: this fires when the zygote ends
        os.setsid()  # as jupyter_client's launcher does: signals to the kernel's group reach only it
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        out = log_fd if log_fd is not None else null
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel's poller: exit with the zygote
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
    """The zygote could not be started, did not answer, or is not usable."""


def spawn_zygote(workers: int = 1) -> tuple[subprocess.Popen[bytes], list[socket.socket]]:
    """Start a zygote process serving ``workers`` workers: its handle and one socket per worker."""
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(workers)]
    theirs = [pair[1].fileno() for pair in pairs]
    code = f"from helpers.batch.kernels import serve; serve({', '.join(map(str, theirs))})"
    process = subprocess.Popen([sys.executable, "-c", code], pass_fds=theirs, env={**os.environ, **SINGLE_THREADED},
                               stdin=subprocess.DEVNULL)
    for _, their in pairs:
        their.close()
    return process, [ours for ours, _ in pairs]


class Zygote:
    """A zygote and this worker's end of its socket: this worker's own zygote (a child of this process),
    or, with ``sock``, a zygote its executor started for all its workers (:func:`attach`)."""

    def __init__(self, start_timeout: float = 60.0, sock: socket.socket | None = None) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        if sock is None:
            self.process, [sock] = spawn_zygote()
        self.sock = sock
        self.sock.settimeout(start_timeout)
        self._ready = False  # the zygote says so once its imports are done
        self.digest: str | None = None  # of the helpers code it imported, as it reports
        self._lock = threading.Lock()  # one request at a time (a Dask worker may run tasks in threads)

    def _await_ready(self) -> None:
        if not self._ready:
            hello = self._receive()[0]
            self.digest = hello.get("digest")
            if self.digest != package_digest():
                raise ZygoteFailed("the kernel zygote imported other helpers code than this worker has")
            if hello.get("threads"):
                raise ZygoteFailed(f"the kernel zygote runs threads it may not fork with: {hello['threads']}")
            self._ready = True

    def _receive(self) -> tuple[dict[str, Any], list[int]]:
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, _MAX_MESSAGE, 1)
        except (OSError, TimeoutError) as exc:
            raise ZygoteFailed(f"the kernel zygote did not answer ({type(exc).__name__}: {exc})") from exc
        if not data:
            code = self.process.poll() if self.process is not None else None
            raise ZygoteFailed("the kernel zygote exited" + (f" (code {code})" if code is not None else ""))
        return dict(json.loads(data)), fds

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        # A shared zygote: between requests, its end is readable only once it is gone (after its hello).
        return not self._ready or not select.select([self.sock], [], [], 0)[0]

    def fork(self, argv: list[str], cwd: str, env: dict[str, str], log: IO[bytes] | None) -> ForkedKernel:
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode()
        with self._lock:
            self._await_ready()
            try:
                socket.send_fds(self.sock, [request], [log.fileno()] if log is not None else [])
            except OSError as exc:
                raise ZygoteFailed(f"the kernel zygote is gone ({exc})") from exc
            answer, fds = self._receive()
            if len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                raise ZygoteFailed("the kernel zygote sent no pidfd for its kernel")
            return ForkedKernel(int(answer["pid"]), fds[0])

    def close(self) -> None:
        self.sock.close()  # the zygote sees end of file and exits (a shared one once every worker's end is closed)
        if self.process is None:
            return
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # stopped (SIGSTOP) or stuck: our own child, still unreaped
            self.process.kill()
            self.process.wait()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()
#: Zygotes of this process that failed in a row; at :data:`MAX_ZYGOTE_FAILURES` it stops forking.
_failures = 0
MAX_ZYGOTE_FAILURES = 2


def zygote() -> Zygote:
    """This process's zygote, started on first use; restarted if it died or if the helpers changed
    on disk since it imported them (a long-lived Dask worker outlives many batches)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None and (not _zygote.alive() or _zygote.digest not in (None, package_digest())):
            _zygote.close()
            _zygote = None
        if _zygote is None:
            _zygote = Zygote()
        return _zygote


def attach(sock: socket.socket) -> None:
    """Use the zygote at the other end of ``sock`` (started by this worker's executor for all its workers,
    :func:`spawn_zygote`) until it fails; then :func:`zygote` starts this worker's own."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
        _zygote = Zygote(sock=sock)


def discard_zygote() -> None:
    """Stop this process's zygote (the next :func:`zygote` starts a new one)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


def reset_failures() -> None:
    """Let this process try forking again after :data:`MAX_ZYGOTE_FAILURES` failed zygotes."""
    global _failures
    _failures = 0


class ForkedKernel:
    """The ``Popen``-like handle of a forked kernel, held as a pidfd (the kernel is the zygote's child;
    the zygote reaps it, so its exit status is not known here: ``returncode`` is then -1)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self._pidfd: int | None = pidfd
        self.returncode: int | None = None

    def _ended(self) -> None:
        self.returncode = -1
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd is not None:
            ready, _, _ = select.select([self._pidfd], [], [], 0)  # a pidfd is readable once its process ended
            if ready:
                self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            assert self._pidfd is not None  # closed only once the kernel ended, when poll() is not None
            select.select([self._pidfd], [], [], left)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None and self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:  # ended between poll and signal: nothing else can be hit
                self._ended()

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def __del__(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)


class ForkProvisioner(LocalProvisioner):
    """``LocalProvisioner`` that forks the kernel from this process's :func:`zygote`, or, if that fails,
    spawns it as ``LocalProvisioner`` does (and says so through the kernel manager's ``ktpel_note``)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        global _failures
        if list(cmd[1:3]) != ["-m", "ipykernel_launcher"] or _failures >= MAX_ZYGOTE_FAILURES:
            return await super().launch_kernel(cmd, **kwargs)
        try:
            process = zygote().fork(list(cmd), str(kwargs.get("cwd") or os.getcwd()),
                                    dict(kwargs.get("env") or os.environ), kwargs.get("stdout"))
        except (ZygoteFailed, OSError) as exc:
            discard_zygote()  # the next run tries a new one
            _failures += 1
            note = getattr(self.parent, "ktpel_note", None)
            if note is not None:
                note(f"{exc}; this run's kernel is spawned instead"
                     + ("; this worker stops forking" if _failures >= MAX_ZYGOTE_FAILURES else ""))
            return await super().launch_kernel(cmd, **kwargs)
        _failures = 0
        # pgid None: jupyter_client would signal the group by number (os.killpg); the handle signals
        # the kernel through its pidfd only.
        self.process = process  # type: ignore[assignment]  # Popen-like: poll, wait, send_signal, kill
        self.pid, self.pgid = process.pid, None
        self.cwd = kwargs.get("cwd")
        return self.connection_info

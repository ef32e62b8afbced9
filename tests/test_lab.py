"""`make lab` starts JupyterLab on the notebooks, in the project's environment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.paths import jupyter_runtime_dir

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str, data: bytes | None = None) -> object:
    req = urllib.request.Request(url, data=data, headers={"Authorization": f"token {token}"},
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_make_lab_serves_notebooks_with_a_kernel_that_imports_helpers():
    port, token = free_port(), "ktpel-test-token"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token} --ServerApp.port_retries=0"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                status = get(f"{base}/api/status", token)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "make lab exited"
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        assert isinstance(status, dict) and "started" in status
        contents = get(f"{base}/api/contents", token)
        names = {item["name"] for item in contents["content"]}  # type: ignore[index]
        assert {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} <= names
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as resp:
            assert resp.status == 200 and b"JupyterLab" in resp.read()
        specs = get(f"{base}/api/kernelspecs", token)
        spec = specs["kernelspecs"][specs["default"]]["spec"]  # type: ignore[index]
        printed: list[dict] = []
        kernel = get(f"{base}/api/kernels", token, data=json.dumps({"name": specs["default"]}).encode())  # type: ignore[index]
        assert kernel["execution_state"] in ("starting", "idle", "busy")  # type: ignore[index]
        assert spec["language"] == "python"
        # Talk to the very kernel the server started: it must import the project's helpers.
        client = BlockingKernelClient()
        client.load_connection_file(str(Path(jupyter_runtime_dir()) / f"kernel-{kernel['id']}.json"))  # type: ignore[index]
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive("import helpers.analysis.params, helpers.analysis.charts; print(helpers.analysis.params.__name__)",
                                               timeout=60, output_hook=lambda msg: printed.append(msg))
        finally:
            client.stop_channels()
        assert reply["content"]["status"] == "ok", reply["content"]
        assert any(m["msg_type"] == "stream" and "helpers.analysis.params" in m["content"]["text"] for m in printed)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)

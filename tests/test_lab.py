"""`make lab` starts JupyterLab on the notebooks, in the project's environment, and every stored notebook
shows its charts there at once (untrusted, offline), drawn by JupyterLab's own Vega renderer."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.paths import jupyter_runtime_dir

from conftest import run_ktpel, screenshot_tool

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


# --------------------------------------------------------------------------- charts drawn in JupyterLab


LAB_ONLY = "http://127.0.0.1:{port}/"
#: JupyterLab's own Vega renderer draws into a canvas (or an SVG) inside ``.vega-embed``.
DRAWN = """els => els.map(el => {
  const c = el.querySelector('canvas');
  if (c) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 600) ink++;
    return ink;
  }
  return el.querySelectorAll('svg .mark-symbol path, svg .mark-rect path, svg .mark-line path').length;
})"""


def vega_outputs(path: Path) -> int:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return sum(1 for cell in nb["cells"] for out in cell.get("outputs", [])
               if "application/vnd.vegalite.v5+json" in out.get("data", {}))


@contextmanager
def lab_server(tmp: Path, *extra: str, lab_dir: Path | None = None) -> Iterator[str]:
    """``make lab`` (on ``lab_dir``) with a fresh Jupyter data directory (no notebook is trusted there);
    yields its URL."""
    port, token = free_port(), "ktpel-test-token"
    args = " ".join([f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}",
                     "--ServerApp.port_retries=0", *extra])
    # kernels talk over IPC sockets in the runtime directory: keep its path short (a socket path has ~107 bytes)
    runtime = tempfile.mkdtemp(prefix="lab-", dir="/tmp")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "JUPYTER_DATA_DIR": str(tmp / "data"), "JUPYTER_RUNTIME_DIR": runtime,
           "JUPYTER_CONFIG_DIR": str(tmp / "config"), "KTPEL_PROJECT": str(ROOT)}
    make = ["make", "-s", "lab", f"LAB_ARGS={args}"] + ([f"LAB_DIR={lab_dir}"] if lab_dir else [])
    proc = subprocess.Popen(make, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                get(f"{base}/api/status", token)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "make lab exited"
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 120 s")
        yield f"{base}/lab/tree/{{name}}?token={token}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def offline_browser():
    """Chromium (the system's) for pages that may load nothing but the Lab server."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = screenshot_tool.launch(p)
        yield browser
        browser.close()


def open_offline(browser, url: str, blocked: list[str]):
    page = screenshot_tool.offline_page(browser, blocked, 1400, 1000, allowed=url.split("/lab/")[0] + "/")
    page.set_default_timeout(180_000)
    page.goto(url, wait_until="domcontentloaded")
    return page


def drawn_charts(page, expected: int) -> list[int]:
    """Wait (generously) until ``expected`` charts are drawn in the open notebook; their ink per chart."""
    page.wait_for_function(f"document.querySelectorAll('.jp-OutputArea-output .vega-embed').length >= {expected}")
    page.wait_for_function(f"({DRAWN})(Array.from(document.querySelectorAll('.jp-OutputArea-output .vega-embed')))"
                           f".filter(n => n > 0).length >= {expected}", polling=500)
    return page.eval_on_selector_all(".jp-OutputArea-output .vega-embed", DRAWN)


def test_every_stored_notebook_shows_its_charts_untrusted_and_offline(tmp_path, offline_browser):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 8
    blocked: list[str] = []
    # `make lab` serving a copy of notebooks/ (byte for byte, times kept), so that nothing Lab might save lands in the repo
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    with lab_server(tmp_path, lab_dir=tmp_path / "notebooks") as url:
        for path in notebooks:
            expected = vega_outputs(path)
            if path.name == "07_kabupaten_kota_spread.ipynb":  # nothing drawn with this data, and the notebook says why
                assert expected == 0 and "Tidak digambar" in path.read_text(encoding="utf-8"), path.name
                continue
            assert expected >= 1, f"{path.name} stores no Vega-Lite v5 chart"
            page = open_offline(offline_browser, url.format(name=path.name), blocked)
            ink = drawn_charts(page, expected)
            assert len(ink) >= expected and all(n > 0 for n in ink), (path.name, ink)
            assert "Altair chart:" not in page.inner_text(".jp-Notebook")  # no chart shown as text
            if path.name == "00_explore.ipynb":  # the region picker works in Lab too
                assert_picker_changes_marks(page, ".jp-OutputArea-output .vega-embed")
            page.context.close()


def assert_picker_changes_marks(page, chart_selector: str) -> None:
    """Choose other regions in the chart's dropdown: the chart draws other marks each time."""
    chart = page.locator(chart_selector).filter(has=page.locator(".vega-bindings select")).first
    select = chart.locator(".vega-bindings select")
    options = select.evaluate("s => Array.from(s.options).map(o => o.value)")
    assert len(options) >= 3, options
    marks = ("el => { const c = el.querySelector('canvas'); if (c) return c.toDataURL(); "
             "return Array.from(el.querySelectorAll('svg [class*=mark-] path')).map(p => p.getAttribute('d')).join('|'); }")
    before = chart.evaluate(marks)
    changed = 0
    for option in [o for o in options if o != select.input_value()][:2]:
        select.select_option(option)
        page.wait_for_timeout(1000)
        after = chart.evaluate(marks)
        changed += after != before
        before = after
    assert changed == 2


def test_after_run_all_the_charts_are_interactive_with_the_quote_in_the_tooltip(tmp_path, offline_browser):
    # a copy of the notebooks (Lab may autosave what it ran), served by `make lab` itself
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    path = tmp_path / "notebooks" / "01_region_comparison.ipynb"
    with lab_server(tmp_path, "--LabApp.expose_app_in_browser=True", lab_dir=tmp_path / "notebooks") as url:
        blocked: list[str] = []
        page = open_offline(offline_browser, url.format(name=path.name), blocked)
        drawn_charts(page, 1)
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext.session")
        page.evaluate("""async () => {
            const panel = window.jupyterapp.shell.currentWidget;
            await panel.sessionContext.ready;
            await window.jupyterapp.commands.execute('notebook:run-all-cells');
        }""")
        page.wait_for_function("""() => {
            const p = window.jupyterapp.shell.currentWidget;
            return p.content.widgets.every(c => c.model.type !== 'code' || (c.model.executionCount || 0) > 0)
                && p.sessionContext.session.kernel.status === 'idle';
        }""", polling=1000)
        ink = drawn_charts(page, 1)
        assert ink and ink[0] > 0
        # hover the bars until Vega's tooltip shows the source's quote
        box = page.locator(".jp-OutputArea-output .vega-embed canvas, .jp-OutputArea-output .vega-embed svg").first
        box.scroll_into_view_if_needed()
        bounds = box.bounding_box()
        shown = ""
        for fx in (0.3, 0.4, 0.5):
            for fy in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
                page.mouse.move(bounds["x"] + bounds["width"] * fx, bounds["y"] + bounds["height"] * fy)
                page.wait_for_timeout(150)
                tip = page.locator("#vg-tooltip-element")
                if tip.count() and tip.is_visible():
                    shown = tip.inner_text()
                    if "Kutipan" in shown:
                        break
            if "Kutipan" in shown:
                break
        assert "Kutipan" in shown and "Sumber" in shown and "Tanggal data" in shown, shown
        assert_lab_saves_the_paired_script(url, tmp_path / "notebooks")


def assert_lab_saves_the_paired_script(url: str, directory: Path) -> None:
    """A notebook saved through the Lab server gets its percent script beside it (jupytext's contents manager)."""
    base, token = url.split("/lab/")[0], url.split("token=")[1]
    name = "zz_pairing_check"
    nb = {"cells": [{"cell_type": "code", "source": "print('saved in Lab')", "metadata": {}, "outputs": [],
                     "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
    req = urllib.request.Request(f"{base}/api/contents/{name}.ipynb", data=body, method="PUT",
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status in (200, 201)
    assert "# %%\nprint('saved in Lab')" in (directory / f"{name}.py").read_text(encoding="utf-8")


def test_the_region_picker_works_in_the_exported_page_offline(tmp_path, offline_browser):
    """The explore notebook run by the batch and exported: its page inlines Vega for that chart only
    (allowed by the script's hash), loads nothing, and the dropdown redraws the chart."""
    shutil.copytree(ROOT / "data" / "raw", tmp_path / "ws" / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", tmp_path / "ws" / "notebooks")
    (tmp_path / "ws" / "reports.yaml").write_text(
        "runs:\n  - name: explore\n    notebook: notebooks/00_explore.ipynb\n"
        "  - name: region-comparison\n    notebook: notebooks/01_region_comparison.ipynb\n", encoding="utf-8")
    assert run_ktpel(tmp_path / "ws", "build").returncode == 0
    done = run_ktpel(tmp_path / "ws", "report", "--jobs", "1", timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    page_path = next((tmp_path / "ws" / "reports").glob("*/explore.html"))
    html = page_path.read_text(encoding="utf-8")
    assert "script-src 'sha256-" in html and "unsafe-eval" not in html
    assert "<script" not in next(page_path.parent.glob("region-comparison.html")).read_text(encoding="utf-8")
    blocked: list[str] = []
    errors: list[str] = []
    page = screenshot_tool.offline_page(offline_browser, blocked)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.as_uri(), wait_until="load")
    page.wait_for_selector(".ktpel-vega .vega-bindings select", timeout=60_000)
    assert_picker_changes_marks(page, ".ktpel-vega")
    assert blocked == [] and errors == [], (blocked, errors)
    page.context.close()


# --------------------------------------------------------------------------- notebooks are the source


def pair_disagreements(ipynb: Path) -> list[str]:
    """Cells of ``ipynb`` whose type or source differ from its paired percent script's."""
    import jupytext

    script = ipynb.with_suffix(".py")
    if not script.exists():
        return [f"{ipynb.name}: no paired script {script.name}"]
    a = [(c.cell_type, c.source.strip()) for c in jupytext.read(ipynb).cells]
    b = [(c.cell_type, c.source.strip()) for c in jupytext.read(script).cells]
    if len(a) != len(b):
        return [f"{ipynb.name}: {len(a)} cells, {script.name}: {len(b)}"]
    return [f"{ipynb.name} cell {i}: differs from {script.name}" for i, (x, y) in enumerate(zip(a, b)) if x != y]


def test_every_notebook_agrees_with_its_paired_script(tmp_path):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and (ROOT / "notebooks" / "jupytext.toml").exists()
    assert [d for nb in notebooks for d in pair_disagreements(nb)] == []
    assert all(nb.stat().st_size < 1_000_000 for nb in notebooks)  # stored with outputs, still small
    # and the check sees a disagreement
    shutil.copy(notebooks[0], tmp_path / notebooks[0].name)
    script = notebooks[0].with_suffix(".py").read_text(encoding="utf-8")
    (tmp_path / notebooks[0].with_suffix(".py").name).write_text(script + "\n# %%\nprint('only here')\n")
    assert pair_disagreements(tmp_path / notebooks[0].name)


def test_a_cell_added_in_jupyterlab_survives_make_notebooks(tmp_path):
    """An analyst adds cells to a notebook and saves it; `make notebooks` re-executes it in place,
    keeping them (and writes them to the paired script)."""
    import nbformat

    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "data" / "raw", ws / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", ws / "notebooks")
    shutil.copy(ROOT / "Makefile", ws / "Makefile")
    name = "07_kabupaten_kota_spread"
    path = ws / "notebooks" / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("## Catatan analis"))
    nb.cells.append(nbformat.v4.new_code_cell('print("analyst was here", len(spread))'))
    nbformat.write(nb, path)
    later = path.with_suffix(".py").stat().st_mtime + 5
    os.utime(path, (later, later))  # saved after the script, as a save in JupyterLab without jupytext would be
    prefix = Path(sys.prefix)
    done = subprocess.run(["make", "-s", "notebooks", f"VENV={prefix}", "-o", str(prefix / ".installed-stamp"),
                           f"NOTEBOOKS=notebooks/{name}.ipynb"], cwd=ws, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    after = nbformat.read(path, as_version=4)
    assert [c.source for c in after.cells[-2:]] == ["## Catatan analis", 'print("analyst was here", len(spread))']
    printed = "".join(o.get("text", "") for o in after.cells[-1].outputs)
    assert printed.startswith("analyst was here ")
    assert 'print("analyst was here", len(spread))' in path.with_suffix(".py").read_text(encoding="utf-8")
    assert pair_disagreements(path) == []

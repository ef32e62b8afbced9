"""The work floor of a report batch: its notebooks' code executed in one warm interpreter.

No kernel, no Papermill, no notebook written: each planned run's code cells (with the runner's parameters
injected after the ``parameters`` cell) run one after another in one IPython shell (which formats the
displayed values as a kernel does), each run in a fresh user namespace, its working directory and
``KTPEL_PROJECT`` set as the runner sets them.  The modules the notebooks import are imported once first
and timed apart, so the figures are:

    imports    seconds to import what the notebooks import (paid once per process)
    work       seconds of each run's code, imports already paid

A batch on ``jobs`` cores cannot take less than ``imports + sum(work) / jobs``; ``tools/bench.py`` divides
the batch's wall time by that.  With ``--export``, the same for the exports of the batch that the runs
left in ``reports/<snapshot>/`` (``helpers.export.build.export_batch`` in this process, all reports).

    .venv/bin/python tools/work_floor.py [--project DIR] [--snapshot ID] [--only NAME ...] [--export] [--json]
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import io
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


#: Run with the imports: vl-convert's first rendering starts its JavaScript engine, a cost paid once per
#: process like an import (in the batch, once per kernel), so it is not counted as any run's work.
WARM_UP = ("from helpers.analysis.charts import to_svg as _warm\n"
           "_warm({'mark': 'point', 'data': {'values': [{'x': 1}]}, 'encoding': {'x': {'field': 'x', 'type': 'quantitative'}}})")


def code_cells(notebook: Path, parameters: dict[str, Any]) -> list[str]:
    """The notebook's code cells, with ``parameters`` assigned right after its ``parameters`` cell."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    cells: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cells.append(cell.source)
        if "parameters" in cell.metadata.get("tags", []):
            cells.append("\n".join(f"{key} = {value!r}" for key, value in parameters.items()))
    return cells


def imported_modules(sources: Sequence[str]) -> list[str]:
    """Top-level ``import`` / ``from ... import`` statements of ``sources``, as code, first seen first."""
    found: dict[str, None] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found[ast.unparse(node)] = None
    return list(found)


@contextlib.contextmanager
def run_context(cwd: Path, env: dict[str, str]) -> Iterator[None]:
    previous_cwd, previous_env = Path.cwd(), {k: os.environ.get(k) for k in env}
    os.chdir(cwd)
    os.environ.update(env)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        for key, value in previous_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def shell() -> Any:
    """An IPython shell whose display output (every mime type formatted, as in a kernel) is discarded."""
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def execute(sh: Any, cells: Sequence[str]) -> None:
    for source in cells:
        with contextlib.redirect_stdout(io.StringIO()):
            result = sh.run_cell(source, store_history=False)
        if not result.success:
            raise SystemExit(f"work_floor: a cell failed: {result.error_in_exec or result.error_before_exec}\n{source}")


def planned(project_root: Path, snapshot: str, only: Sequence[str]) -> tuple[str, list[tuple[str, Path, dict[str, Any]]]]:
    """The snapshot id and (name, notebook, parameters) of each run ``ktpel report`` would make."""
    from helpers.batch.config import load_config
    from helpers.batch.plan import grid_sources, plan
    from helpers.project import Project
    from helpers.snapshot import resolve

    project = Project(project_root)
    sid, _ = resolve(project, snapshot)
    runs = plan(project, load_config(project, None, grid_sources(project, sid)), sid, only=only)
    return sid, [(r.name, r.notebook.path.resolve(), r.parameters) for r in runs]


def work_floor(project_root: Path, snapshot: str = "latest", only: Sequence[str] = ()) -> dict[str, Any]:
    """``{"imports": s, "work": {name: s}, "runs": n}`` for the batch of ``project_root``."""
    sid, runs = planned(project_root, snapshot, only)
    cells = {name: code_cells(nb, params) for name, nb, params in runs}
    env = {"KTPEL_PROJECT": str(project_root.resolve())}
    sh = shell()
    t0 = time.perf_counter()
    with run_context(project_root, env):
        execute(sh, imported_modules([c for run in cells.values() for c in run]) + [WARM_UP])
        gc.collect()  # as the runner's zygote does after its imports (helpers.batch.kernels.serve)
        gc.freeze()
    imports = time.perf_counter() - t0
    work: dict[str, float] = {}
    for name, notebook, _ in runs:
        sh.reset(new_session=False)
        with run_context(notebook.parent, env):
            t0 = time.perf_counter()
            execute(sh, cells[name])
            work[name] = time.perf_counter() - t0
    return {"snapshot": sid, "runs": len(runs), "imports": imports, "work": work, "work_total": sum(work.values())}


def export_floor(project_root: Path, snapshot: str = "latest") -> dict[str, Any]:
    """``{"imports": s, "work": s}`` of exporting every report of the batch in this one process."""
    t0 = time.perf_counter()
    from helpers.export.build import export_batch
    from helpers.export.render import _vlc
    from helpers.project import Project

    _vlc()
    imports = time.perf_counter() - t0
    t0 = time.perf_counter()
    export_batch(Project(project_root), snapshot)
    return {"imports": imports, "work": time.perf_counter() - t0}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--snapshot", default="latest")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--export", action="store_true", help="the exports' floor instead (after a batch ran)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    result = export_floor(args.project, args.snapshot) if args.export else work_floor(args.project, args.snapshot,
                                                                                       args.only)
    if args.json:
        print(json.dumps(result))
    elif args.export:
        print(f"imports {result['imports']:.2f} s, export of the batch {result['work']:.2f} s")
    else:
        for name, seconds in result["work"].items():
            print(f"{name:40} {seconds:6.2f} s")
        print(f"imports {result['imports']:.2f} s, work {result['work_total']:.2f} s ({result['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

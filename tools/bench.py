"""`make bench`: how fast report batches are, as ratios measured side by side in one run.

Everything runs in throw-away copies of this workspace (the repository's own data/processed/ and
reports/ are never touched); the figures go to bench/results.json and are printed as a table.

    batch_over_floor           batch wall time / ((runs / jobs) x one empty notebook through `papermill`)
    speedup_vs_sequential      the same runs as a cron loop of `papermill` commands / our batch
    noop_over_full             re-running the unchanged batch / the full batch (both with exports)
    build_over_duckdb          `ktpel build` with a bulk table / DuckDB alone loading the same file
    build_peak_mb              peak resident memory of that build
    notebook_large_over_small  a notebook on the big snapshot / the same notebook on the seed snapshot
    largest_notebook_kb        the largest executed notebook of all those runs

    .venv/bin/python tools/bench.py [--rows 10000000] [--jobs N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GOALS = {"batch_over_floor": ("<=", 1.5), "speedup_vs_sequential": (">=", 2.5), "noop_over_full": ("<=", 0.05),
         "build_over_duckdb": ("<=", 2.0), "build_peak_mb": ("<", 2048), "notebook_large_over_small": ("<=", 1.5),
         "largest_notebook_kb": ("<", 1024)}
#: The notebook timed on the small and the large snapshot: it aggregates every kabupaten/kota.
SCALE_NOTEBOOK = "notebooks/07_kabupaten_kota_spread.ipynb"


def run(args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Wall seconds of a command, which must succeed."""
    t0 = time.perf_counter()
    done = subprocess.run(list(args), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, args[:4]))} ... failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return seconds


def best(times: list[float]) -> float:
    """The median of repeated timings (robust against one slow outlier)."""
    return statistics.median(times)


def workspace(base: Path, name: str) -> Path:
    """A copy of this workspace's raw layer, notebooks and batch config."""
    root = base / name
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(ROOT / "reports.yaml", root / "reports.yaml")
    return root


def ktpel(root: Path, *args: str) -> float:
    return run([str(BIN / "ktpel"), "--project", str(root), *args])


def empty_notebook(path: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
    nb.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
                       language_info={"name": "python"})
    nbformat.write(nb, path)
    return path


def batch_runs(root: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, notebook, parameters) of every run of the batch, as `ktpel report` plans them."""
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.batch.config import load_config
    from helpers.batch.plan import plan
    from helpers.project import Project
    from helpers.snapshot import resolve

    project = Project(root)
    sid, _ = resolve(project)
    return [(r.name, str(r.notebook.path), r.parameters) for r in plan(project, load_config(project), sid)]


def papermill(notebook: str, out: Path, parameters: dict[str, Any], cwd: Path, root: Path) -> float:
    args = [str(BIN / "papermill"), notebook, str(out), "-k", "python3", "--no-progress-bar", "--cwd", str(cwd)]
    for key, value in parameters.items():
        args += ["-y", json.dumps({key: value})]
    return run(args, env={"KTPEL_PROJECT": str(root)})


def peak_build(root: Path) -> tuple[float, float]:
    """(seconds, peak MB) of `ktpel build` in a fresh process."""
    code = ("import resource, sys, time; from helpers.cli import main; t = time.perf_counter(); "
            f"rc = main(['--project', {str(root)!r}, 'build']); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: build failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    seconds, peak = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(peak)


def duckdb_alone(table: Path, db: Path) -> float:
    """DuckDB loading the bulk file into a table of a file database, nothing else."""
    code = ("import duckdb, sys, time; t = time.perf_counter(); con = duckdb.connect(sys.argv[1]); "
            "con.execute('SET enable_progress_bar = false'); reader = 'read_parquet' if sys.argv[2].endswith('.parquet') else 'read_csv'; "
            "con.execute(f\"CREATE TABLE t AS SELECT * FROM {reader}('{sys.argv[2]}')\"); con.close(); "
            "print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code, str(db), str(table)], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def notebook_size_kb(directory: Path) -> float:
    return max((p.stat().st_size for p in directory.rglob("*.ipynb")), default=0) / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the synthetic bulk table")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=3, help="timings of the short measurements")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ktpel-bench-") as tmp:
        base = Path(tmp)
        small = workspace(base, "small")
        ktpel(small, "build")
        runs = batch_runs(small)
        print(f"batch: {len(runs)} runs, {args.jobs} jobs", flush=True)

        empty = empty_notebook(base / "empty.ipynb")
        floor_one = best([papermill(str(empty), base / "empty-out.ipynb", {}, base, small) for _ in range(args.repeat)])
        floor = len(runs) / args.jobs * floor_one
        ktpel(small, "report", "--no-export", "--jobs", str(args.jobs))  # warm the OS caches once
        batch = best([ktpel(small, "report", "--force", "--no-export", "--jobs", str(args.jobs))
                      for _ in range(args.repeat)])
        print(f"empty notebook {floor_one:.2f} s, batch {batch:.2f} s", flush=True)

        cron = base / "cron"
        cron.mkdir()
        sequential = sum(papermill(nb, cron / f"{name}.ipynb", params, Path(nb).parent, small)
                         for name, nb, params in runs)
        print(f"sequential papermill commands {sequential:.2f} s", flush=True)

        full = best([ktpel(small, "report", "--force", "--jobs", str(args.jobs)) for _ in range(args.repeat)])
        noop = best([ktpel(small, "report", "--jobs", str(args.jobs)) for _ in range(args.repeat)])
        print(f"full batch with exports {full:.2f} s, unchanged batch {noop:.2f} s", flush=True)

        large = workspace(base, "large")
        ktpel(large, "synth", "--rows", str(args.rows), "--format", "csv")
        table = next((large / "data" / "raw" / "bulk").glob("synthetic.*"))
        builds, alone = [], []
        for i in range(args.repeat):  # interleaved, so that both see the same machine
            shutil.rmtree(large / "data" / "processed", ignore_errors=True)
            builds.append(peak_build(large))
            alone.append(duckdb_alone(table, base / f"duckdb-alone-{i}.duckdb"))
            (base / f"duckdb-alone-{i}.duckdb").unlink()
        build_s, peak_mb = best([s for s, _ in builds]), max(mb for _, mb in builds)
        duck_s = best(alone)
        print(f"build of {args.rows} rows {build_s:.2f} s (peak {peak_mb:.0f} MB), DuckDB alone {duck_s:.2f} s",
              flush=True)

        runs_of: dict[str, list[float]] = {"small": [], "large": []}
        for i in range(args.repeat):  # interleaved, so that both see the same machine
            for label, root in (("small", small), ("large", large)):
                out = base / f"scale-{label}"
                out.mkdir(exist_ok=True)
                runs_of[label].append(papermill(str(root / SCALE_NOTEBOOK), out / f"run{i}.ipynb", {},
                                                root / "notebooks", root))
        times = {label: best(values) for label, values in runs_of.items()}
        print(f"{SCALE_NOTEBOOK}: seed snapshot {times['small']:.2f} s, {args.rows} rows {times['large']:.2f} s",
              flush=True)
        largest = max(notebook_size_kb(base / "scale-large"), notebook_size_kb(small / "reports"),
                      notebook_size_kb(base / "scale-small"))

    results = {
        "batch_over_floor": batch / floor,
        "speedup_vs_sequential": sequential / batch,
        "noop_over_full": noop / full,
        "build_over_duckdb": build_s / duck_s,
        "build_peak_mb": peak_mb,
        "notebook_large_over_small": times["large"] / times["small"],
        "largest_notebook_kb": largest,
    }
    measured = {"runs": len(runs), "jobs": args.jobs, "empty_notebook_s": floor_one, "batch_s": batch,
                "sequential_s": sequential, "full_with_exports_s": full, "noop_s": noop, "rows": args.rows,
                "build_s": build_s, "duckdb_load_s": duck_s, "notebook_small_s": times["small"],
                "notebook_large_s": times["large"]}
    ok = {k: (v <= goal if op == "<=" else v >= goal if op == ">=" else v < goal)
          for k, v in results.items() for op, goal in [GOALS[k]]}
    machine = {"python": platform.python_version(), "cores": len(os.sched_getaffinity(0)),
               "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}
    report = {"figures": results, "goals": {k: f"{op} {g}" for k, (op, g) in GOALS.items()}, "met": ok,
              "measured_seconds": measured, "machine": machine, "date": time.strftime("%Y-%m-%d")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\n{'figure':27} {'value':>9}  {'goal':>8}  met")
    for key, value in results.items():
        op, goal = GOALS[key]
        print(f"{key:27} {value:9.3f}  {op + ' ' + str(goal):>8}  {'yes' if ok[key] else 'NO'}")
    print(f"\nwritten to {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out.name}")
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

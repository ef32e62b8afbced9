"""`make bench`: how fast report batches are, as ratios measured side by side in one run.

Everything runs in throw-away copies of this workspace (the repository's own data/processed/ and
reports/ are never touched); the figures go to bench/results.json and are printed as a table.

    batch_over_work_floor      batch wall time (no exports) / (imports + work / jobs), where imports and
                               work come from tools/work_floor.py (the runs' code in one warm interpreter)
    export_over_work_floor     what the exports add to the batch (full batch - batch without exports) /
                               (export imports + export work / jobs), tools/work_floor.py --export
    speedup_vs_sequential      the same runs as a cron loop of `papermill` commands / our batch
    batch_over_floor           batch wall time / ((runs / jobs) x one empty notebook through `papermill`)
    noop_over_full             re-running the unchanged batch / the full batch (both with exports)
    build_over_duckdb          `ktpel build` with a bulk table / DuckDB alone loading the same file
    build_peak_mb              peak resident memory of that build
    notebook_large_over_small  a notebook on the big snapshot / the same notebook on the seed snapshot
    largest_notebook_kb        the largest executed notebook of all those runs
  with --national (a profile for each of the 514 kabupaten/kota, bulk table of 514 x 120 months):
    national_batch_over_work_floor   as batch_over_work_floor, for that batch (no exports)
    national_growth            its wall time per run / the default batch's wall time per run

The work floor, the batch, the cron loop, the full batch and the export floor are measured in turns
(interleaved, --repeat rounds) and each figure is the median, because a virtual machine's speed drifts.

    .venv/bin/python tools/bench.py [--rows 10000000] [--jobs N] [--repeat 3] [--national]
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
GOALS = {"batch_over_work_floor": ("<=", 1.5), "export_over_work_floor": ("<=", 1.5),
         "speedup_vs_sequential": (">=", 5.0), "batch_over_floor": ("<=", 1.5), "noop_over_full": ("<=", 0.05),
         "build_over_duckdb": ("<=", 2.0), "build_peak_mb": ("<", 2048), "notebook_large_over_small": ("<=", 1.5),
         "largest_notebook_kb": ("<", 1024), "national_batch_over_work_floor": ("<=", 1.5),
         "national_growth": ("<=", 1.2)}
#: reports.yaml of the national batch: the region profile of every kabupaten/kota of the snapshot.
NATIONAL_CONFIG = """\
runs:
  - name: profile-{region}
    notebook: notebooks/06_region_profile.ipynb
    grid: {region: {kabupaten_kota_of: all}}
"""
#: The notebook timed on the small and the large snapshot: it aggregates every kabupaten/kota.
SCALE_NOTEBOOK = "notebooks/07_kabupaten_kota_spread.ipynb"


#: The stdout of the last command :func:`run` ran.
LAST_OUTPUT = [""]


def run(args: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Wall seconds of a command, which must succeed."""
    t0 = time.perf_counter()
    done = subprocess.run(list(args), cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    LAST_OUTPUT[0] = done.stdout
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
    from helpers.batch.plan import grid_sources, plan
    from helpers.project import Project
    from helpers.snapshot import resolve

    project = Project(root)
    sid, _ = resolve(project)
    config = load_config(project, None, grid_sources(project, sid))
    return [(r.name, str(r.notebook.path), r.parameters) for r in plan(project, config, sid)]


def kabupaten_codes(root: Path) -> list[str]:
    import csv

    with open(root / "data" / "raw" / "regions.csv", encoding="utf-8-sig", newline="") as fh:
        return sorted(r["code"] for r in csv.DictReader(fh) if r["level"] in ("kabupaten", "kota"))


def phase_line(output: str) -> str:
    """The batch summary's line saying where each run's time went."""
    return next((line for line in output.splitlines() if line.startswith("seconds per run")), "")


def work_floor(root: Path, *extra: str) -> dict[str, Any]:
    """tools/work_floor.py on the workspace ``root`` (a fresh process), its JSON figures."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "work_floor.py"), "--project", str(root), "--json",
                           *extra], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if done.returncode != 0:
        raise SystemExit(f"bench: work_floor.py {' '.join(extra)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


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


def national_batch(base: Path, jobs: int, default_per_run: float, kabupaten: int = 514) -> dict[str, float]:
    """The region profile of every kabupaten/kota on a snapshot with a bulk table of 514 x 120 months
    (``ktpel synth --regions kemendagri``): its batch (no exports, once) against its work floor."""
    root = workspace(base, "national")
    (root / "reports.yaml").write_text(NATIONAL_CONFIG, encoding="utf-8")
    ktpel(root, "synth", "--regions", "kemendagri", "--kabupaten", "514", "--months", "120")
    if kabupaten < 514:  # a shorter trial: the grid of the provinces that hold the first `kabupaten`
        (root / "reports.yaml").write_text(NATIONAL_CONFIG.replace(
            "all", "[" + ", ".join(sorted({c.split(".")[0] for c in kabupaten_codes(root)[:kabupaten]})) + "]"))
    ktpel(root, "build")
    runs = len(batch_runs(root))
    floor_run = work_floor(root)
    wall = ktpel(root, "report", "--force", "--no-export", "--jobs", str(jobs))
    print(f"national batch, {phase_line(LAST_OUTPUT[0])}", flush=True)
    floor_s = floor_run["imports"] + floor_run["work_total"] / jobs
    print(f"national batch: {runs} runs in {wall:.1f} s ({wall / runs:.2f} s per run), work floor {floor_s:.1f} s",
          flush=True)
    return {"runs": runs, "batch_s": wall, "work_floor_s": floor_s, "imports_s": floor_run["imports"],
            "work_s": floor_run["work_total"], "national_batch_over_work_floor": wall / floor_s,
            "national_growth": (wall / runs) / default_per_run}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the synthetic bulk table")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeat", type=int, default=3, help="timings of the short measurements")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--kabupaten", type=int, default=514,
                        help="with --national: only the provinces of the first N kabupaten/kota (a shorter trial)")
    parser.add_argument("--national", action="store_true",
                        help="also the national batch: a profile for each of the 514 kabupaten/kota (several minutes)")
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
        ktpel(small, "report", "--jobs", str(args.jobs))  # warm the OS caches once
        cron = base / "cron"
        cron.mkdir()
        rounds: dict[str, list[float]] = {k: [] for k in ("imports", "work", "batch", "sequential", "full", "export_added",
                                                           "export_imports", "export_work", "noop")}
        for i in range(args.repeat):  # interleaved, so that all see the same machine
            floor_run = work_floor(small)
            rounds["imports"].append(floor_run["imports"])
            rounds["work"].append(floor_run["work_total"])
            rounds["batch"].append(ktpel(small, "report", "--force", "--no-export", "--jobs", str(args.jobs)))
            phases = phase_line(LAST_OUTPUT[0])
            rounds["sequential"].append(sum(papermill(nb, cron / f"{name}.ipynb", params, Path(nb).parent, small)
                                            for name, nb, params in runs))
            rounds["full"].append(ktpel(small, "report", "--force", "--jobs", str(args.jobs)))
            rounds["export_added"].append(rounds["full"][-1] - rounds["batch"][-1])
            export_run = work_floor(small, "--export")
            rounds["export_imports"].append(export_run["imports"])
            rounds["export_work"].append(export_run["work"])
            rounds["noop"].append(ktpel(small, "report", "--jobs", str(args.jobs)))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in rounds.items()) + " (s)", flush=True)
        med = {k: best(v) for k, v in rounds.items()}
        batch, sequential, full, noop = med["batch"], med["sequential"], med["full"], med["noop"]
        work_floor_s = med["imports"] + med["work"] / args.jobs
        export_floor_s = med["export_imports"] + med["export_work"] / args.jobs
        print(f"last batch, {phases}", flush=True)
        print(f"empty notebook {floor_one:.2f} s, batch {batch:.2f} s, work floor {work_floor_s:.2f} s, "
              f"sequential papermill commands {sequential:.2f} s, full batch {full:.2f} s (exports add "
              f"{med['export_added']:.2f} s, their floor {export_floor_s:.2f} s), unchanged batch {noop:.2f} s",
              flush=True)

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

        national: dict[str, float] = {}
        if args.national:
            national = national_batch(base, args.jobs, batch / len(runs), args.kabupaten)

    results = {
        "batch_over_work_floor": batch / work_floor_s,
        "export_over_work_floor": med["export_added"] / export_floor_s,
        "speedup_vs_sequential": best([q / b for q, b in zip(rounds["sequential"], rounds["batch"])]),
        "batch_over_floor": batch / floor,
        "noop_over_full": noop / full,
        "build_over_duckdb": build_s / duck_s,
        "build_peak_mb": peak_mb,
        "notebook_large_over_small": times["large"] / times["small"],
        "largest_notebook_kb": largest,
        **{k: v for k, v in national.items() if k in GOALS},
    }
    measured = {"runs": len(runs), "jobs": args.jobs, "repeat": args.repeat, "empty_notebook_s": floor_one,
                "batch_s": batch, "work_floor_s": work_floor_s, "imports_s": med["imports"], "work_s": med["work"],
                "export_added_s": med["export_added"], "export_floor_s": export_floor_s,
                "rounds": rounds, "national": national, "batch_phases": phases,
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

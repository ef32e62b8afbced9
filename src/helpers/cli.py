"""``ktpel``: one command over the workspace, and the only module that knows argparse.

    ktpel check | build | snapshots | facts | diff A B | report | export | synth | propose FILE | accept

Each verb is a ``cmd_<verb>(project, args)`` function registered in :func:`build_parser`; the work
itself lives in the stage subpackages (raw, snapshot, batch, export), imported when the verb runs.

Every command works on the project in the current directory, or the one
given with ``--project DIR``.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from helpers.problems import StorageError, UsageError, ValidationFailed
from helpers.project import Project, find_project
from helpers.rows import print_rows

FACT_EXPORT_COLUMNS = ["region_code", "region_name", "region_level", "metric", "value", "unit", "qualifier", "as_of",
                       "as_of_precision", "kind", "source_id", "quote"]


def cmd_check(project: Project, args: argparse.Namespace) -> int:
    from helpers.raw.facts import load_raw_layer

    raw = load_raw_layer(project)
    print(f"ok: {len(raw.facts)} facts, {len(raw.targets)} targets, {len(raw.sources)} sources, "
          f"{len(raw.regions)} regions, {len(raw.metrics)} metrics")
    return 0


def cmd_build(project: Project, args: argparse.Namespace) -> int:
    from helpers.snapshot import build

    result = build(project)
    state = "built" if result.created else "up to date (inputs unchanged), reused"
    c = result.counts
    print(f"snapshot {result.snapshot_id} {state}: {project.rel(result.path)} "
          f"({c['facts']} facts, {c['derived']} derived, {c['disagreements']} stated/derived disagreements)")
    return 0


def cmd_snapshots(project: Project, args: argparse.Namespace) -> int:
    from helpers.snapshot import catalog_status, iter_catalog_lines, read_catalog

    problem = catalog_status(project)[1]
    if problem:
        print(f"ktpel snapshots: {problem}; listed from the snapshot files (the next `ktpel build` rewrites it)",
              file=sys.stderr)
    if args.format == "json":
        print(json.dumps(read_catalog(project), indent=2))
    else:
        for line in iter_catalog_lines(project):
            print(line)
    return 0


def cmd_facts(project: Project, args: argparse.Namespace) -> int:
    from helpers.snapshot import connect

    con = connect(project, args.snapshot)
    try:
        # value with the decimals the source wrote (100.10, not 100.1); as_of at its precision (2024-10)
        select = {"value": "printf('%.' || decimals || 'f', value)", "as_of": "as_of_text"}
        cur = con.execute(f"SELECT {', '.join(select.get(c, c) for c in FACT_EXPORT_COLUMNS)} FROM facts_labeled "
                          "ORDER BY region_code, metric, as_of NULLS FIRST, kind DESC, source_id")
        rows = [dict(zip(FACT_EXPORT_COLUMNS, r)) for r in cur.fetchall()]
    finally:
        con.close()
    print_rows(rows, FACT_EXPORT_COLUMNS, args.format)
    return 0


def cmd_diff(project: Project, args: argparse.Namespace) -> int:
    from helpers.snapshot import diff

    rows = diff(project, args.a, args.b)
    columns = ["change", "source_id", "region_code", "metric", "as_of", "kind", "old_value", "new_value"]
    if not rows:
        print(f"no differences between {args.a} and {args.b}")
        return 0
    print_rows(rows, columns, args.format)
    return 0


def cmd_export(project: Project, args: argparse.Namespace) -> int:
    from helpers.export.build import export_batch
    from helpers.export.model import ExportError

    started = time.perf_counter()
    try:
        result = export_batch(project, args.snapshot, args.only or None)
    except ExportError as exc:
        print(f"ktpel: {exc}", file=sys.stderr)
        return 2
    for line in result.relative(project):
        print(line)
    for line in result.skipped:
        print(f"skipped: {line}")
    print(f"exported snapshot {result.snapshot_id}: {len(result.written)} files in "
          f"{time.perf_counter() - started:.1f} s")
    return 0


class _Stopped(BaseException):
    """SIGTERM (or SIGHUP) received: unwinds ``ktpel report`` like Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_on_signal(signum: int, frame: Any) -> None:
    for held in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # once: the clean-up is not interrupted again
        signal.signal(held, signal.SIG_IGN)
    raise KeyboardInterrupt if signum == signal.SIGINT else _Stopped(signum)


def cmd_report(project: Project, args: argparse.Namespace) -> int:
    """Run the batch; Ctrl-C, SIGTERM and SIGHUP stop it: the runs in progress end with their workers, the
    previous outputs stay, one line says so, and the exit code is 128 + the signal (130, 143, 129)."""
    if threading.current_thread() is threading.main_thread():  # only there can Python handle signals
        for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop, _stop_on_signal)
    try:
        return _report(project, args)
    except (KeyboardInterrupt, _Stopped) as exc:
        signum = exc.signum if isinstance(exc, _Stopped) else signal.SIGINT
        print(f"ktpel report: stopped by {signal.Signals(signum).name}; runs in progress were abandoned, "
              "previous outputs are kept (run it again to finish)", file=sys.stderr, flush=True)
        return 128 + signum


def _report(project: Project, args: argparse.Namespace) -> int:
    from helpers.batch.config import parse_overrides
    from helpers.batch.executors import EXECUTORS
    from helpers.batch.run import run_batch
    from helpers.export.stamp import EXPORT_RUN, export_after_batch

    overrides = parse_overrides(args.parameters)
    if args.executor == "dask" and not args.scheduler:
        raise UsageError("--executor dask needs --scheduler ADDRESS, the Dask scheduler to run on "
                         "(e.g. --scheduler tcp://scheduler-host:8786)")
    if args.scheduler and args.executor != "dask":
        raise UsageError(f"--scheduler is only used with --executor dask (not --executor {args.executor})")
    options = {"scheduler": args.scheduler} if args.executor == "dask" else {}
    executor = None if args.executor == "local" else EXECUTORS[args.executor](jobs=args.jobs, **options)
    results = run_batch(project, args.snapshot, config=args.config, only=args.only, overrides=overrides,
                        jobs=args.jobs, force=args.force, executor=executor, start_timeout=args.start_timeout,
                        kernel_start=args.kernel_start, after=EXPORT_RUN if args.export else None, zygote=args.zygote,
                        kernel_reuse=args.kernel_reuse)
    if args.export:
        export_after_batch(project, results)
    return 1 if any(r.status == "failed" for r in results) else 0


def cmd_synth(project: Project, args: argparse.Namespace) -> int:
    from helpers.raw.bulk import bulk_dir, regions_file
    from helpers.snapshot.synth import synth

    out = Path(args.out) if args.out else bulk_dir(project) / f"synthetic.{args.format}"
    if not out.is_absolute():
        out = project.root / out
    try:
        rows, regions = synth(project, out, args.kabupaten, args.months, args.metrics, args.rows, args.format,
                              args.seed, args.regions)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.regions == "kemendagri":
        print(f"wrote {rows} synthetic rows to {project.rel(out)} for {regions} kabupaten/kota of regions.csv")
    else:
        print(f"wrote {rows} synthetic rows to {project.rel(out)} and {regions} regions to "
              f"{project.rel(regions_file(project))}")
    if out.parent.resolve() != bulk_dir(project).resolve():
        print(f"note: builds read bulk tables from {project.rel(bulk_dir(project))}/ only")
    return 0


def cmd_propose(project: Project, args: argparse.Namespace) -> int:
    from helpers.intake import add_source, added_lines, propose_file
    from helpers.raw.articles import parse_published
    from helpers.raw.propose import COLUMNS

    today = date.today()
    try:
        published = parse_published(args.published, today)
    except ValueError as exc:
        raise UsageError(f"--published: {exc}") from None
    article = Path(args.file)
    if not args.add:
        if args.source_id or args.title or args.publisher or args.url or args.excerpt:
            raise UsageError("--source-id, --title, --publisher, --url and --excerpt are for --add")
        candidates, notes = propose_file(project, article, published)
        print_rows([c.row() for c in candidates], COLUMNS, args.format)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        return 0
    missing = [flag for flag, value in (("--source-id", args.source_id), ("--title", args.title),
                                        ("--publisher", args.publisher)) if not value]
    if missing:
        raise UsageError(f"--add needs {', '.join(missing)}")
    added = add_source(project, article, published, args.source_id, args.title, args.publisher, args.url,
                       args.excerpt, today)
    for line in added_lines(project, added):
        print(line)
    return 0


def cmd_accept(project: Project, args: argparse.Namespace) -> int:
    from helpers.intake import accept, accepted_line

    print(accepted_line(project, *accept(project)))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


#: ``ktpel report --jobs``: at most this many notebooks at once (each is a worker and a kernel).
MAX_JOBS = 256
#: ``ktpel report --start-timeout``: at most an hour.
MAX_START_TIMEOUT = 3600.0


def _jobs(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_JOBS} notebooks at once")
    return value


def _start_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_START_TIMEOUT):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0 and at most "
                                         f"{MAX_START_TIMEOUT:.0f}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ktpel", description="KTP-el coverage workspace: validate sources, "
                                     "build DuckDB snapshots, run and export reports.")
    parser.add_argument("--project", type=Path, default=None,
                        help="workspace directory (default: the current directory or the nearest one above it)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("check", help="validate the raw layer without writing anything").set_defaults(func=cmd_check)
    sub.add_parser("build", help="validate and write an immutable snapshot").set_defaults(func=cmd_build)
    p = sub.add_parser("snapshots", help="list the snapshots of the catalog")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=cmd_snapshots)
    p = sub.add_parser("facts", help="print every fact of a snapshot with its quote")
    p.add_argument("--snapshot", default="latest", help="'latest' (default) or a snapshot id")
    p.add_argument("--format", choices=["csv", "json", "table"], default="table")
    p.set_defaults(func=cmd_facts)
    p = sub.add_parser("diff", help="facts added, removed and changed between two snapshots")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--format", choices=["csv", "json", "table"], default="table")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("export", help="export a report batch: offline HTML, chart PNG/SVG/PDF, slide deck, index")
    p.add_argument("--snapshot", default="latest", help="'latest' (default) or a snapshot id: exports reports/<id>/")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="only these reports (notebook names in the batch, without .ipynb); the index and the "
                        "slide decks still cover the whole batch")
    p.set_defaults(func=cmd_export)
    _add_report(sub)
    _add_synth(sub)
    _add_propose(sub)
    return parser


def _add_report(sub: Any) -> None:
    from helpers.batch.config import CONFIG_NAME, KERNEL_STARTS
    from helpers.batch.executors import EXECUTORS, default_jobs, default_kernel_start

    p = sub.add_parser(
        "report", help="run the report notebooks of reports.yaml with Papermill",
        description="Run every run of reports.yaml (or those named with --only) on a snapshot with Papermill, "
                    "into reports/<snapshot_id>/<name>.ipynb, several at once; runs whose notebook, helpers, "
                    "parameters and snapshot are unchanged are skipped as up to date.",
        epilog="examples:  ktpel report  |  ktpel report --only profile-batam -p lang=en  |  "
               "ktpel report -p regions='[\"Batam\", \"64\"]' --only region-comparison --force")
    p.add_argument("--snapshot", default="latest", help="'latest' (default) or a snapshot id")
    p.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME", help="run only these runs")
    p.add_argument("-p", "--parameter", dest="parameters", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter for every run, VALUE read as YAML (repeatable; wins over reports.yaml)")
    p.add_argument("-j", "--jobs", type=_jobs, default=None,
                   help=f"notebooks run at once (default: the number of cores, here {default_jobs()})")
    p.add_argument("--force", action="store_true", help="re-run runs that are up to date")
    p.add_argument("--no-export", dest="export", action="store_false",
                   help="skip the exports (HTML, chart files, slides, index); `ktpel export` makes them later")
    p.add_argument("--config", type=Path, default=None, help=f"the runs file (default: {CONFIG_NAME} at the project root)")
    p.add_argument("--executor", choices=sorted(EXECUTORS), default="local", help="where runs execute (default: local)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --executor dask: the Dask scheduler, e.g. tcp://scheduler-host:8786 (the workers "
                        "need this package and the project at the same path)")
    p.add_argument("--start-timeout", type=_start_timeout, default=60.0, metavar="SECONDS",
                   help="how long a kernel may take to start before the run is retried once (default: 60)")
    p.add_argument("--no-kernel-reuse", dest="kernel_reuse", action="store_false",
                   help="a fresh kernel for every run (default: a worker reuses the kernel of its last good run, "
                        "reset to a fresh kernel's state; see helpers/batch/warm.py)")
    p.add_argument("--kernel-start", choices=KERNEL_STARTS, default=default_kernel_start(),
                   help="fork each kernel from a worker's warm process that has imported pandas, Altair, DuckDB and "
                        f"the helpers once, or spawn a new Python per run as Papermill does (default here: "
                        f"{default_kernel_start()})")
    p.set_defaults(func=cmd_report)


def _add_synth(sub: Any) -> None:
    p = sub.add_parser("synth", help="write a synthetic bulk table (run it in a COPY of the workspace: "
                                     "ktpel --project COPY synth ...)",
                       description="Write a deterministic synthetic bulk table to data/raw/bulk/ and its "
                                   "synthetic regions (codes 01-09.xx, never Kemendagri codes) to "
                                   "data/raw/bulk/regions.csv. Meant for a copy of the workspace.")
    p.add_argument("--kabupaten", type=int, default=514, help="synthetic kabupaten (default 514, at most 891)")
    p.add_argument("--months", type=int, default=120, help="monthly figures ending 2024-12-31 (default 120)")
    p.add_argument("--metrics", type=int, default=8, help="metrics of metrics.csv to fill (default 8)")
    p.add_argument("--rows", type=int, default=None, help="exactly this many rows (adds months as needed)")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--regions", choices=["synthetic", "kemendagri"], default="synthetic",
                   help="synthetic regions (default), or the first --kabupaten kabupaten/kota of regions.csv")
    p.add_argument("--out", default=None, help="output file (default data/raw/bulk/synthetic.csv or .parquet)")
    p.set_defaults(func=cmd_synth)


def _add_propose(sub: Any) -> None:
    p = sub.add_parser(
        "propose", help="propose facts from an article's text (prints them; --add stores the source for review)",
        description="Read an article (UTF-8 text) and print one candidate fact per figure: region, metric, value, "
                    "unit, qualifier, as_of, quote, confidence and the reason for each. Changes nothing unless "
                    "--add is given.",
        epilog="example:  ktpel propose article.txt --published 2024-06-21  |  ktpel propose article.txt "
               "--published 2024-06-21 --add --source-id kaltim-2024-06-x --title 'Headline' --publisher 'ANTARA'")
    p.add_argument("file", help="the article as a UTF-8 text file")
    p.add_argument("--published", required=True, metavar="YYYY-MM-DD",
                   help="publication date (YYYY-MM-DD; YYYY-MM, YYYY or 'unknown' if that is all the page says)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--add", action="store_true", help="store the text under data/raw/sources/, add its sources.yaml "
                   "entry and write the candidates to data/raw/facts.proposed.csv for review")
    p.add_argument("--source-id", help="with --add: the new source's id (lower-case, digits, '-')")
    p.add_argument("--title", help="with --add: the headline")
    p.add_argument("--publisher", help="with --add: the outlet or office")
    p.add_argument("--url", help="with --add: the page's address")
    p.add_argument("--excerpt", action="store_true",
                   help="with --add: the text holds only the passages with figures, not the whole article")
    p.set_defaults(func=cmd_propose)
    sub.add_parser("accept", help="move the keep=yes rows of data/raw/facts.proposed.csv into facts.csv, "
                   "validated like a build").set_defaults(func=cmd_accept)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.zygote = _early_zygote(args)
    from helpers.snapshot import SnapshotNotFound

    try:
        project = find_project(args.project)
        return int(args.func(project, args) or 0)
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"ktpel: {len(exc.problems)} problem(s) found; nothing was written", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"ktpel {args.command}: {exc}", file=sys.stderr)
        return 2
    except (SnapshotNotFound, FileNotFoundError) as exc:
        print(f"ktpel: {_scrubbed(exc, args)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - e.g. `ktpel facts | head`
        return 0
    except StorageError as exc:
        print(f"ktpel {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a read-only directory, a full disk: say where, not a traceback
        where = _relative(exc.filename, args) if exc.filename else "a file of the workspace"
        print(f"ktpel {args.command}: cannot write {where}: {exc.strerror or exc}; files written before are "
              "unchanged", file=sys.stderr)
        return 1
    finally:
        if args.zygote is not None:  # a batch ends its zygote; this is for a command refused before it ran
            from helpers.batch.executors import end_zygote

            end_zygote(args.zygote)


def _early_zygote(args: argparse.Namespace) -> Any:
    """For `ktpel report` with forked kernels on this machine, the kernels' zygote, started before anything
    else (imports, reading reports.yaml, planning), which its own imports then overlap."""
    if getattr(args, "command", None) != "report" or args.kernel_start != "fork" or args.executor != "local":
        return None
    from helpers.batch.executors import default_jobs, fork_unsupported, start_zygote

    return None if fork_unsupported() else start_zygote(args.jobs or default_jobs())


def _relative(path: Any, args: argparse.Namespace) -> str:
    try:
        return find_project(args.project).rel(Path(path))
    except (OSError, ValueError):
        return Path(str(path)).name


def _scrubbed(exc: Exception, args: argparse.Namespace) -> str:
    """The message of ``exc`` with the project's absolute path taken out."""
    text = str(exc)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{_relative(exc.filename, args)}: {exc.strerror or 'not found'}"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

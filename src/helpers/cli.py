"""``ktpel``: one command over the workspace.

    ktpel build | check | snapshots | facts | diff A B | report | export

Every command works on the project in the current directory, or the one
given with ``--project DIR``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Sequence

from .problems import ValidationFailed
from .project import Project, find_project

FACT_EXPORT_COLUMNS = ["region_code", "region_name", "region_level", "metric", "value", "unit", "qualifier", "as_of",
                       "as_of_precision", "kind", "source_id", "quote"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def print_rows(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, out: Any = None) -> None:
    """Rows as csv, json or an aligned text table."""
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if r[c] is None else _jsonable(r[c]) for c in columns] for r in rows])
    elif fmt == "json":
        json.dump([{c: _jsonable(r[c]) for c in columns} for r in rows], out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        cells = [[("" if r[c] is None else str(_jsonable(r[c]))) for c in columns] for r in rows]
        widths = [min(60, max([len(c)] + [len(row[i]) for row in cells])) for i, c in enumerate(columns)]
        out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
        for row in cells:
            out.write("  ".join((v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")


def cmd_check(project: Project, args: argparse.Namespace) -> int:
    from .facts import load_raw_layer

    raw = load_raw_layer(project)
    print(f"ok: {len(raw.facts)} facts, {len(raw.targets)} targets, {len(raw.sources)} sources, "
          f"{len(raw.regions)} regions, {len(raw.metrics)} metrics")
    return 0


def cmd_build(project: Project, args: argparse.Namespace) -> int:
    from .snapshot import build

    result = build(project)
    state = "built" if result.created else "up to date (inputs unchanged), reused"
    c = result.counts
    print(f"snapshot {result.snapshot_id} {state}: {project.rel(result.path)} "
          f"({c['facts']} facts, {c['derived']} derived, {c['disagreements']} stated/derived disagreements)")
    return 0


def cmd_snapshots(project: Project, args: argparse.Namespace) -> int:
    from .snapshot import iter_catalog_lines, read_catalog

    if args.format == "json":
        print(json.dumps(read_catalog(project), indent=2))
    else:
        for line in iter_catalog_lines(project):
            print(line)
    return 0


def cmd_facts(project: Project, args: argparse.Namespace) -> int:
    from .snapshot import connect

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
    from .snapshot import diff

    rows = diff(project, args.a, args.b)
    columns = ["change", "source_id", "region_code", "metric", "as_of", "kind", "old_value", "new_value"]
    if not rows:
        print(f"no differences between {args.a} and {args.b}")
        return 0
    print_rows(rows, columns, args.format)
    return 0


def cmd_export(project: Project, args: argparse.Namespace) -> int:
    from .export import cmd_export as export

    return export(project, args)


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
    for register in _EXTENSIONS:
        register(sub)
    return parser


#: Other modules add their subcommands here (report, export, ...).
_EXTENSIONS: list[Any] = []


def _add_report(sub: Any) -> None:
    from .report import add_parser  # `ktpel report`: the Papermill batch runner

    add_parser(sub)


_EXTENSIONS.append(_add_report)


def _add_synth(sub: Any) -> None:
    from .bulk import add_parser  # `ktpel synth`: synthetic bulk tables (in a copy of the workspace)

    add_parser(sub)


_EXTENSIONS.append(_add_synth)


def main(argv: Sequence[str] | None = None) -> int:
    from .snapshot import SnapshotNotFound

    args = build_parser().parse_args(argv)
    try:
        project = find_project(args.project)
        return int(args.func(project, args) or 0)
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"ktpel: {len(exc.problems)} problem(s) found; nothing was written", file=sys.stderr)
        return 1
    except (SnapshotNotFound, FileNotFoundError) as exc:
        print(f"ktpel: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - e.g. `ktpel facts | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""Which exports of a batch are stale (made with other code, CSS, template or fonts than those installed now),
and the export that follows a batch.

Light on purpose (no pandas, DuckDB or nbconvert until there is work): ``ktpel report`` asks it on every no-op
batch."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from helpers.batch.tasks import RunOutcome
from helpers.codehash import package_digest
from helpers.project import Project

#: The per-run export the workers of `ktpel report` do right after each run (chart files and page), so
#: exports run in parallel with the batch; the index and decks follow once the batch is done
#: (:func:`export_after_batch`).
EXPORT_RUN = "helpers.export.build:export_run"

#: Per batch: the code fingerprint (:func:`helpers.codehash.package_digest`: modules, CSS, template, fonts) each
#: report's page and chart files were made with.  A page made with other code is stale.
STAMP = ".export-stamp.json"


def read_stamp(directory: Path) -> dict[str, str]:
    """Report name -> the code fingerprint its exports were made with (empty if unknown or unreadable)."""
    try:
        stamp = json.loads((directory / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pages = stamp.get("pages") if isinstance(stamp, dict) else None
    return {str(k): str(v) for k, v in pages.items()} if isinstance(pages, dict) else {}


def stale_reports(directory: Path, names: Sequence[str]) -> list[str]:
    """The reports among ``names`` whose exports are missing or were made with other code, CSS, template or fonts."""
    digest, stamp = package_digest(), read_stamp(directory)
    return [n for n in names if stamp.get(n) != digest or not (directory / f"{n}.html").is_file()]


def _echo(line: str) -> None:
    print(line, flush=True)


def export_after_batch(project: Project, results: Sequence[RunOutcome], echo: Callable[[str], None] = _echo) -> None:
    """Export (HTML, chart files, decks, index) the runs that just ran (their pages and charts unless a
    worker exported them already), and those never exported; nothing when the whole batch was up to date
    and exported already."""
    good = [r for r in results if r.status != "failed" and r.output is not None]
    if not good:
        return
    first = good[0].output
    assert first is not None
    directory = first.parent
    done = [r.name for r in good if r.status == "ok" and r.exported]  # exported on a worker
    stale = set(stale_reports(directory, [r.name for r in good]))  # made with other code, CSS or fonts
    names = [r.name for r in good if r.name not in done and (r.status == "ok" or r.name in stale)]
    if not names and not done and (directory / "index.html").is_file():
        echo("exports up to date")
        return
    from helpers.export.build import export_batch  # duckdb, pandas, nbformat: only when there is work
    from helpers.export.model import INDEX

    t0 = time.monotonic()
    written = export_batch(project, directory.name, names, exported=done).written
    echo(f"exported {len(done) + len(names)} report(s), {len(done)} of them on the workers as they finished; "
         f"then {len(written)} file(s) here (pages and charts of the others, decks, "
         f"{project.rel(directory / INDEX)}) in {time.monotonic() - t0:.1f} s")

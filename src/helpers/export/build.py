"""Export an executed batch ``reports/<snapshot_id>/``: pages, chart files, decks, index; atomically.

Everything is rendered in memory first; only then is each file replaced atomically (:mod:`helpers.atomic`).
A failure while rendering writes nothing at all; a failure while writing leaves every file either in its
previous or in its new complete version, and no temporary file.  Exports of one batch take a file lock,
so two of them never interleave.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from filelock import FileLock

from helpers import atomic
from helpers.codehash import package_digest
from helpers.export.html import index_page, report_page
from helpers.export.model import (
    CHARTS_DIR,
    INDEX,
    Chart,
    ExportError,
    ExportResult,
    Run,
    batch_directory,
    deck_name,
    is_report_notebook,
    load_batch,
    safe_name,
)
from helpers.export.render import render_chart
from helpers.export.slides import build_deck, slide_png
from helpers.export.stamp import STAMP, read_stamp
from helpers.project import Project

#: The file names :func:`helpers.export.model.deck_name` gives: slides.pptx, slides-<lang>.pptx,
#: slides[-<lang>]-<province>.pptx.
DECK_NAME = re.compile(r"slides(?:-[A-Za-z0-9._-]+)?\.pptx")
#: A language's deck with more charts than this is split: one deck per province (of the runs about a
#: kabupaten/kota), one for the rest, so that a national batch's decks stay usable.
DECK_CHARTS_MAX = 60


def _clean_leftovers(directory: Path) -> None:
    """Temporary files of exports that died (we hold the batch's export lock)."""
    for folder in (directory, directory / CHARTS_DIR):
        atomic.clean_leftovers(folder)


def export_batch(project: Project, snapshot_id: str = "latest", names: Sequence[str] | None = None,
                 exported: Sequence[str] = ()) -> ExportResult:
    """Export the batch ``reports/<snapshot_id>/``: HTML pages, chart files, slide decks, index.

    ``names`` limits the reports whose page and chart files are (re)written; the index and the decks
    always cover the whole batch, in the order of ``reports.yaml`` (slides render their own chart images,
    without the titles and footers the slides carry as text; a language's deck with more than
    :data:`DECK_CHARTS_MAX` charts is split by province).
    ``exported``: reports whose page and chart files :func:`export_run` just wrote with this code (on
    the batch's workers): their files are used and stamped as this code's."""
    sid, directory = batch_directory(project, snapshot_id)
    with FileLock(str(directory / ".export.lock")):
        _clean_leftovers(directory)
        batch = load_batch(project, sid)
        available = [r.name for r in batch.runs]
        selected = set(available if names is None else names)
        unknown = sorted(selected - set(available))
        if unknown:
            raise ExportError(f"no executed notebook named {', '.join(unknown)} in {project.rel(directory)}/; "
                              f"available: {', '.join(available) or '(none)'}")
        clashing = [r.name for r in batch.runs if f"{r.name}.html".casefold() == INDEX.casefold()]
        if clashing:
            raise ExportError(f"the report {clashing[0]!r} would overwrite the batch's {INDEX}; rename the run in "
                              "reports.yaml (and remove its notebook from the batch directory)")
        charts_dir = directory / CHARTS_DIR

        # 1. Render everything in memory: a failure here writes nothing.
        files: dict[Path, bytes] = {}
        slide_images: dict[str, bytes] = {}  # chart stem -> the image on its slide
        digest, stamp = package_digest(), read_stamp(directory)
        for run in batch.runs:
            for chart in run.charts:
                existing, slide = charts_dir / f"{chart.stem}.png", slide_image_path(charts_dir, chart.stem)
                fresh = (existing.is_file() and slide.is_file()
                         and existing.stat().st_mtime >= run.path.stat().st_mtime
                         and (stamp.get(run.name) == digest or run.name in exported))
                if run.name in selected or not fresh:  # chart files of other reports only when stale
                    files.update(chart_files(charts_dir, chart))
                slide_images[chart.stem] = files.get(slide) or slide.read_bytes()
        for run in batch.runs:
            if run.name in selected:
                files[directory / f"{run.name}.html"] = report_page(batch, run)
        decks: dict[str, tuple[str, str | None, int]] = {}  # file name -> (language, province, charts)
        ordered = in_config_order(project, batch.runs)
        for lang in dict.fromkeys(r.lang for r in ordered if r.charts):
            runs = [r for r in ordered if r.lang == lang]
            groups = ([(None, runs)] if sum(len(r.charts) for r in runs) <= DECK_CHARTS_MAX
                      else batch.by_province(runs))
            for province, group in groups:
                if any(r.charts for r in group):
                    name = deck_name(lang, province)
                    files[directory / name] = build_deck(batch, group, lang, slide_images)
                    decks[name] = (lang, province, sum(len(r.charts) for r in group))
        files[directory / INDEX] = index_page(batch, decks)
        pages = {r.name: (digest if r.name in selected or r.name in exported else stamp.get(r.name, ""))
                 for r in batch.runs}
        stamp_bytes = (json.dumps({"pages": pages}, indent=1, sort_keys=True) + "\n").encode()

        # 2. Write each file atomically; the index last, once what it links to is there.
        charts_dir.mkdir(exist_ok=True)
        result = ExportResult(sid, directory, skipped=list(batch.skipped))
        for path, data in files.items():
            atomic.write_bytes(path, data)
            result.written.append(path)
        _remove_stale_charts(charts_dir, [r for r in batch.runs if r.name in selected], set(files))
        _remove_stale_exports(directory, set(decks))
        atomic.write_bytes(directory / STAMP, stamp_bytes)  # last: what it vouches for is written
        return result


def export_run(project_root: Path, notebook: Path) -> list[Path]:
    """Export one executed run, in the process that ran it (``ktpel report`` hands this to its workers, so
    the exports of a batch run in parallel while other runs execute): the run's chart files and its page.
    The index and the decks, which cover the whole batch, are :func:`export_batch`'s, afterwards (it takes
    these chart files as they are, since they are newer than the notebook)."""
    project = Project(project_root)
    batch = load_batch(project, notebook.parent.name, [notebook])
    if not batch.runs:  # a failed run: export_batch lists it, nothing to render
        return []
    run = batch.runs[0]
    charts_dir = batch.directory / CHARTS_DIR
    charts_dir.mkdir(exist_ok=True)
    files = {path: data for chart in run.charts for path, data in chart_files(charts_dir, chart).items()}
    files[batch.directory / f"{run.name}.html"] = report_page(batch, run)
    for path, data in files.items():
        atomic.write_bytes(path, data)
    _remove_stale_charts(charts_dir, [run], set(files))
    return list(files)


def slide_image_path(charts_dir: Path, stem: str) -> Path:
    """The chart as drawn on its slide (PNG, without the title, subtitle and footer the slide shows as text)."""
    return charts_dir / f"{stem}.slide.png"


def chart_files(charts_dir: Path, chart: Chart) -> dict[Path, bytes]:
    """A chart's files: SVG, PNG, PDF and its slide image (rendered here, so that a batch's workers render
    them in parallel and the decks, made once the batch is done, only assemble them)."""
    files = {charts_dir / f"{chart.stem}.{ext}": data for ext, data in render_chart(chart.spec, chart.svg).items()}
    files[slide_image_path(charts_dir, chart.stem)] = slide_png(chart)
    return files


def in_config_order(project: Project, runs: list[Run]) -> list[Run]:
    """``runs`` in the order of the decks: its ``slides:`` list, else the order of ``runs:`` in
    ``reports.yaml``; runs it does not list (or when it cannot be read) come after, by name."""
    from helpers.batch.config import load_config
    from helpers.problems import ValidationFailed

    try:
        order = {name: i for i, name in enumerate(load_config(project).slide_order())}
    except (FileNotFoundError, ValidationFailed):
        order = {}
    def spec_name(run: Run) -> str:  # a run in another language writes <name>.<lang>.ipynb
        suffix = f".{run.lang}"
        return run.name[: -len(suffix)] if run.name.endswith(suffix) and run.name not in order else run.name

    return sorted(runs, key=lambda r: (order.get(spec_name(r), len(order)), r.name))


def _remove_stale_charts(charts_dir: Path, runs: list[Run], keep: set[Path]) -> None:
    """Chart files of re-exported reports that no longer have that chart."""
    for run in runs:
        for path in charts_dir.glob(f"{safe_name(run.name)}--*"):
            if path not in keep and path.suffix in (".png", ".svg", ".pdf"):
                path.unlink(missing_ok=True)


def _remove_stale_exports(directory: Path, decks: set[str]) -> None:
    """Exports whose notebook is gone: decks of a language no batch run has any more, pages and chart
    files of notebooks no longer in the batch (e.g. ``<name>.en.html`` once ``<name>.en.ipynb`` is deleted)."""
    for path in directory.glob("slides*.pptx"):
        if path.name not in decks and DECK_NAME.fullmatch(path.name):
            path.unlink(missing_ok=True)
    notebooks = {path.stem for path in directory.glob("*.ipynb") if is_report_notebook(path)}
    for path in directory.glob("*.html"):
        if path.name != INDEX and path.stem not in notebooks and not path.name.startswith(atomic.TMP_PREFIX):
            path.unlink(missing_ok=True)
    prefixes = tuple(f"{safe_name(name)}--" for name in notebooks)
    for path in (directory / CHARTS_DIR).glob("*--*"):
        if path.suffix in (".png", ".svg", ".pdf") and not path.name.startswith(prefixes):
            path.unlink(missing_ok=True)

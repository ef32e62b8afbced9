"""Exports of an executed report batch ``reports/<snapshot_id>/``, without re-running any notebook.

For every executed notebook of the batch (``*.failed.ipynb``, hidden and temporary files ignored):

* ``<name>.html``: narrative, tables and charts, no code (:mod:`helpers.export_html`);
* ``charts/<name>--<chart_id>.png|svg|pdf``: each chart rendered offline by vl-convert from its
  Vega-Lite spec, with the fonts shipped in ``helpers/fonts`` (PNG at scale 2, for slides);
* ``slides.pptx`` (``slides-en.pptx`` for the runs in English): one 16:9 deck per language of the
  batch, a slide per chart, in the order of ``reports.yaml``'s ``slides:`` list, else of its ``runs:``
  (:mod:`helpers.export.slides`, :func:`helpers.export.build.in_config_order`);
* ``index.html``: every report, its parameters, its charts and decks, the snapshot id and build
  time, and the sources the snapshot was built from.

Charts in the HTML are the SVG already stored in the notebook outputs (rendered by vl-convert when
the notebook ran), written inline into the page.  That choice keeps the page fully offline (no Vega
JavaScript from a CDN, and no 0.9 MB of inlined Vega per page either: no JavaScript at all), small
(15-25 KB per chart), printable, searchable (text stays text), and identical to the PNG, SVG and
PDF files, which come from the same spec and renderer.  The interactive version (tooltips with the
source's quote) remains in JupyterLab, where the Vega-Lite output is shown.

Writes are atomic.  Everything is rendered in memory first; only then is each file written under
a temporary name in its own directory and renamed over the old one with :func:`os.replace`.  A
failure while rendering writes nothing at all; a failure while writing leaves every file either in
its previous or in its new complete version, and no temporary file.  Exports of one batch take a
file lock, so two of them never interleave.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import nbformat

from helpers.analysis import queries
from helpers.analysis.labels import publisher_name, source_date, source_title
from helpers.i18n import LANGS, format_date, t
from helpers.notebooks import parameter_defaults
from helpers.project import Project
from helpers.snapshot import resolve
from helpers.snapshot.regions import REGION_PARAMETERS, Region, RegionError, RegionIndex, region_items

#: Scale of the PNG files: 2x the chart's size in the spec, sharp on slides and high-dpi screens.
PNG_SCALE = 2
CHARTS_DIR = "charts"
INDEX = "index.html"
TMP_MARK = ".tmp-export-"
VEGALITE = re.compile(r"application/vnd\.vegalite\.v\d+\+json")

def text(key: str, lang: str, **fields: object) -> str:
    """A text of the export from the catalogue (``export.<key>``)."""
    return t(f"export.{key}", lang if lang in LANGS else "id", **fields)


class ExportError(ValueError):
    """A batch that cannot be exported as asked (e.g. an unknown report name)."""


# --------------------------------------------------------------------------- the batch, as read


@dataclass
class Chart:
    """One chart of an executed notebook: its Vega-Lite spec and the SVG stored beside it."""

    report: str
    number: int
    chart_id: str
    stem: str
    spec: dict[str, Any]
    svg: str | None
    meta: dict[str, Any]
    position: tuple[int, int]  # (cell index, output index) in the notebook

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or _spec_title(self.spec) or self.chart_id)

    @property
    def subtitle(self) -> list[str]:
        sub = self.meta.get("subtitle") or []
        return [sub] if isinstance(sub, str) else [str(s) for s in sub]

    @property
    def footer(self) -> str:
        return str(self.meta.get("footer") or "")

    @property
    def sources(self) -> list[str]:
        return [str(s) for s in self.meta.get("sources") or []]


@dataclass
class Run:
    """One executed notebook of the batch."""

    name: str
    path: Path
    nb: nbformat.NotebookNode
    parameters: dict[str, Any]  # set by the run (papermill metadata)
    effective: dict[str, Any]  # the notebook's defaults with those applied
    lang: str
    title: str
    finished: str | None
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Batch:
    project: Project
    snapshot_id: str
    directory: Path
    created_at: str
    counts: dict[str, Any]
    runs: list[Run]
    failed: list[Path]
    skipped: list[str]
    sources: list[dict[str, Any]]
    region_names: dict[str, str]
    region_index: RegionIndex | None = None
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<metric>-<year>" -> target row

    @property
    def lang(self) -> str:
        """The batch's language: English only if every run is in English."""
        langs = {r.lang for r in self.runs}
        return "en" if langs == {"en"} else "id"

    @property
    def charts(self) -> list[Chart]:
        return [c for r in self.runs for c in r.charts]

    def regions(self, runs: Iterable[Run] | None = None) -> list[str]:
        """Names of the regions the runs were about, in order of appearance."""
        out: list[str] = []
        for run in self.runs if runs is None else runs:
            for key in REGION_PARAMETERS:
                if run.effective.get(key) in (None, "", []):
                    continue
                try:
                    items = region_items(run.effective[key], key)
                except RegionError:
                    items = [run.effective[key]]
                for item in items:
                    name = self._region_name(item)
                    if name not in out:
                        out.append(name)
        return out

    def _region_name(self, item: Any) -> str:
        """The name of the region ``item`` (a name, alias, code or number) stands for, else ``item`` as text."""
        index = self.region_index or RegionIndex([Region(c, n) for c, n in self.region_names.items()])
        try:
            return index.name(index.resolve(item))
        except RegionError:
            return str(item)

    def province(self, run: Run) -> str | None:
        """The province code of a run about one kabupaten/kota (its ``region`` parameter), else None."""
        value = run.effective.get("region")
        if value in (None, "") or isinstance(value, (list, dict)):
            return None
        index = self.region_index or RegionIndex([Region(c, n) for c, n in self.region_names.items()])
        try:
            code = index.resolve(value)
        except RegionError:
            return None
        return code.split(".")[0] if "." in code else None

    def by_province(self, runs: Iterable[Run] | None = None) -> list[tuple[str | None, list[Run]]]:
        """``runs`` (default: all) grouped: those about no kabupaten/kota first, then by province code."""
        groups: dict[str | None, list[Run]] = {}
        for run in self.runs if runs is None else runs:
            groups.setdefault(self.province(run), []).append(run)
        return sorted(groups.items(), key=lambda item: (item[0] is not None, item[0] or ""))

    def source(self, source_id: str) -> dict[str, Any] | None:
        return next((s for s in self.sources if s["source_id"] == source_id), None)

    def built(self, lang: str) -> str:
        return format_timestamp(self.created_at, lang)


@dataclass
class ExportResult:
    """What an export wrote (absolute paths; :meth:`relative` for messages)."""

    snapshot_id: str
    directory: Path
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def relative(self, project: Project) -> list[str]:
        return [project.rel(p) for p in self.written]

    def of_kind(self, suffix: str) -> list[Path]:
        return [p for p in self.written if p.suffix == suffix]


def format_timestamp(value: str | None, lang: str) -> str:
    """``2026-11-23T07:28:24+00:00`` -> ``23 Nov 2026 07:28 UTC``."""
    if not value:
        return "?"
    try:
        ts = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    zone = "UTC" if ts.utcoffset() is not None and not ts.utcoffset() else (ts.strftime("%z") or "")
    return f"{format_date(ts.date(), 'day', lang)} {ts:%H:%M} {zone}".strip()


def safe_name(value: str) -> str:
    """A file-name-safe form of ``value`` (letters, digits, ``.``, ``_``, ``-``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.") or "chart"


def deck_name(lang: str, province: str | None = None) -> str:
    """``slides.pptx``, ``slides-en.pptx``; a province's deck: ``slides-64.pptx``, ``slides-en-64.pptx``."""
    parts = ["slides"] + ([safe_name(lang)] if lang != "id" else []) + ([safe_name(province)] if province else [])
    return "-".join(parts) + ".pptx"


def is_report_notebook(path: Path) -> bool:
    """An executed notebook of a batch: not failed, hidden, temporary or a checkpoint."""
    name = path.name
    return (path.suffix == ".ipynb" and not name.startswith((".", "~", "#")) and not name.endswith(".failed.ipynb")
            and ".tmp" not in name and "-checkpoint" not in name and path.is_file())


def _spec_title(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title or "")


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The page heading: the first markdown heading the run wrote (its intro, in the run's language),
    else the notebook's own first markdown heading."""
    texts = [("".join(o["data"]["text/markdown"]) if isinstance(o["data"]["text/markdown"], list)
              else o["data"]["text/markdown"]) for cell in nb.cells if cell.cell_type == "code"
             for o in cell.get("outputs", []) if "text/markdown" in o.get("data", {})]
    texts += [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    for source in texts:
        for line in source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return fallback


def _read_run(path: Path) -> Run:
    nb = nbformat.read(path, as_version=4)
    pm = nb.metadata.get("papermill", {})
    parameters = dict(pm.get("parameters") or {})
    effective = {**parameter_defaults(nb.cells), **parameters}
    lang = str(effective.get("lang") or "id")
    run = Run(name=path.stem, path=path, nb=nb, parameters=parameters, effective=effective, lang=lang,
              title=_title(nb, path.stem), finished=pm.get("end_time"))
    used: set[str] = set()
    for ci, cell in enumerate(nb.cells):
        for oi, output in enumerate(cell.get("outputs", []) if cell.cell_type == "code" else []):
            data = output.get("data", {})
            key = next((k for k in data if VEGALITE.fullmatch(k)), None)
            if key is None:
                continue
            spec = data[key]
            meta = dict((spec.get("usermeta") or {}).get("ktpel") or {})
            number = len(run.charts) + 1
            chart_id = str(meta.get("chart_id") or f"chart-{number}")
            stem = f"{safe_name(run.name)}--{safe_name(chart_id)}"
            if stem in used:
                stem = f"{stem}-{number}"
            used.add(stem)
            meta.setdefault("lang", lang)
            run.charts.append(Chart(run.name, number, chart_id, stem, spec, data.get("image/svg+xml"), meta, (ci, oi)))
    return run


#: Every fact a page may link to (``#fact-<id>``), with what its entry at the end of the page shows.
FACTS_SQL = """
    SELECT f.fact_id, f.kind, f.source_id, f.region_code, f.metric, f.value, f.decimals, f.unit, f.qualifier, f.as_of,
           f.as_of_precision, f.quote, f.note, f.input_fact_ids, f.formula, r.name AS region_name, m.label_id, m.label_en
    FROM facts f JOIN regions r USING (region_code) JOIN metrics m USING (metric)"""

TARGETS_SQL = """
    SELECT t.metric, t.year, t.year_is_estimate, t.value, t.unit, t.source_id, t.quote, m.label_id, m.label_en
    FROM targets t JOIN metrics m USING (metric) WHERE t.region_code = '00'
    QUALIFY row_number() OVER (PARTITION BY t.metric, t.year ORDER BY t.year_is_estimate, t.source_id) = 1"""


def batch_directory(project: Project, snapshot: str = "latest") -> tuple[str, Path]:
    """The id of ``snapshot`` and its batch directory ``reports/<id>/`` (which must exist)."""
    sid, _ = resolve(project, snapshot)
    directory = project.reports_dir / sid
    if not directory.is_dir():
        raise FileNotFoundError(f"no report batch for snapshot {sid} ({project.rel(directory)}/ does not exist); "
                                "run `ktpel report` first")
    return sid, directory


def load_batch(project: Project, snapshot: str = "latest", notebooks: Iterable[Path] | None = None) -> Batch:
    """Read every executed notebook of the batch (or only ``notebooks``) and what the snapshot says about itself."""
    sid, directory = batch_directory(project, snapshot)
    _, db = resolve(project, sid)
    runs, failed, skipped = [], [], []
    for path in sorted(directory.glob("*.ipynb") if notebooks is None else notebooks):
        if path.name.endswith(".failed.ipynb"):
            failed.append(path)
            continue
        if not is_report_notebook(path):
            continue
        try:
            run = _read_run(path)
        except Exception as exc:  # noqa: BLE001 - a notebook being written or broken: report, go on
            skipped.append(f"{project.rel(path)}: unreadable notebook ({type(exc).__name__})")
            continue
        if run.nb.metadata.get("papermill", {}).get("exception"):
            failed.append(path)
            continue
        runs.append(run)
    info, sources, region_names, region_index, facts, targets = _snapshot_context(str(db))
    counts = {k: info.get(k) for k in ("fact_count", "derived_count", "source_count", "region_count")}
    return Batch(project, sid, directory, str(info.get("created_at") or ""), counts, runs, failed, skipped,
                 [dict(s) for s in sources], dict(region_names), region_index, dict(facts), dict(targets))


@functools.lru_cache(maxsize=4)
def _snapshot_context(db: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str], RegionIndex,
                                         dict[Any, dict[str, Any]], dict[str, dict[str, Any]]]:
    """What a batch's exports need from its snapshot; kept per process (a snapshot file never changes: its
    name is its content's id), so a worker exporting run after run reads it once."""
    con = duckdb.connect(db, read_only=True)
    try:
        info = queries.snapshot_info(con)
        sources = queries.sources(con).to_dict("records")
        region_names = dict(con.execute("SELECT region_code, name FROM regions ORDER BY region_code").fetchall())
        region_index = RegionIndex.from_connection(con)
        facts = {r["fact_id"]: r for r in con.execute(FACTS_SQL).df().to_dict("records")}
        targets = {f"{r['metric']}-{r['year']}": r for r in con.execute(TARGETS_SQL).df().to_dict("records")}
    finally:
        con.close()
    return info, sources, region_names, region_index, facts, targets


def source_line(source: dict[str, Any], lang: str) -> tuple[str, str, str]:
    """(title, publisher, date as honestly known) of a source row; curator's remarks in the report's language."""
    publisher = publisher_name(source) or text("no_publisher", lang)
    return source_title(source, lang), publisher, source_date(source, lang)

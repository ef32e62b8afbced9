"""Validate a notebook's parameters and open what it needs: the first cell after the ``parameters`` cell
of every notebook calls :func:`open_report`.

A bad parameter stops the notebook with a :class:`ParameterError` whose one-line message names the
valid choices (IPython shows just that line, not a traceback):

* a parameter name the notebook does not have (``papermill ... -p region Batam`` on a notebook that
  takes ``regions``): Papermill itself only warns, so :func:`check_injected_names` reads the cell
  Papermill injected from the kernel's input history (see there);
* an unknown region, metric, snapshot or language; regions are read by :mod:`helpers.snapshot.regions`
  (names, aliases, codes, numbers, list text such as ``'["Batam","64"]'`` or ``Batam,64``).

:meth:`Report.check_figures` (called by :mod:`helpers.analysis.figures`) says in the output which
regions have no figure of what a notebook shows, and stops the notebook when none has.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from helpers.analysis import queries
from helpers.i18n import LANGS, Lang, format_date, t, word
from helpers.notebooks import parameter_names
from helpers.project import Project, find_project
from helpers.snapshot import SnapshotNotFound, read_catalog, resolve

#: The regions a report compares unless told otherwise.
DEFAULT_REGIONS = ["Kota Batam", "Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"]
#: The first line of the cell Papermill injects after the ``parameters`` cell (papermill.translators).
INJECTED_HEADER = "# Parameters"
#: Names Papermill adds itself (``--inject-paths``: PAPERMILL_INPUT_PATH, PAPERMILL_OUTPUT_PATH).
PAPERMILL_NAMES = "PAPERMILL_"


class ParameterError(ValueError):
    """A bad notebook parameter; the message names the valid choices."""

    def _render_traceback_(self) -> list[str]:  # IPython shows just this, not a traceback
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class NoFigures(ParameterError):
    """None of the report's regions has a figure of what the notebook shows."""


@dataclass
class Report:
    """What a notebook works with once its parameters are valid."""

    project: Project
    con: duckdb.DuckDBPyConnection
    snapshot_id: str
    regions: list[str]
    lang: Lang
    metric: str | None = None
    until: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def region_names(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT region_code, name FROM regions").fetchall())

    def check_figures(self, frame: pd.DataFrame, metrics: Sequence[str] = (), regions: Sequence[str] | None = None,
                      within: bool = False) -> None:
        """Say in the output (one sentence per group) which of ``regions`` (default: the report's) have no
        row of ``metrics`` (any metric if empty) in ``frame``; raise :class:`NoFigures` if none has any.
        ``within``: a region's kabupaten/kota count as its own rows (a province's spread)."""
        regions = list(self.regions if regions is None else regions)
        metrics = list(metrics) or [None]  # type: ignore[list-item]
        codes = frame["region_code"].astype(str) if "region_code" in frame else pd.Series(dtype=str)
        by_metric = frame["metric"] if "metric" in frame and metrics != [None] else pd.Series([None] * len(frame))
        missing: dict[tuple[str, ...], list[str | None]] = {}
        for metric in metrics:
            rows = codes[(by_metric == metric).to_numpy()] if metric is not None else codes
            absent = tuple(r for r in regions if not any(c == r or (within and c.startswith(f"{r}.")) for c in rows))
            if absent:
                missing.setdefault(absent, []).append(metric)
        if frame.empty or codes.empty:
            stop = [self._no_figure_sentence(absent, group, named=True) for absent, group in missing.items()]
            raise NoFigures((" ".join(stop) or self._no_figure_sentence(tuple(regions), metrics, named=True))
                            + self._regions_with_figures([m for m in metrics if m]))
        sentences = [self._no_figure_sentence(absent, group) for absent, group in missing.items()]
        if sentences:
            from IPython.display import Markdown, display

            display(Markdown("\n\n".join(f"*{s}*" for s in sentences)))

    def _regions_with_figures(self, metrics: list[str]) -> str:
        rows = self.con.execute("""
            SELECT r.name FROM facts f JOIN regions r USING (region_code)
            WHERE f.kind = 'stated' AND (? IS NULL OR list_contains(?, f.metric)) AND (? IS NULL OR f.as_of <= ?)
            GROUP BY r.name, f.region_code ORDER BY f.region_code""",
                                [metrics or None, metrics or None, self.until, self.until]).fetchall()
        names = [r[0] for r in rows]
        if not names:
            return ""
        shown = ", ".join(names[:8])
        if len(names) > 8:
            shown = t("params.more", self.lang, shown=shown, n=len(names) - 8)
        return " " + t("params.regions_with_figures", self.lang, regions=shown)

    def _no_figure_sentence(self, regions: Sequence[str], metrics: Sequence[str | None], named: bool = False) -> str:
        """One sentence; ``named``: with the snapshot id (a run that stops), else "this snapshot" (stored outputs
        stay the same when only the snapshot id changes)."""
        names = self.region_names
        labels = dict(self.con.execute(f"SELECT metric, label_{self.lang} FROM metrics").fetchall())
        what = _join([labels.get(m, m) for m in metrics if m], self.lang, "or")
        where = _join([names.get(r, r) for r in regions], self.lang, "and")
        until = t("params.until", self.lang, date=format_date(self.until, "day", self.lang)) if self.until else ""
        snapshot = t("params.named_snapshot", self.lang, snapshot=self.snapshot_id) if named else \
            t("params.this_snapshot", self.lang)
        if what:
            return t("params.no_figure_of", self.lang, metrics=what, regions=where, snapshot=snapshot, until=until)
        return t("params.no_figure_any", self.lang, regions=where, snapshot=snapshot, until=until)


def _join(items: list[str], lang: Lang, conjunction: str) -> str:
    """``a, b and c`` / ``a, b atau c``: the conjunction (``and``, ``or``) in ``lang``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word(conjunction, lang)} {items[-1]}"


def _parse_until(until: Any) -> date | None:
    if until in (None, "", "none", "None"):
        return None
    if isinstance(until, date):
        return until
    try:
        return date.fromisoformat(str(until))
    except ValueError:
        raise ParameterError(f"until {until!r} is not a date; write it as YYYY-MM-DD (e.g. 2024-12-31) "
                             "or leave it empty for all dates") from None


# --- parameter names given to Papermill -----------------------------------------------------------

def _executed_cells() -> list[str]:
    """The sources of the cells this IPython kernel has run, in order (empty outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return []
    shell = get_ipython()
    history = getattr(shell, "history_manager", None)
    return list(getattr(history, "input_hist_raw", []) or [])


def unknown_injected_names(cells: Sequence[str]) -> tuple[list[str], list[str]]:
    """(names Papermill injected that the notebook's parameters cell does not set, the names it sets).

    Papermill puts its cell (first line ``# Parameters``) right after the cell tagged ``parameters`` and
    runs every cell in order, so in the kernel's history the injected cell follows the parameters cell.
    No injected cell (JupyterLab, nbval) or no parameters cell before it: nothing to check."""
    for index in range(len(cells) - 1, 0, -1):
        if cells[index].lstrip().split("\n", 1)[0].strip() == INJECTED_HEADER:
            try:
                injected, declared = parameter_names(cells[index]), parameter_names(cells[index - 1])
            except SyntaxError:
                return [], []
            unknown = [n for n in injected if n not in declared and not n.startswith(PAPERMILL_NAMES)]
            return (unknown if declared else []), declared
    return [], []


def check_injected_names(cells: Sequence[str] | None = None) -> None:
    """Stop a Papermill run given a parameter the notebook does not have (Papermill only warns)."""
    unknown, valid = unknown_injected_names(_executed_cells() if cells is None else cells)
    if unknown:
        close = {n: difflib.get_close_matches(n, valid, n=1) for n in unknown}
        hints = "; ".join(f"did you mean {c[0]!r} instead of {n!r}?" for n, c in close.items() if c)
        raise ParameterError(f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}: "
                             f"this notebook's parameters are {', '.join(valid)}" + (f" ({hints})" if hints else ""))


# --- the report -----------------------------------------------------------------------------------

def open_report(snapshot: str = "latest", regions: Any = None, lang: str = "id",
                metric: str | None = None, until: Any = None, project: Project | None = None) -> Report:
    """Check every parameter and open the snapshot read-only.

    ``regions``: names, aliases or Kemendagri codes (``"Batam"``, ``"Kaltim"``, ``"64"``, ``64.71``), as a
    list, as list text (``'["Batam","64"]'``, ``"Batam,64"``) or one region."""
    check_injected_names()
    if lang not in LANGS:
        raise ParameterError(f"lang {lang!r} is not supported. Valid choices: {', '.join(LANGS)}")
    project = project or find_project()
    try:
        snapshot_id, path = resolve(project, str(snapshot))
    except SnapshotNotFound as exc:
        known = [e["snapshot_id"] for e in read_catalog(project)]
        raise ParameterError(f"snapshot: {exc}" if not known else f"snapshot {snapshot!r} not found. Valid choices: "
                             f"latest, {', '.join(reversed(known))}") from None
    con = duckdb.connect(str(path), read_only=True)
    try:
        wanted = DEFAULT_REGIONS if regions is None or (isinstance(regions, (str, list, tuple)) and not regions) \
            else regions
        codes = queries.resolve_regions(con, wanted) or queries.resolve_regions(con, DEFAULT_REGIONS)
        if metric is not None:
            queries.check_metric(con, metric)
        until_date = _parse_until(until)
    except (queries.UnknownChoice, ParameterError) as exc:
        con.close()
        raise ParameterError(str(exc)) from None
    return Report(project, con, snapshot_id, codes, lang, metric, until_date)  # type: ignore[arg-type]

"""Validate a notebook's parameters and open what it needs: the first cell after
the ``parameters`` cell of every notebook calls :func:`open_report`.

An unknown region, metric, snapshot or language stops the notebook with a
:class:`ParameterError` whose message lists the valid choices (and only that
message is shown, not a long traceback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from helpers.analysis import queries
from helpers.i18n import LANGS, Lang
from helpers.project import Project, find_project
from helpers.snapshot import SnapshotNotFound, read_catalog, resolve

#: The regions a report compares unless told otherwise.
DEFAULT_REGIONS = ["Kota Batam", "Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"]


class ParameterError(ValueError):
    """A bad notebook parameter; the message names the valid choices."""

    def _render_traceback_(self) -> list[str]:  # IPython shows just this, not a traceback
        return [f"\x1b[31mParameterError\x1b[0m: {self}"]


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


def open_report(snapshot: str = "latest", regions: Sequence[str] | str | None = None, lang: str = "id",
                metric: str | None = None, until: Any = None, project: Project | None = None) -> Report:
    """Check every parameter and open the snapshot read-only.

    ``regions`` are names or Kemendagri codes (``"Batam"``, ``"64"``); a single
    string is one region."""
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
        codes = queries.resolve_regions(con, DEFAULT_REGIONS if regions in (None, [], "") else regions)  # type: ignore[arg-type]
        if metric is not None:
            queries.check_metric(con, metric)
    except queries.UnknownChoice as exc:
        con.close()
        raise ParameterError(str(exc)) from None
    return Report(project, con, snapshot_id, codes, lang, metric, _parse_until(until))  # type: ignore[arg-type]

"""What the exploration notebook (``00_explore``) shows: what a snapshot holds, and one metric for
every region that has it, ready for :func:`helpers.analysis.charts.region_picker`.  Plain SQL on the
snapshot's views, every value bound as a parameter."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pandas as pd

from helpers.analysis import figures
from helpers.analysis.labels import publisher_name
from helpers.analysis.narrative import date_span
from helpers.analysis.params import Report
from helpers.i18n import format_number, level, t, unit

#: Columns of :func:`contents` that hold counts.
COUNTS = ("figures", "metrics", "regions")  # and "value", shown with two decimals


def contents(report: Report) -> dict[str, pd.DataFrame]:
    """The snapshot at a glance: regions with figures, metrics, sources, and the dates covered."""
    con, lang = report.con, report.lang
    regions = con.execute("""
        SELECT region_code, region_name, region_level, count(*) AS figures, count(DISTINCT metric) AS metrics,
               min(as_of) AS first_date, max(as_of) AS last_date
        FROM facts_labeled WHERE kind = 'stated' GROUP BY ALL ORDER BY region_code""").df()
    metrics = con.execute(f"""
        SELECT m.metric, m.label_{'en' if lang == 'en' else 'id'} AS label, m.unit, count(f.fact_id) AS figures,
               count(DISTINCT f.region_code) AS regions
        FROM metrics m LEFT JOIN facts f ON f.metric = m.metric AND f.kind = 'stated'
        GROUP BY ALL HAVING count(f.fact_id) > 0 ORDER BY figures DESC, m.metric""").df()
    sources = con.execute("""
        SELECT s.source_id, s.publisher, s.published_on, count(f.fact_id) AS figures
        FROM sources s LEFT JOIN facts f ON f.source_id = s.source_id AND f.kind = 'stated'
        GROUP BY ALL ORDER BY s.published_on NULLS FIRST, s.source_id""").df()
    dates = con.execute("""
        SELECT as_of_precision AS precision, count(*) AS figures, min(as_of) AS first, max(as_of) AS last
        FROM facts WHERE kind = 'stated' GROUP BY ALL ORDER BY figures DESC""").df()
    return {"regions": regions, "metrics": metrics, "sources": sources, "dates": dates}


def regions_with(report: Report, metric: str) -> list[str]:
    """Codes of the regions that have a stated figure of ``metric`` (bound, not pasted into the SQL)."""
    rows = report.con.execute("SELECT DISTINCT region_code FROM facts WHERE kind = 'stated' AND metric = ? "
                              "ORDER BY region_code", [metric]).fetchall()
    return [r[0] for r in rows]


def series(report: Report, metric: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stated figure of ``metric`` of every region that has one (labelled, undated ones placed at
    the latest date their source allows), and the metric's national target."""
    return figures.coverage_over_time(dataclasses.replace(report, regions=regions_with(report, metric)), metric)


def intro(report: Report, inside: dict[str, pd.DataFrame]) -> str:
    """The page's heading, what it shows, and what the snapshot holds (markdown, in the report's language)."""
    held = t("explore.holds", report.lang, snapshot=report.snapshot_id,
             regions=format_number(len(inside["regions"]), report.lang),
             metrics=format_number(len(inside["metrics"]), report.lang),
             sources=format_number(len(inside["sources"]), report.lang))
    return f"# {t('intro.explore_title', report.lang)}\n\n{t('intro.explore', report.lang)}\n\n{held}"


def _cell(column: str, value: Any, lang: str) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if column == "region_level":
        return level(str(value), lang)
    if column == "publisher":  # without the curator's remarks in brackets ("..., from ANTARA")
        return publisher_name({"publisher": value}) or "–"
    if column == "unit":
        return unit(str(value), lang)
    if column in COUNTS:
        return format_number(float(value), lang)
    if column == "value":
        return format_number(float(value), lang, 2)
    if isinstance(value, pd.Timestamp | date):
        return value.strftime("%Y-%m-%d")  # ISO dates: a table to filter and sort, not a sentence
    return value


def table(df: pd.DataFrame, lang: str) -> figures.Table:
    """A frame of :func:`contents` for display: headers from the catalogue (``column.*``), counts in the
    language's number format, dates as ISO dates, codes and publishers as received."""
    shown = pd.DataFrame({c: [_cell(c, v, lang) for v in df[c]] for c in df.columns}, index=df.index)
    return figures.table(shown, list(df.columns), lang)


def picker_subtitle(series: pd.DataFrame, lang: str) -> str:
    """The region picker's subtitle: its dates (and undated figures) are those of all regions, not only
    of the region on show, and it says so."""
    return t("explore.all_regions", lang, span=date_span(series, lang))

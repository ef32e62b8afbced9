"""The look of every chart, as an Altair theme, and the two encodings every chart shares.

* **Theme** ``ktpel-id`` / ``ktpel-en`` (registered with :func:`altair.theme.register` on import,
  ``ktpel-id`` enabled): the shipped DejaVu Sans, sizes, colours and the number and time locale
  (``1.294.548``, ``99,54`` in Indonesian).  Altair applies it when a chart is turned into a spec,
  so helper charts carry no config of their own and an analyst's own ``alt.Chart(...)`` looks the
  same.  :func:`use` switches the language (the chart helpers call it with theirs).
* **Region colours**: one colour per region code, the same in every chart and run whatever else is
  plotted (:func:`region_color`), from Paul Tol's colour-blind-safe "muted" scheme.  Charts draw it
  with ``scale=None`` on a ``region_color`` column, so layering charts of different regions never
  re-assigns a colour.
* **Status of a figure**: stated, derived, approximate, undated (:func:`status_of`); each has one
  look everywhere (:data:`STATUS_STYLE`): solid fill, hollow, light fill, a faint fill with a dashed
  outline, through fixed ``fillOpacity`` and ``strokeDash`` scales (:func:`status_encoding`).
"""

from __future__ import annotations

import zlib
from typing import Any

import altair as alt
import pandas as pd

from helpers.i18n import NUMBER_LOCALE, Lang, time_locale

FONT = "DejaVu Sans"
#: Width of a chart's plot area unless one sets it (``chart.properties(width=900)``).
WIDTH = 560
#: Paul Tol's "muted" qualitative scheme (colour-blind safe), https://personal.sron.nl/~pault/
PALETTE = ["#332288", "#117733", "#44AA99", "#88CCEE", "#DDCC77", "#CC6677", "#AA4499", "#882255", "#999933"]
#: The regions this workspace is about: distinct colours, whatever else a chart shows.
FOCUS_COLORS = {
    "21.71": "#CC6677",  # Kota Batam
    "64": "#117733",  # Provinsi Kalimantan Timur
    "19.04": "#332288",  # Kabupaten Bangka Tengah
    "21": "#882255",  # Provinsi Kepulauan Riau
    "19": "#44AA99",  # Provinsi Kepulauan Bangka Belitung
    "00": "#999933",  # Indonesia
}
#: Marks that are not a region: targets, aggregates.
NEUTRAL = "#333333"
AGGREGATE = "#4477AA"

STATUSES = ("stated", "derived", "approximate", "undated")
STATUS_LABELS: dict[str, dict[str, str]] = {
    "id": {"stated": "dinyatakan sumber", "derived": "dihitung dari angka sumber", "approximate": "kira-kira (sekitar, lebih/kurang dari)",
           "undated": "tanpa tanggal"},
    "en": {"stated": "stated by the source", "derived": "derived from the source's counts",
           "approximate": "approximate (about, more/less than)", "undated": "undated"},
}
#: One look per status, in every chart: (fill opacity, outline dash).
STATUS_STYLE: dict[str, tuple[float, list[int]]] = {
    "stated": (1.0, [1, 0]),
    "derived": (0.0, [1, 0]),
    "approximate": (0.35, [1, 0]),
    "undated": (0.12, [4, 3]),
}


def region_color(code: str) -> str:
    """The colour of region ``code``: fixed for the focus regions, else chosen by a hash of the code."""
    code = str(code)
    return FOCUS_COLORS.get(code) or PALETTE[zlib.crc32(code.encode()) % len(PALETTE)]


def with_region_colors(df: pd.DataFrame, column: str = "region_code") -> pd.DataFrame:
    """``df`` with a ``region_color`` column (draw it with :func:`region_fill` / :func:`region_stroke`)."""
    return df.assign(region_color=[region_color(c) for c in df[column]])


def region_fill() -> alt.Fill:
    return alt.Fill("region_color:N", scale=None)


def region_stroke() -> alt.Stroke:
    return alt.Stroke("region_color:N", scale=None)


def region_scale(codes: list[str], labels: list[str]) -> alt.Scale:
    """A colour scale (with a legend) for one's own chart of regions: ``labels[i]`` gets ``codes[i]``'s colour."""
    return alt.Scale(domain=list(labels), range=[region_color(c) for c in codes])


def _is_true(value: Any) -> bool:
    return bool(value) and not (isinstance(value, float) and pd.isna(value))


def status_of(row: pd.Series | dict[str, Any]) -> str:
    """``undated`` (no date known), else ``derived`` (computed from the source's counts), else
    ``approximate`` (a qualifier such as "sekitar"), else ``stated``."""
    if _is_true(row.get("undated")) or row.get("as_of_precision") == "unknown":
        return "undated"
    if row.get("kind") == "derived":
        return "derived"
    qualifier = row.get("qualifier")
    if isinstance(qualifier, str) and qualifier not in ("", "exact"):
        return "approximate"
    return "stated"


def with_status(df: pd.DataFrame, lang: Lang, status: str | None = None) -> pd.DataFrame:
    """``df`` with ``status`` (one of :data:`STATUSES`) and ``status_label`` in ``lang``;
    ``status`` forces one status for every row (e.g. the derived values of a stated row)."""
    values = [status] * len(df) if status else [status_of(r) for _, r in df.iterrows()]
    return df.assign(status=values, status_label=[STATUS_LABELS[lang][s] for s in values])


def status_encoding(lang: Lang, field: str = "status_label") -> dict[str, Any]:
    """``fillOpacity`` and ``strokeDash`` of ``field`` (a status label) with the fixed domain of all four
    statuses, so any two charts (and their layers) agree.  Vega-Lite draws no legend for fill opacity, so
    each status is also written out: in the tooltip (``status_label``) and in the value labels
    ("sekitar 98 %", "dihitung dari angka sumber: 102,31 %", "tanpa tanggal")."""
    domain = [STATUS_LABELS[lang][s] for s in STATUSES]
    title = {"id": "Angka", "en": "Figure"}[lang]
    return {"fillOpacity": alt.FillOpacity(f"{field}:O", title=title, legend=None, sort=domain,
                                           scale=alt.Scale(domain=domain, range=[STATUS_STYLE[s][0] for s in STATUSES])),
            "strokeDash": alt.StrokeDash(f"{field}:O", title=title, legend=None, sort=domain,
                                         scale=alt.Scale(domain=domain, range=[STATUS_STYLE[s][1] for s in STATUSES]))}


def theme_config(lang: Lang) -> dict[str, Any]:
    """The theme of ``lang``: font, sizes, colours and the number/time locale."""
    return {
        "font": FONT,
        "locale": {"number": NUMBER_LOCALE[lang], "time": time_locale(lang)},
        "title": {"anchor": "start", "fontSize": 15, "subtitleFontSize": 12, "subtitleColor": "#444", "offset": 12},
        "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e6e6"},
        "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "labelLimit": 320, "columns": 2},
        "range": {"category": PALETTE},
        "mark": {"color": AGGREGATE},
        "point": {"size": 110, "strokeWidth": 1.8, "filled": True},
        "bar": {"strokeWidth": 1.5},
        "text": {"fontSize": 11},
        "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": 300, "discreteHeight": {"step": 40}},
        "background": "white",
        "padding": 12,
    }


def theme_name(lang: Lang) -> str:
    return f"ktpel-{lang}"


def _register(lang: Lang) -> None:
    @alt.theme.register(theme_name(lang), enable=False)
    def _theme() -> alt.theme.ThemeConfig:
        return {"config": theme_config(lang)}  # type: ignore[typeddict-item]  # a plain dict of Vega-Lite config


for _lang in ("en", "id"):
    _register(_lang)


def use(lang: Lang) -> None:
    """Enable the workspace's theme in ``lang`` (``id`` by default on import)."""
    alt.theme.enable(theme_name(lang))


use("id")

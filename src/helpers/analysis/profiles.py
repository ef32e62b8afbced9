"""The charts of a region profile (notebook ``06_region_profile``): every percentage of one region on one
axis, and its counts in one chart per unit (people, cards, machines, ...), each on its own honest axis with
whole-number ticks, so that "12 kecamatan" is never drawn as long as 1.294.548 persons.

Value labels are placed where they fit (:mod:`helpers.analysis.placement`): the latest figure of each
indicator first, then its first, lowest and highest; a label that fits nowhere is left to the tooltip,
the narrative and the table.  Like every helper of :mod:`helpers.analysis.charts`, each returns a plain
``alt.LayerChart``.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from helpers.analysis import theme
from helpers.analysis.charts import BAR, _prepare, describe, tooltip
from helpers.analysis.placement import Box, place, unscale
from helpers.analysis.theme import region_fill, region_stroke, status_encoding
from helpers.i18n import Lang, t, unit

#: Height of one indicator's row in the percentage chart, in pixels.
ROW = 52
#: Value labels: font size, and where they may go around their point (dx, dy in pixels; dy is above or below
#: the row only, since a label is drawn as a text mark offset from its row).
LABEL_SIZE = 10
ABOVE, BELOW = -16, 16
LABEL_OFFSETS = [(0, ABOVE), (0, BELOW), (8, ABOVE), (-8, ABOVE), (8, BELOW), (-8, BELOW)]
#: Radius (pixels) of a point of the percentage chart (size 120), kept clear of every label.
POINT_RADIUS = 7


def _percent_domain(values: list[float]) -> tuple[float, float]:
    return 0.0, max([100.0, *values]) + 5


def _priority(pct: pd.DataFrame) -> list[int]:
    """Positions of ``pct`` in labelling order: each indicator's latest dated figure (a stated one before a
    derived one of the same date), then its first, lowest and highest."""
    dated = pct.reset_index(drop=True).assign(stated=lambda d: d["kind"] == "stated")
    order: list[int] = []
    for pick in ("last", "first", "min", "max"):
        for _, g in dated[dated["as_of"].notna()].sort_values(["as_of", "stated"], kind="stable").groupby(
                "metric_label", sort=False):
            i = {"last": g.index[-1], "first": g.index[0], "min": g["value"].idxmin(), "max": g["value"].idxmax()}[pick]
            if int(i) not in order:
                order.append(int(i))
    return order


def profile_labels(pct: pd.DataFrame, rows: list[str], x_domain: tuple[float, float],
                   width: float = theme.WIDTH) -> pd.DataFrame:
    """``pct`` with ``label_x`` (data units), ``label_side`` (``above``/``below`` its row, or None: not
    shown): each figure's value label placed clear of every point and every other label."""
    data = pct.reset_index(drop=True)
    xs = [(float(v) - x_domain[0]) / (x_domain[1] - x_domain[0]) * width for v in data["value"]]
    ys = [(rows.index(m) + 0.5) * ROW for m in data["metric_label"]]
    markers = [Box(x - POINT_RADIUS, y - POINT_RADIUS, x + POINT_RADIUS, y + POINT_RADIUS) for x, y in zip(xs, ys)]
    seen: set[tuple[str, str]] = set()
    order = []  # the same figure twice (two sources, or stated and derived alike): one label, at its first turn
    for i in _priority(data):
        key = (str(data["metric_label"].iloc[i]), str(data["value_label"].iloc[i]))
        if key not in seen:
            seen.add(key)
            order.append(i)
    boxes = place([(xs[i], ys[i], str(data["value_label"].iloc[i])) for i in order], LABEL_SIZE, width,
                  ROW * len(rows), markers, LABEL_OFFSETS)
    label_x: list[float | None] = [None] * len(data)
    side: list[str | None] = [None] * len(data)
    for i, box in zip(order, boxes):
        if box is not None:
            label_x[i] = unscale((box.left + box.right) / 2, x_domain, width)
            side[i] = "above" if (box.top + box.bottom) / 2 < ys[i] else "below"
    return data.assign(label_x=label_x, label_side=side)


def profile(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.LayerChart:
    """Every percentage of one region on one axis: a point per figure and date (stated, derived,
    approximate, undated each in their look), one row per indicator; value labels where they fit."""
    pct = _prepare(df[df["unit"] == "percent"], lang)
    rows = list(dict.fromkeys(sorted(pct["metric_label"])))
    x_domain = _percent_domain(list(pct["value"]))
    pct = profile_labels(pct, rows, x_domain)
    y = alt.Y("metric_label:N", title=None, sort=rows, axis=alt.Axis(labelLimit=300))
    scale = alt.Scale(domain=list(x_domain), nice=False)
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=scale)
    points = alt.Chart().mark_point(size=120).encode(x=x, y=y, fill=region_fill(), stroke=region_stroke(),
                                                     tooltip=tooltip(lang, metric=True), **status_encoding(lang))
    labels = [alt.Chart().mark_text(dy=dy, fontSize=LABEL_SIZE).transform_filter(f"datum.label_side == '{side}'").encode(
        x=alt.X("label_x:Q", scale=scale), y=y, text="value_label:N") for side, dy in (("above", ABOVE), ("below", BELOW))]
    chart = alt.layer(points, *labels, data=pct).properties(height=alt.Step(ROW))
    return describe(chart, "region-profile", title, subtitle, df[df["unit"] == "percent"], lang)


def whole_ticks(top: float, most: int = 5) -> list[int]:
    """Tick values from 0 to the first tick at or past ``top``, at a whole, round step (1, 2, 5 × 10^k), at
    most ``most`` of them: a count's axis never shows a fraction nor the same label twice."""
    step, k = 1, 0
    while math.ceil(top / step) + 1 > most:
        k += 1
        step = (1, 2, 5)[k % 3] * 10 ** (k // 3)
    last = max(math.ceil(top / step), 1) * step
    return list(range(0, last + 1, step))


def count_units(df: pd.DataFrame) -> list[str]:
    """The units of ``df``'s counts (not percentages), most figures first: one chart each."""
    counts = df[df["unit"] != "percent"]
    return list(counts["unit"].value_counts(sort=True).index) if not counts.empty else []


def profile_counts(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.LayerChart:
    """The counts of one region in one unit (call it once per unit of :func:`count_units`): a labelled bar
    per indicator and date, on an axis from 0 titled with the unit, ticks at whole numbers only."""
    counts = df[df["unit"] != "percent"].drop_duplicates(["metric_label", "as_of_label", "kind", "value"])
    units = list(dict.fromkeys(counts["unit"]))
    name = unit(units[0], lang) if len(units) == 1 else ", ".join(unit(u, lang) for u in units)
    data = _prepare(counts, lang).assign(row=[f"{m} · {a}" for m, a in zip(counts["metric_label"], counts["as_of_label"])])
    y = alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=420), sort=None)
    ticks = whole_ticks(float(counts["value"].max()) if not counts.empty else 1.0)
    x = alt.X("value:Q", title=t("axis.count", lang, unit=name), stack=None,  # two sources, same day: overlap, not add
              scale=alt.Scale(domain=[0, ticks[-1]], nice=False),
              axis=alt.Axis(format=",d", values=ticks, labelFlush=True))
    bars = alt.Chart().mark_bar(height=BAR).encode(x=x, y=y, fill=region_fill(), stroke=region_stroke(),
                                                  tooltip=tooltip(lang, metric=True), **status_encoding(lang))
    labels = alt.Chart().mark_text(align="left", dx=4).encode(x=x, y=y, text="value_label:N")
    chart = alt.layer(bars, labels, data=data)
    chart_id = "region-profile-counts" if len(units) != 1 else f"region-profile-counts-{units[0]}"
    return describe(chart, chart_id, title, subtitle, counts, lang)

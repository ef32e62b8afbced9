"""Altair charts comparing the regions, with one look and one set of rules:
every chart states its finding in the title, labels each region's level, names
its sources and their dates in a footer, shows the quote in tooltips, and
formats numbers the Indonesian way (``1.294.548``, ``99,54 %``) unless ``lang="en"``.

:func:`show` displays a chart as Vega-Lite (interactive in JupyterLab) *and* as an
SVG rendered offline by vl-convert with the fonts shipped in ``helpers/fonts``,
so the stored notebooks, nbval and the offline HTML export all see the same chart.
"""

from __future__ import annotations

import textwrap
from functools import cache
from importlib.resources import files
from typing import Any

import altair as alt
import pandas as pd

from helpers.analysis.labels import footer
from helpers.analysis.placement import label_positions
from helpers.i18n import NUMBER_LOCALE, Lang, t, time_locale, unit, word

FONT = "DejaVu Sans"
PALETTE = ["#1b6ca8", "#e07b39", "#3a9d5d", "#8e5ea2", "#c23b22", "#6b6b6b"]
#: Okabe-Ito colours, told apart with every common colour-vision deficiency; shapes differ too.
ROLE_COLORS = {"province": "#333333", "highest": "#0072B2", "lowest": "#E69F00"}
ROLE_SHAPES = {"province": "square", "highest": "triangle-up", "lowest": "triangle-down"}
AGREE_COLORS = ["#0072B2", "#E69F00"]
WIDTH = 560
TOOLTIP_QUOTE = alt.Tooltip("quote:N", title="“…”")


def config(lang: Lang) -> dict[str, Any]:
    """The one theme: font, sizes, colours and the number/time locale of ``lang``."""
    return {
        "font": FONT,
        "locale": {"number": NUMBER_LOCALE[lang], "time": time_locale(lang)},
        "title": {"anchor": "start", "fontSize": 15, "subtitleFontSize": 12, "subtitleColor": "#444", "offset": 12},
        "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e6e6"},
        "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "labelLimit": 320, "columns": 2},
        "range": {"category": PALETTE},
        "view": {"stroke": None},
        "background": "white",
        "padding": 12,
    }


def finish(chart: alt.TopLevelMixin, chart_id: str, title: str, subtitle: str | list[str], data: pd.DataFrame,
           lang: Lang, targets: pd.DataFrame | None = None) -> alt.VConcatChart:
    """Wrap a chart with its finding as title, a footer naming the sources (of the
    figures and of the targets) and their dates, the theme, and ``usermeta.ktpel``
    (read by the exporters for slides)."""
    if targets is not None and not targets.empty:
        data = pd.concat([data, targets], ignore_index=True)
    foot = footer(data, lang)
    foot_lines = textwrap.wrap(foot, 100) or [""]
    subtitle_lines = [subtitle] if isinstance(subtitle, str) else subtitle
    inner = chart.properties(title=alt.TitleParams(foot_lines, orient="bottom", anchor="start", fontSize=10,
                                                   fontWeight="normal", color="#555", offset=14))
    meta = {"ktpel": {"chart_id": chart_id, "title": title, "subtitle": subtitle_lines, "footer": foot,
                      "sources": sorted(set(data["source_id"])) if "source_id" in data else [], "lang": lang}}
    top = alt.vconcat(inner, title=alt.TitleParams(title, subtitle=subtitle_lines), usermeta=meta)
    return top.configure(**config(lang))


def _x_percent(title: str, domain_max: float) -> alt.X:
    return alt.X("value:Q", title=title, scale=alt.Scale(domain=[0, domain_max]), axis=alt.Axis(format=".0f"))


def _target_value(targets: pd.DataFrame) -> float | None:
    return None if targets.empty else float(targets["value"].iloc[0])


def region_comparison(latest: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str,
                      subtitle: str) -> alt.VConcatChart:
    """Horizontal bars of the stated coverage per region (label: region (level) · date), the value inside
    the bar's end, a tick for the figure derived from the same source's counts (labelled above it), and the
    national target only on the bars of its year (labelled with its year)."""
    df = latest.assign(row=[f"{r} · {d}" for r, d in zip(latest["region_label"], latest["as_of_label"])])
    top = max([100.0, *df["value"], *df["derived_value"].dropna()]) + 8
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=340))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("stated", lang)),
           alt.Tooltip("derived_label:N", title=word("derived", lang)), alt.Tooltip("as_of_label:N", title=word("date", lang)),
           alt.Tooltip("source_label:N", title=word("source", lang)), TOOLTIP_QUOTE]
    bars = alt.Chart(df).mark_bar(height=22, color=PALETTE[0]).encode(
        x=_x_percent(t("axis.percent", lang), top), y=y, tooltip=tip)
    labels = alt.Chart(df).mark_text(align="right", dx=-5, fontSize=11, color="white", fontWeight="bold").encode(
        x="value:Q", y=y, text="value_label:N")
    with_derived = df.dropna(subset=["derived_value"]).assign(
        derived_text=lambda d: [t("chart.derived_label", lang, value=v) for v in d["derived_label"]])
    derived = alt.Chart(with_derived).mark_tick(color=PALETTE[1], thickness=3, size=30).encode(
        x="derived_value:Q", y=y, tooltip=tip)
    derived_text = alt.Chart(with_derived).mark_text(align="left", dx=5, dy=-17, fontSize=10, color="#8a4b12").encode(
        x="derived_value:Q", y=y, text="derived_text:N")
    layers: list[alt.Chart] = [bars, labels, derived, derived_text]
    with_target = df.dropna(subset=["target"]) if "target" in df else df.iloc[0:0]
    if not with_target.empty:
        layers.append(alt.Chart(with_target).mark_tick(color="#333", thickness=2, size=30).encode(x="target:Q", y=y))
        layers.append(alt.Chart(with_target).mark_text(align="left", dx=6, fontSize=10, color="#333").encode(
            x="target:Q", y=y, text="target_label:N"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=alt.Step(52))
    return finish(chart, "region-comparison", title, subtitle, latest, lang, targets)


def _percent_domain(values: list[float]) -> tuple[float, float]:
    """The y domain of a percentage chart: from 0 when the values come near it, else cut just below them."""
    lo, hi = min(values), max(values)
    bottom = 0.0 if lo < 30 else float(int(lo // 5 * 5) - 5)
    return bottom, float(int(hi // 5 * 5) + 10)


def _label_priority(df: pd.DataFrame) -> list[int]:
    """Positions of ``df`` in labelling order: each region's last, then first, lowest, highest, the rest."""
    order: list[int] = []
    positions = df.reset_index(drop=True)
    for pick in ("last", "first", "min", "max"):
        for _, g in positions.groupby("region_name", sort=False):
            i = {"last": g.index[-1], "first": g.index[0], "min": g["value"].idxmin(), "max": g["value"].idxmax()}[pick]
            if i not in order:
                order.append(int(i))
    return order + [i for i in range(len(positions)) if i not in order]


def over_time(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """Lines through the dated figures per region; an undated figure as a hollow point at the latest date
    its source allows, labelled as undated; a target drawn over its own year only.  Value labels are placed
    where they fit (:mod:`helpers.analysis.placement`); the axis says when it does not start at 0."""
    height = 300
    color = alt.Color("region_label:N", title=word("region", lang))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), alt.Tooltip("source_label:N", title=word("source", lang)),
           TOOLTIP_QUOTE]
    dates = pd.to_datetime(df["plot_date"])
    x_domain = (dates.min() - pd.Timedelta(days=150), dates.max() + pd.Timedelta(days=150))
    y_domain = _percent_domain([*df["value"], *targets["value"]] if not targets.empty else list(df["value"]))
    y_title = t("axis.percent", lang) + ("" if y_domain[0] == 0 else f" · {t('chart.axis_cut', lang)}")
    x = alt.X("plot_date:T", title=t("axis.date", lang), scale=alt.Scale(domain=[d.isoformat() for d in x_domain], nice=False),
              axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=list(y_domain), nice=False, zero=False))
    dated = df[~df["undated"]].sort_values("plot_date").drop_duplicates(["region_name", "plot_date", "value"])
    undated = df[df["undated"]]
    labelled = pd.concat([dated, undated.assign(
        value_label=[t("chart.undated_label", lang, value=v, date=a) for v, a in zip(undated["value_label"], undated["as_of_label"])])],
        ignore_index=True)
    labelled = label_positions(labelled, "plot_date", "value", "value_label",
                               (x_domain[0].toordinal(), x_domain[1].toordinal()), y_domain, WIDTH, height, 10,
                               _label_priority(labelled), time_x=True)
    shown = labelled[labelled["label_shown"]]
    layers = [alt.Chart(dated).mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
                  x=x, y=y, color=color, tooltip=tip),
              alt.Chart(shown).mark_text(fontSize=10, baseline="middle").encode(
                  x=alt.X("label_x:T", scale=alt.Scale(domain=[d.isoformat() for d in x_domain], nice=False)),
                  y=alt.Y("label_y:Q", scale=alt.Scale(domain=list(y_domain), nice=False, zero=False)),
                  text="value_label:N", color=color)]
    if not undated.empty:
        layers.insert(1, alt.Chart(undated).mark_point(size=110, filled=False, strokeWidth=2, shape="diamond").encode(
            x=x, y=y, color=color, tooltip=tip))
    for tr in targets.itertuples():
        span = pd.DataFrame({"start": [pd.Timestamp(int(tr.year), 1, 1)], "end": [pd.Timestamp(int(tr.year), 12, 31)],
                             "value": [float(tr.value)]})
        layers.append(alt.Chart(span).mark_rule(strokeDash=[5, 3], color="#333", strokeWidth=2).encode(
            x=alt.X("start:T"), x2="end:T", y="value:Q"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=height)
    return finish(chart, "coverage-over-time", title, subtitle, df, lang, targets)


def province_extremes(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str,
                      subtitle: str) -> alt.VConcatChart:
    """Per metric: the province figure, the highest and the lowest kabupaten/kota (colour and shape), and
    the target of that year as a labelled tick."""
    y = alt.Y("metric_label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(domain=[0, 105]))
    roles = [r for r in ("province", "highest", "lowest") if r in set(df["role"])]
    legend = [word(r, lang) for r in roles]
    color = alt.Color("role_label:N", title=None, sort=legend,
                      scale=alt.Scale(domain=legend, range=[ROLE_COLORS[r] for r in roles]))
    shape = alt.Shape("role_label:N", title=None, sort=legend,
                      scale=alt.Scale(domain=legend, range=[ROLE_SHAPES[r] for r in roles]))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), TOOLTIP_QUOTE]
    shown = df[df["role"] != "other"]
    points = alt.Chart(shown).mark_point(size=140, filled=True, opacity=0.9).encode(
        x=x, y=y, color=color, shape=shape, tooltip=tip)
    names = [alt.Chart(shown[shown["role"] == role]).mark_text(dy=dy, fontSize=9).encode(
        x=x, y=y, text="region_name:N", color=color) for role, dy in (("highest", -13), ("lowest", 15))]
    layers: list[alt.Chart] = [points, *names]
    with_target = shown[shown["role"] == "province"].dropna(subset=["target"]) if "target" in shown else shown.iloc[0:0]
    if not with_target.empty:
        layers.append(alt.Chart(with_target).mark_tick(color="#333", thickness=2, size=34).encode(x="target:Q", y=y))
        layers.append(alt.Chart(with_target).mark_text(dy=-25, fontSize=9, color="#333").encode(
            x="target:Q", y=y, text="target_label:N"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=alt.Step(60))
    return finish(chart, "kabupaten-kota-extremes", title, subtitle, df, lang, targets)


def progress(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """Bars of IKD / KIA figures (stated and derived, by date) against the target of each figure's year;
    a figure two sources state alike is drawn once."""
    df = df.assign(row=[f"{m} · {r} · {a}" for m, r, a in zip(df["metric_label"], df["region_name"], df["as_of_label"])])
    df = df.drop_duplicates(["row", "value", "kind"])
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=480))
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(domain=[0, max([100.0, *df["value"]])]))
    color = alt.Color("kind_label:N", title=word("kind", lang), scale=alt.Scale(range=AGREE_COLORS))
    tip = [alt.Tooltip("value_label:N", title=word("value", lang)), alt.Tooltip("kind_label:N", title=word("kind", lang)),
           alt.Tooltip("source_label:N", title=word("source", lang)), TOOLTIP_QUOTE]
    bars = alt.Chart(df).mark_bar(height=20).encode(x=x, y=y, color=color, tooltip=tip)
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=11).encode(x=x, y=y, text="value_label:N")
    with_target = df.dropna(subset=["target"])
    target = alt.Chart(with_target).mark_tick(color="#333", thickness=2, size=30).encode(x="target:Q", y=y)
    target_text = alt.Chart(with_target).mark_text(align="left", dx=5, dy=-13, fontSize=9, color="#333").encode(
        x="target:Q", y=y, text="target_label:N")
    chart = alt.layer(bars, text, target, target_text).properties(width=WIDTH, height=alt.Step(40))
    return finish(chart, "ikd-kia-progress", title, subtitle, df, lang, targets)


def stated_vs_derived(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """The gap (stated − derived, in percentage points) of each exactly checkable stated figure."""
    df = df.assign(row=[f"{r} · {m} · {a} · {s}" for r, m, a, s in
                        zip(df["region_name"], df["metric_label"], df["as_of_label"], df["source_name"])],
                   status=[("✔ " if a else "✘ ") + d for a, d in zip(df["agrees"], df["difference_label"])])
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=640))
    color = alt.Color("agrees:N", title=None, scale=alt.Scale(domain=[True, False], range=AGREE_COLORS), legend=None)
    bars = alt.Chart(df).mark_bar(height=16).encode(
        x=alt.X("difference:Q", title=t("axis.difference_points", lang)), y=y, color=color,
        tooltip=["stated_value:Q", "derived_value:Q", "difference:Q", "formula:N", TOOLTIP_QUOTE])
    text = alt.Chart(df).mark_text(align="left", dx=6, fontSize=11).encode(x=alt.value(WIDTH), y=y, text="status:N")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#333").encode(x="x:Q")
    chart = alt.layer(bars, zero, text).properties(width=WIDTH, height=alt.Step(36))
    return finish(chart, "stated-vs-derived", title, subtitle, df, lang)


def profile(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """Every figure of one region: percentages on one shared axis (points by date,
    stated and derived), counts as labelled bars, one row per indicator with its own scale."""
    tip = [alt.Tooltip("metric_label:N", title=word("metric", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), alt.Tooltip("source_label:N", title=word("source", lang)),
           TOOLTIP_QUOTE]
    df = df.assign(kind_label=[word(k, lang) for k in df["kind"]])  # type: ignore[arg-type]
    parts: list[alt.TopLevelMixin] = []
    pct = df[df["unit"] == "percent"]
    if not pct.empty:
        y = alt.Y("metric_label:N", title=None, axis=alt.Axis(labelLimit=300))
        x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(domain=[0, max([100.0, *pct["value"]]) + 5]))
        color = alt.Color("as_of_label:N", title=word("date", lang), sort=None)
        shape = alt.Shape("kind_label:N", title=word("kind", lang))
        points = alt.Chart(pct).mark_point(size=120, filled=True).encode(x=x, y=y, color=color, shape=shape, tooltip=tip)
        latest = (pct[pct["as_of"].notna()].assign(stated=pct["kind"] == "stated").sort_values(["as_of", "stated"])
                  .groupby("metric_label").tail(1))
        texts = [alt.Chart(latest).mark_text(dy=-14, fontSize=10).encode(x=x, y=y, text="value_label:N")]
        parts.append(alt.layer(points, *texts).properties(width=WIDTH, height=alt.Step(52)))
    counts = df[df["unit"] != "percent"]
    if not counts.empty:
        counts = counts.drop_duplicates(["metric_label", "as_of_label", "kind", "value"])
        counts = counts.assign(
            row=[f"{m} · {a}" + ("" if k == "stated" else f" ({word('derived', lang)})")
                 for m, a, k in zip(counts["metric_label"], counts["as_of_label"], counts["kind"])],
            unit_label=[unit(u, lang) for u in counts["unit"]])  # type: ignore[arg-type]
        base = alt.Chart().encode(
            x=alt.X("value:Q", title=None, axis=alt.Axis(format=",.0f", tickCount=3, labelFlush=True)),
            y=alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=520), sort=None))
        bars = base.mark_bar(height=16, color=PALETTE[0]).encode(tooltip=tip)
        labels = base.mark_text(align="left", dx=4, fontSize=11).encode(text="value_label:N")
        parts.append(alt.layer(bars, labels, data=counts).properties(width=WIDTH - 200, height=alt.Step(24))
                     .facet(row=alt.Row("unit_label:N", title=None, header=alt.Header(
                         labelAngle=0, labelAlign="left", labelFontWeight="bold", labelOrient="top")))
                     .resolve_scale(x="independent", y="independent"))
    chart = parts[0] if len(parts) == 1 else alt.vconcat(*parts, spacing=24)
    return finish(chart, "region-profile", title, subtitle, df, lang)


def spread(df: pd.DataFrame, targets: pd.DataFrame, sources: pd.DataFrame, lang: Lang, title: str,
           subtitle: str) -> alt.VConcatChart:
    """The kabupaten/kota of each month as a band (10th to 90th percentile) around the median, with the
    lowest and highest as thin ticks; only the aggregated rows are in the spec, however large the snapshot."""
    x = alt.X("period:T", title=t("axis.date", lang), axis=alt.Axis(format="%b %Y"))
    y = alt.Y("median:Q", title=t("axis.percent", lang) + f" · {t('chart.axis_cut', lang)}",
              scale=alt.Scale(zero=False, padding=10))
    tip = [alt.Tooltip("period_label:N", title=word("date", lang)), alt.Tooltip("n:Q", title="n"),
           alt.Tooltip("median_label:N", title="median"), alt.Tooltip("p10_label:N", title="p10"),
           alt.Tooltip("p90_label:N", title="p90"), alt.Tooltip("lo_label:N", title="min"),
           alt.Tooltip("hi_label:N", title="max")]
    data = df.drop(columns=["source_ids", "files"]).assign(period=lambda d: pd.to_datetime(d["period"]))
    base = alt.Chart(data)
    layers = [base.mark_area(opacity=0.25, color=PALETTE[0]).encode(x=x, y=alt.Y("p10:Q"), y2="p90:Q"),
              base.mark_tick(color="#888", thickness=1, size=10).encode(x=x, y="lo:Q", tooltip=tip),
              base.mark_tick(color="#888", thickness=1, size=10).encode(x=x, y="hi:Q", tooltip=tip),
              base.mark_line(point=alt.OverlayMarkDef(size=50, filled=True), color=PALETTE[0]).encode(
                  x=x, y=y, tooltip=tip)]
    target = _target_value(targets)
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"value": [target]})).mark_rule(strokeDash=[5, 3], color="#333")
                      .encode(y="value:Q"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=300)
    return finish(chart, "kabupaten-kota-spread", title, subtitle, sources, lang, targets)


@cache
def register_fonts() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(files("helpers") / "fonts"))


def to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG offline (vl-convert), with the shipped fonts; nothing is fetched."""
    import vl_convert as vlc

    register_fonts()
    return str(vlc.vegalite_to_svg(spec, allowed_base_urls=[]))


def show(chart: alt.TopLevelMixin) -> None:
    """Display ``chart`` as Vega-Lite for JupyterLab plus an SVG for every other
    viewer (and nbval, and the HTML export); no random element ids."""
    from IPython.display import display

    spec = chart.to_dict()
    title = spec.get("usermeta", {}).get("ktpel", {}).get("title", "chart")
    display({f"application/vnd.vegalite.v{alt.SCHEMA_VERSION.split('.')[0].lstrip('v')}+json": spec,
             "image/svg+xml": to_svg(spec), "text/plain": f"<Altair chart: {title}>"}, raw=True)

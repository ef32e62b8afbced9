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
from helpers.i18n import NUMBER_LOCALE, Lang, time_locale, unit, word

FONT = "DejaVu Sans"
PALETTE = ["#1b6ca8", "#e07b39", "#3a9d5d", "#8e5ea2", "#c23b22", "#6b6b6b"]
ROLE_COLORS = {"province": "#1b6ca8", "highest": "#3a9d5d", "lowest": "#c23b22"}
WIDTH = 560
TOOLTIP_QUOTE = alt.Tooltip("quote:N", title="Kutipan / Quote")


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
    """Horizontal bars of the stated coverage per region (label: region (level) · date),
    a tick for the figure derived from the same source's counts, the target as a rule."""
    df = latest.assign(row=[f"{r} · {d}" for r, d in zip(latest["region_label"], latest["as_of_label"])])
    top = max([100.0, *df["value"], *df["derived_value"].dropna()]) + 8
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=340))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("stated", lang)),
           alt.Tooltip("derived_label:N", title=word("derived", lang)), alt.Tooltip("as_of_label:N", title=word("date", lang)),
           alt.Tooltip("source_label:N", title=word("source", lang)), TOOLTIP_QUOTE]
    bars = alt.Chart(df).mark_bar(height=22, color=PALETTE[0]).encode(
        x=_x_percent(f"{word('stated', lang)} (%)", top), y=y, tooltip=tip)
    labels = alt.Chart(df).mark_text(align="left", dx=4, fontSize=11).encode(
        x="value:Q", y=y, text="value_label:N")
    derived = alt.Chart(df.dropna(subset=["derived_value"])).mark_tick(color=PALETTE[1], thickness=3, size=30).encode(
        x="derived_value:Q", y=y, tooltip=tip)
    derived_text = alt.Chart(df.dropna(subset=["derived_value"])).mark_text(
        align="left", dx=5, dy=-16, fontSize=10, color=PALETTE[1]).encode(
        x="derived_value:Q", y=y, text=alt.Text("derived_text:N"))
    df_derived = df.dropna(subset=["derived_value"]).assign(
        derived_text=lambda d: [f"{word('derived', lang)}: {v}" for v in d["derived_label"]])
    derived_text = derived_text.properties(data=df_derived)
    layers: list[alt.Chart] = [bars, labels, derived, derived_text]
    target = _target_value(targets)
    if target is not None:
        rule = pd.DataFrame({"value": [target], "label": [f"{word('target', lang)} {target:g} %"]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[5, 3], color="#333").encode(x="value:Q"))
        layers.append(alt.Chart(rule).mark_text(align="right", dx=-4, dy=-4, fontSize=10, baseline="bottom").encode(
            x="value:Q", y=alt.value(0), text="label:N"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=alt.Step(44))
    return finish(chart, "region-comparison", title, subtitle, latest, lang, targets)


def over_time(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """Lines through the dated figures per region; an undated figure as a hollow
    point at the latest date its source allows, labelled as undated."""
    color = alt.Color("region_label:N", title=word("region", lang))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), alt.Tooltip("source_label:N", title=word("source", lang)),
           TOOLTIP_QUOTE]
    x = alt.X("plot_date:T", title=word("date", lang), axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("value:Q", title="%", scale=alt.Scale(zero=False, padding=10))
    dated = df[~df["undated"]]
    undated = df[df["undated"]]
    layers = [alt.Chart(dated).mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
                  x=x, y=y, color=color, tooltip=tip),
              alt.Chart(dated).mark_text(dy=-12, fontSize=10).encode(x=x, y=y, text="value_label:N", color=color)]
    if not undated.empty:
        layers += [alt.Chart(undated).mark_point(size=110, filled=False, strokeWidth=2, shape="diamond").encode(
                       x=x, y=y, color=color, tooltip=tip),
                   alt.Chart(undated.assign(txt=[f"{v} · {a}" for v, a in zip(undated["value_label"], undated["as_of_label"])])
                             ).mark_text(dy=16, fontSize=10, fontStyle="italic").encode(x=x, y=y, text="txt:N", color=color)]
    target = _target_value(targets)
    if target is not None:
        layers.append(alt.Chart(pd.DataFrame({"value": [target]})).mark_rule(strokeDash=[5, 3], color="#333").encode(y="value:Q"))
    chart = alt.layer(*layers).properties(width=WIDTH, height=300)
    return finish(chart, "coverage-over-time", title, subtitle, df, lang, targets)


def province_extremes(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str,
                      subtitle: str) -> alt.VConcatChart:
    """Per metric: the province figure, the highest and the lowest kabupaten/kota, and the target."""
    y = alt.Y("metric_label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    x = alt.X("value:Q", title="%", scale=alt.Scale(domain=[0, 105]))
    roles = [r for r in ("province", "highest", "lowest") if r in set(df["role"])]
    color = alt.Color("role_label:N", title=None, sort=[word(r, lang) for r in roles],
                      scale=alt.Scale(domain=[word(r, lang) for r in roles], range=[ROLE_COLORS[r] for r in roles]))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), TOOLTIP_QUOTE]
    points = alt.Chart(df).mark_point(size=140, filled=True, opacity=0.9).encode(x=x, y=y, color=color, tooltip=tip)
    names = [alt.Chart(df[df["role"] == role]).mark_text(dy=dy, fontSize=9).encode(
        x=x, y=y, text="region_name:N", color=color) for role, dy in (("highest", -13), ("lowest", 15))]
    layers: list[alt.Chart] = [points, *names]
    if not targets.empty:
        tdf = targets[["metric_label", "value"]]
        layers.append(alt.Chart(tdf).mark_tick(color="#333", thickness=2, size=34).encode(x=x, y=y))
    chart = alt.layer(*layers).properties(width=WIDTH, height=alt.Step(56))
    return finish(chart, "kabupaten-kota-extremes", title, subtitle, df, lang, targets)


def progress(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """Bars of IKD / KIA figures (stated and derived, by date) against their targets."""
    df = df.assign(row=[f"{m} · {r} · {a}" for m, r, a in zip(df["metric_label"], df["region_name"], df["as_of_label"])])
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=380))
    x = alt.X("value:Q", title="%", scale=alt.Scale(domain=[0, max([100.0, *df["value"]])]))
    color = alt.Color("kind_label:N", title=word("kind", lang))
    tip = [alt.Tooltip("value_label:N", title=word("value", lang)), alt.Tooltip("kind_label:N", title=word("kind", lang)),
           alt.Tooltip("source_label:N", title=word("source", lang)), TOOLTIP_QUOTE]
    bars = alt.Chart(df).mark_bar(height=20).encode(x=x, y=y, color=color, tooltip=tip)
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=11).encode(x=x, y=y, text="value_label:N")
    target = alt.Chart(df.dropna(subset=["target"])).mark_tick(color="#333", thickness=2, size=30).encode(
        x="target:Q", y=y)
    target_text = alt.Chart(df.dropna(subset=["target"]).assign(
        t=lambda d: [f"{word('target', lang)} {v:g} %" for v in d["target"]])).mark_text(
        align="left", dx=5, dy=-13, fontSize=9, color="#333").encode(x="target:Q", y=y, text="t:N")
    chart = alt.layer(bars, text, target, target_text).properties(width=WIDTH, height=alt.Step(40))
    return finish(chart, "ikd-kia-progress", title, subtitle, df, lang, targets)


def stated_vs_derived(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """The gap (stated − derived) of each stated figure that can be checked, with the tolerance band."""
    df = df.assign(row=[f"{r} · {m}" for r, m in zip(df["region_name"], df["metric_label"])],
                   status=[("✔ " if a else "✘ ") + (f"{d:+.2f}".replace(".", ",") if lang == "id" else f"{d:+.2f}")
                           for a, d in zip(df["agrees"], df["difference"])])
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=380))
    color = alt.Color("agrees:N", title=None, scale=alt.Scale(domain=[True, False], range=["#3a9d5d", "#c23b22"]),
                      legend=None)
    bars = alt.Chart(df).mark_bar(height=16).encode(
        x=alt.X("difference:Q", title=f"{word('stated', lang)} − {word('derived', lang)}"), y=y, color=color,
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
        x = alt.X("value:Q", title="%", scale=alt.Scale(domain=[0, max([100.0, *pct["value"]]) + 5]))
        color = alt.Color("as_of_label:N", title=word("date", lang), sort=None)
        shape = alt.Shape("kind_label:N", title=word("kind", lang))
        points = alt.Chart(pct).mark_point(size=120, filled=True).encode(x=x, y=y, color=color, shape=shape, tooltip=tip)
        texts = [alt.Chart(pct[pct["kind"] == kind]).mark_text(dy=dy, fontSize=10).encode(x=x, y=y, text="value_label:N")
                 for kind, dy in (("stated", -13), ("derived", 15))]
        parts.append(alt.layer(points, *texts).properties(width=WIDTH, height=alt.Step(52)))
    counts = df[df["unit"] != "percent"]
    if not counts.empty:
        counts = counts.assign(
            row=[f"{m} · {a}" + ("" if k == "stated" else f" ({word('derived', lang)})")
                 for m, a, k in zip(counts["metric_label"], counts["as_of_label"], counts["kind"])],
            unit_label=[unit(u, lang) for u in counts["unit"]])  # type: ignore[arg-type]
        base = alt.Chart().encode(
            x=alt.X("value:Q", title=None, axis=None),
            y=alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=380), sort=None))
        bars = base.mark_bar(height=16, color=PALETTE[0]).encode(tooltip=tip)
        labels = base.mark_text(align="left", dx=4, fontSize=11).encode(text="value_label:N")
        parts.append(alt.layer(bars, labels, data=counts).properties(width=WIDTH - 200, height=alt.Step(24))
                     .facet(row=alt.Row("unit_label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")))
                     .resolve_scale(x="independent", y="independent"))
    chart = parts[0] if len(parts) == 1 else alt.vconcat(*parts, spacing=24)
    return finish(chart, "region-profile", title, subtitle, df, lang)


def spread(df: pd.DataFrame, targets: pd.DataFrame, sources: pd.DataFrame, lang: Lang, title: str,
           subtitle: str) -> alt.VConcatChart:
    """The kabupaten/kota of each month as a band (10th to 90th percentile) around the median, with the
    lowest and highest as thin ticks; only the aggregated rows are in the spec, however large the snapshot."""
    x = alt.X("period:T", title=word("date", lang), axis=alt.Axis(format="%b %Y"))
    y = alt.Y("median:Q", title="%", scale=alt.Scale(zero=False, padding=10))
    tip = [alt.Tooltip("period_label:N", title=word("date", lang)), alt.Tooltip("n:Q", title="n"),
           alt.Tooltip("median_label:N", title="median"), alt.Tooltip("p10_label:N", title="p10"),
           alt.Tooltip("p90_label:N", title="p90"), alt.Tooltip("lo_label:N", title="min"),
           alt.Tooltip("hi_label:N", title="max")]
    data = df.drop(columns=["source_ids", "files"]).assign(period=lambda d: pd.to_datetime(d["period"]))
    base = alt.Chart(data)
    layers = [base.mark_area(opacity=0.25, color=PALETTE[0]).encode(x=x, y=alt.Y("p10:Q", title="%"), y2="p90:Q"),
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

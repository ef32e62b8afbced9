"""Altair charts comparing the regions.  Each helper returns a plain ``alt.LayerChart``: its layers
share one data set (so ``.facet(...)`` works), it carries no config (the look is the Altair theme of
:mod:`helpers.analysis.theme`), and it can be resized (``.properties(width=900)``), layered
(``a + b``) and re-encoded like any chart.  What it says is in standard properties: the finding as
``title`` (with the dates as subtitle), the sources and their dates as ``description``, the chart
id in a ``chart_id`` column of its data.  Tooltips give the value, date, source and the source's exact quote.  Each region
is drawn in its own colour (:func:`helpers.analysis.theme.region_color`) and each figure's status
(stated, derived, approximate, undated) in one look everywhere.

:func:`show` displays any chart as Vega-Lite v5 (drawn by JupyterLab's own renderer, interactive,
even in an untrusted notebook and offline) plus an SVG rendered offline by vl-convert with the fonts
shipped in ``helpers/fonts`` for every other viewer, nbval and the HTML export.
"""

from __future__ import annotations

import math
import re
import textwrap
from functools import cache
from importlib.resources import files
from typing import Any

import altair as alt
import pandas as pd

from helpers.analysis import theme
from helpers.analysis.labels import footer
from helpers.analysis.placement import label_positions
from helpers.analysis.theme import NEUTRAL, region_fill, region_stroke, status_encoding, with_region_colors, with_status
from helpers.i18n import Lang, t, word

ROLE_SHAPES = {"province": "square", "highest": "triangle-up", "lowest": "triangle-down"}
#: Okabe-Ito colours of a check's outcome (agrees, does not), told apart with every common colour-vision deficiency.
AGREE_COLORS = ["#0072B2", "#E69F00"]
SOURCE_COLUMNS = ("source_id", "target_source_id", "source_ids")
#: Bars fill this share of their row (rows are the theme's step high), so charts need no size of their own.
BAR = alt.RelativeBandSize(0.55)


def tooltip(lang: Lang, *, region: bool = True, metric: bool = False) -> list[alt.Tooltip]:
    """Value, date, source and quote (and the region or the indicator)."""
    tips = [alt.Tooltip("region_label:N", title=word("region", lang))] if region else []
    tips += [alt.Tooltip("metric_label:N", title=word("metric", lang))] if metric else []
    return tips + [alt.Tooltip("value_label:N", title=word("value", lang)),
                   alt.Tooltip("status_label:N", title=word("kind", lang)),
                   alt.Tooltip("as_of_label:N", title=word("date", lang)),
                   alt.Tooltip("source_label:N", title=word("source", lang)),
                   alt.Tooltip("quote:N", title=word("quote", lang))]


def describe(chart: alt.LayerChart, chart_id: str, title: str, subtitle: str | list[str], data: pd.DataFrame,
             lang: Lang, targets: pd.DataFrame | None = None) -> alt.LayerChart:
    """Give ``chart`` its finding (``title`` + ``subtitle``), its id (``chart_id`` column) and its sources with
    their dates (``description``, drawn as the footer by :func:`show`)."""
    if targets is not None and not targets.empty:
        data = pd.concat([data, targets], ignore_index=True)
    subtitle_lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    if isinstance(chart.data, pd.DataFrame):  # the id travels with the data: through layers and facets
        chart = chart.properties(data=chart.data.assign(chart_id=chart_id))
    return chart.properties(title=alt.TitleParams(title, subtitle=subtitle_lines), description=footer(data, lang))


def _prepare(df: pd.DataFrame, lang: Lang, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    theme.use(lang)
    out = with_status(with_region_colors(df), lang) if "region_code" in df else with_status(df, lang)
    if targets is not None and not targets.empty:
        out = out.assign(target_source_id=targets["source_id"].iloc[0])
    return out


def _target(targets: pd.DataFrame) -> float | None:
    return None if targets.empty else float(targets["value"].iloc[0])


def _target_rule(value: float, channel: str) -> alt.Chart:
    enc = {channel: alt.datum(value)}
    return alt.Chart().mark_rule(strokeDash=[5, 3], color=NEUTRAL).encode(**enc)


def region_comparison(latest: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str,
                      subtitle: str) -> alt.LayerChart:
    """A bar per region (label: region (level) · date) to its stated coverage with the value inside the
    bar's end, a hollow point at the figure derived from the same source's counts (labelled above it), and
    the national target only on the bars of its year (a tick labelled with its year)."""
    df = _prepare(latest, lang, targets).assign(
        row=[f"{r} · {d}" for r, d in zip(latest["region_label"], latest["as_of_label"])],
        derived_text=[None if pd.isna(v) else t("chart.derived_label", lang, value=v) for v in latest["derived_label"]],
        derived_status=theme.STATUS_LABELS[lang]["derived"])
    top = max([100.0, *df["value"], *df["derived_value"].dropna()]) + 8
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=340))
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(domain=[0, top]), axis=alt.Axis(format=".0f"),
              stack=None)
    tip = tooltip(lang) + [alt.Tooltip("derived_label:N", title=word("derived", lang))]
    status = status_encoding(lang)
    bars = alt.Chart().mark_bar(height=BAR).encode(x=x, y=y, fill=region_fill(), stroke=region_stroke(), tooltip=tip, **status)
    on_bar = alt.condition("datum.status == 'stated'", alt.value("white"), alt.value(NEUTRAL))
    labels = alt.Chart().mark_text(align="right", dx=-5, fontWeight="bold").encode(
        x="value:Q", y=y, text="value_label:N", color=on_bar)
    has_derived = "isValid(datum.derived_value)"
    derived_status = status_encoding(lang, field="derived_status")
    derived = alt.Chart().mark_point(shape="circle", size=170, filled=True).transform_filter(has_derived).encode(
        x="derived_value:Q", y=y, fill=region_fill(), stroke=region_stroke(), tooltip=tip, **derived_status)
    derived_text = alt.Chart().mark_text(align="left", dx=5, dy=-19, fontSize=10).transform_filter(has_derived).encode(
        x="derived_value:Q", y=y, text="derived_text:N")
    layers: list[alt.Chart] = [bars, labels, derived, derived_text]
    if "target" in df and df["target"].notna().any():
        has_target = "isValid(datum.target)"
        layers.append(alt.Chart().mark_tick(color=NEUTRAL, thickness=2, size=30).transform_filter(has_target).encode(
            x="target:Q", y=y))
        layers.append(alt.Chart().mark_text(align="left", dx=6, fontSize=10, color=NEUTRAL).transform_filter(
            has_target).encode(x="target:Q", y=y, text="target_label:N"))
    chart = alt.layer(*layers, data=df).properties(height=alt.Step(52))
    return describe(chart, "region-comparison", title, subtitle, latest, lang, targets)


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


def _over_time_labels(data: pd.DataFrame, lang: Lang, x_domain: tuple[pd.Timestamp, pd.Timestamp],
                      y_domain: tuple[float, float], height: float) -> pd.DataFrame:
    """``data`` (sorted by date) with ``label_text`` (the value; each region's last dated figure also names the
    region, an undated one says what is known) placed where it fits: ``label_x``, ``label_y``, ``label_shown``."""
    last = data[~data["undated"]].groupby("region_code").tail(1).index
    text = [t("chart.undated_label", lang, value=v, date=a) if u else f"{n}: {v}" if i in last else v
            for i, v, a, u, n in zip(data.index, data["value_label"], data["as_of_label"], data["undated"], data["region_name"])]
    data = data.assign(label_text=text)
    once = ~data.duplicated(["region_name", "plot_date", "value"])
    placed = label_positions(data[once].reset_index(drop=True), "plot_date", "value", "label_text",
                             (x_domain[0].toordinal(), x_domain[1].toordinal()), y_domain, theme.WIDTH, height, 10,
                             _label_priority(data[once]), time_x=True)
    placed.index = data.index[once]
    return data.assign(label_x=placed["label_x"], label_y=placed["label_y"],
                       label_shown=placed["label_shown"].reindex(data.index, fill_value=False).astype(bool))


def over_time(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.LayerChart:
    """A line per region through its dated figures, the region named at its last figure; an undated figure
    at the latest date its source allows, drawn as undated and labelled with what is known; a target drawn
    over its own year only.  Value labels go where they fit (:mod:`helpers.analysis.placement`); the axis
    says when it does not start at 0."""
    height = 300
    data = _prepare(df, lang, targets).assign(plot_date=lambda d: pd.to_datetime(d["plot_date"])).sort_values(
        "plot_date", kind="stable")
    x_domain = (data["plot_date"].min() - pd.Timedelta(days=150), data["plot_date"].max() + pd.Timedelta(days=150))
    y_domain = _percent_domain([*data["value"], *targets["value"]] if not targets.empty else list(data["value"]))
    data = _over_time_labels(data, lang, x_domain, y_domain, height)
    y_title = t("axis.percent", lang) + ("" if y_domain[0] == 0 else f" · {t('chart.axis_cut', lang)}")
    x_scale = alt.Scale(domain=[d.isoformat() for d in x_domain], nice=False)
    y_scale = alt.Scale(domain=list(y_domain), nice=False, zero=False)
    x = alt.X("plot_date:T", title=t("axis.date", lang), scale=x_scale, axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("value:Q", title=y_title, scale=y_scale)
    layers = [alt.Chart().mark_line().transform_filter("!datum.undated").encode(x=x, y=y, stroke=region_stroke(),
                                                                                detail="region_code:N"),
              alt.Chart().mark_point().encode(x=x, y=y, fill=region_fill(), stroke=region_stroke(),
                                              tooltip=tooltip(lang), **status_encoding(lang)),
              alt.Chart().mark_text(fontSize=10, baseline="middle").transform_filter("datum.label_shown").encode(
                  x=alt.X("label_x:T", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale), text="label_text:N",
                  fill=region_fill())]
    for tr in targets.itertuples():
        year = int(tr.year)
        layers.append(alt.Chart().mark_rule(strokeDash=[5, 3], color=NEUTRAL, strokeWidth=2).encode(
            x=alt.datum(alt.DateTime(year=year, month=1, date=1)), x2=alt.datum(alt.DateTime(year=year, month=12, date=31)),
            y=alt.datum(float(tr.value))))
    chart = alt.layer(*layers, data=data).properties(height=height)
    return describe(chart, "coverage-over-time", title, subtitle, df, lang, targets)


def province_extremes(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str,
                      subtitle: str) -> alt.LayerChart:
    """Per metric: the province, its highest and lowest kabupaten/kota (each in its region's colour, the
    role as the point's shape), and the target of that year as a labelled tick."""
    data = _prepare(df[df["role"] != "other"], lang, targets)
    y = alt.Y("metric_label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260))
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(domain=[0, 105]))
    roles = list(ROLE_SHAPES)
    shape = alt.Shape("role_label:N", title=None, scale=alt.Scale(domain=[word(r, lang) for r in roles],
                                                                  range=[ROLE_SHAPES[r] for r in roles]))
    points = alt.Chart().mark_point(size=150).encode(x=x, y=y, shape=shape, fill=region_fill(), stroke=region_stroke(),
                                                     tooltip=tooltip(lang, metric=True), **status_encoding(lang))
    names = [alt.Chart().mark_text(dy=dy, fontSize=9).transform_filter(alt.datum.role == role).encode(
        x=x, y=y, text="region_name:N") for role, dy in (("highest", -13), ("lowest", 15))]
    layers: list[alt.Chart] = [points, *names]
    if "target" in data and data["target"].notna().any():
        has_target = "datum.role == 'province' && isValid(datum.target)"
        layers.append(alt.Chart().mark_tick(color=NEUTRAL, thickness=2, size=34).transform_filter(has_target).encode(
            x="target:Q", y=y))
        layers.append(alt.Chart().mark_text(dy=-25, fontSize=9, color=NEUTRAL).transform_filter(has_target).encode(
            x="target:Q", y=y, text="target_label:N"))
    chart = alt.layer(*layers, data=data).properties(height=alt.Step(60))
    return describe(chart, "kabupaten-kota-extremes", title, subtitle, df, lang, targets)


def progress(df: pd.DataFrame, targets: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.LayerChart:
    """Bars of IKD / KIA figures (a derived figure hollow) against the target of each figure's year (ticks);
    a figure two sources state alike is drawn once."""
    df = df.assign(row=[f"{m} · {r} · {a}" for m, r, a in zip(df["metric_label"], df["region_name"], df["as_of_label"])])
    data = _prepare(df.drop_duplicates(["row", "value", "kind"]), lang, targets)  # two sources alike: drawn once
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=480))
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(domain=[0, max([100.0, *df["value"]])]), stack=None)
    has_target = "isValid(datum.target)"
    bars = alt.Chart().mark_bar(height=BAR).encode(x=x, y=y, fill=region_fill(), stroke=region_stroke(),
                                                  tooltip=tooltip(lang, metric=True), **status_encoding(lang))
    text = alt.Chart().mark_text(align="left", dx=4).encode(x=x, y=y, text="value_label:N")
    target = alt.Chart().mark_tick(color=NEUTRAL, thickness=2, size=30).transform_filter(has_target).encode(
        x="target:Q", y=y)
    target_text = alt.Chart().mark_text(align="left", dx=5, dy=-13, fontSize=9, color=NEUTRAL).transform_filter(
        has_target).encode(x="target:Q", y=y, text="target_label:N")
    chart = alt.layer(bars, text, target, target_text, data=data)
    return describe(chart, "ikd-kia-progress", title, subtitle, df, lang, targets)


def stated_vs_derived(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.LayerChart:
    """The gap (stated − derived, in percentage points) of each exactly checkable stated figure (a bar in the
    region's colour), and whether it is within the tolerance (✔ / ✘ with the gap, in a colour-blind-safe pair)."""
    data = _prepare(df, lang).assign(
        row=[f"{r} · {m} · {a} · {s}" for r, m, a, s in
             zip(df["region_name"], df["metric_label"], df["as_of_label"], df["source_name"])],
        status_text=[("✔ " if a else "✘ ") + d for a, d in zip(df["agrees"], df["difference_label"])])
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=640))
    tip = [alt.Tooltip("stated_label:N", title=word("stated", lang)), alt.Tooltip("derived_label:N", title=word("derived", lang)),
           alt.Tooltip("difference:Q", format="+.2f"), alt.Tooltip("formula_label:N", title=t("column.formula_label", lang)), alt.Tooltip("quote:N", title=word("quote", lang))]
    bars = alt.Chart().mark_bar(height=BAR).encode(
        x=alt.X("difference:Q", title=t("axis.difference_points", lang), stack=None), y=y,
        fill=region_fill(), stroke=region_stroke(), tooltip=tip)
    agrees = alt.Color("agrees:N", title=None, legend=None, scale=alt.Scale(domain=[True, False], range=AGREE_COLORS))
    text = alt.Chart().mark_text(align="left", dx=6, fontWeight="bold").encode(
        x=alt.value(theme.WIDTH), y=y, text="status_text:N", color=agrees)
    zero = alt.Chart().mark_rule(color=NEUTRAL).encode(x=alt.datum(0))
    chart = alt.layer(bars, zero, text, data=data)
    return describe(chart, "stated-vs-derived", title, subtitle, df, lang)


def spread(df: pd.DataFrame, targets: pd.DataFrame, sources: pd.DataFrame, lang: Lang, title: str,
           subtitle: str) -> alt.LayerChart:
    """The kabupaten/kota of each month as a band (10th to 90th percentile) around the median, with the
    lowest and highest as thin ticks; only the aggregated rows are in the spec, however large the snapshot."""
    theme.use(lang)
    x = alt.X("period:T", title=t("axis.date", lang), axis=alt.Axis(format="%b %Y"))
    y = alt.Y("median:Q", title=t("axis.percent", lang) + f" · {t('chart.axis_cut', lang)}",
              scale=alt.Scale(zero=False, padding=10))
    tip = [alt.Tooltip("period_label:N", title=word("date", lang)), alt.Tooltip("n:Q", title="n"),
           alt.Tooltip("median_label:N", title="median"), alt.Tooltip("p10_label:N", title="p10"),
           alt.Tooltip("p90_label:N", title="p90"), alt.Tooltip("lo_label:N", title="min"),
           alt.Tooltip("hi_label:N", title="max")]
    data = df.drop(columns=["source_ids", "files"]).assign(
        period=lambda d: pd.to_datetime(d["period"]), source_ids="; ".join(sorted(set(sources.get("source_id", [])))))
    layers = [alt.Chart().mark_area(opacity=0.25).encode(x=x, y=alt.Y("p10:Q"), y2="p90:Q"),
              alt.Chart().mark_tick(color="#888", thickness=1, size=10).encode(x=x, y="lo:Q", tooltip=tip),
              alt.Chart().mark_tick(color="#888", thickness=1, size=10).encode(x=x, y="hi:Q", tooltip=tip),
              alt.Chart().mark_line(point=alt.OverlayMarkDef(size=50, filled=True)).encode(x=x, y=y, tooltip=tip)]
    target = _target(targets)
    if target is not None:
        layers.append(_target_rule(target, "y"))
    chart = alt.layer(*layers, data=data)
    return describe(chart, "kabupaten-kota-spread", title, subtitle, sources, lang, targets)


# --------------------------------------------------------------------------- display and rendering


@cache
def register_fonts() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(files("helpers") / "fonts"))


def vegalite_version(spec: dict[str, Any]) -> str | None:
    """``5.20`` for a spec whose ``$schema`` is Vega-Lite v5.20.x, if vl-convert knows that version."""
    import vl_convert as vlc

    m = re.search(r"/v(\d+)\.(\d+)", str(spec.get("$schema", "")))
    version = f"{m[1]}.{m[2]}" if m else None
    return version if version in vlc.get_vegalite_versions() else None


def to_svg(spec: dict[str, Any]) -> str:
    """Render a Vega-Lite spec to SVG offline (vl-convert), with the shipped fonts; nothing is fetched."""
    import vl_convert as vlc

    register_fonts()
    return str(vlc.vegalite_to_svg(spec, vl_version=vegalite_version(spec), allowed_base_urls=[]))


def _title_parts(title: Any) -> tuple[str, list[str]]:
    if isinstance(title, alt.TitleParams):
        title = title.to_dict()
    if isinstance(title, dict):
        sub = title.get("subtitle") or []
        text = title.get("text") or ""
        return (" ".join(text) if isinstance(text, list) else str(text)), ([sub] if isinstance(sub, str) else list(sub))
    return ("" if title is alt.Undefined or title is None else str(title)), []


def _chart_id(spec: dict[str, Any]) -> str:
    return next((str(row["chart_id"]) for rows in spec.get("datasets", {}).values() for row in rows[:1]
                 if row.get("chart_id")), "chart")


def _sources(spec: dict[str, Any]) -> list[str]:
    found: set[str] = set()
    for rows in spec.get("datasets", {}).values():
        for row in rows:
            for key in SOURCE_COLUMNS:
                value = row.get(key)
                if isinstance(value, str) and value:
                    found.update(s.strip() for s in value.split(";") if s.strip())
    return sorted(found)


#: Characters of a title line: a long finding wraps within the chart's width instead of widening the image.
TITLE_CHARS = 72


def title_lines(title: str) -> list[str]:
    """A chart's title as the lines it is drawn in (at most :data:`TITLE_CHARS` characters each)."""
    return textwrap.wrap(title, TITLE_CHARS) or [title]


def for_display(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` as shown: its finding as title, its sources as a footer below, and ``usermeta.ktpel``
    (chart id, title, subtitle, footer, sources, language) for the exports.  A chart without a
    ``description`` (one's own) is shown as it is."""
    foot = getattr(chart, "description", alt.Undefined)
    if not isinstance(foot, str) or not foot:
        return chart
    title, subtitle = _title_parts(getattr(chart, "title", alt.Undefined))
    inner = chart.properties(title=alt.TitleParams(textwrap.wrap(foot, 100) or [""], orient="bottom", anchor="start",
                                                   fontSize=10, fontWeight="normal", color="#555", offset=14))
    lang = str(alt.theme.active).removeprefix("ktpel-") if str(alt.theme.active).startswith("ktpel-") else "id"
    spec = chart.to_dict()
    meta = {"ktpel": {"chart_id": _chart_id(spec), "title": title, "subtitle": subtitle, "footer": foot,
                      "sources": _sources(spec), "lang": lang}}
    return alt.vconcat(inner, title=alt.TitleParams(title_lines(title), subtitle=subtitle), usermeta=meta)  # type: ignore[arg-type]  # any top-level chart


def mimebundle(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """Vega-Lite (JupyterLab draws it, interactive), SVG (everyone else) and a line of text."""
    shown = for_display(chart)
    spec = _json_safe(shown.to_dict())
    title = spec.get("usermeta", {}).get("ktpel", {}).get("title") or _title_parts(spec.get("title"))[0] or "chart"
    major = alt.SCHEMA_VERSION.split(".")[0].lstrip("v")
    return {f"application/vnd.vegalite.v{major}+json": spec, "image/svg+xml": to_svg(spec),
            "text/plain": f"<Altair chart: {title}>"}


def _json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinity as ``None``: strict JSON, which Jupyter's messages require
    (else the kernel stores a "Message serialization failed" warning instead of the chart)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def show(chart: alt.TopLevelMixin) -> None:
    """Display ``chart`` (a helper's or one's own) as :func:`mimebundle`; no random element ids."""
    from IPython.display import display

    display(mimebundle(chart), raw=True)


def _picker_labels(data: pd.DataFrame, x_domain: tuple[pd.Timestamp, pd.Timestamp], y_domain: tuple[float, float],
                   height: float) -> pd.DataFrame:
    """``data`` with each region's value labels placed where they fit (one region is shown at a time)."""
    parts = []
    for _, group in data.sort_values("plot_date", kind="stable").groupby("region_name", sort=False):
        once = group.drop_duplicates(["plot_date", "value"]).reset_index(drop=True)
        parts.append(label_positions(once, "plot_date", "value", "value_label",
                                     (x_domain[0].toordinal(), x_domain[1].toordinal()), y_domain, theme.WIDTH, height,
                                     10, _label_priority(once), time_x=True))
    placed = pd.concat(parts, ignore_index=True)
    return data.assign(label_shown=False).pipe(lambda d: pd.concat([d, placed[placed["label_shown"]].assign(
        label_only=True)], ignore_index=True)).assign(label_only=lambda d: d["label_only"].eq(True))


def region_picker(df: pd.DataFrame, lang: Lang, title: str, subtitle: str, region: str | None = None) -> alt.LayerChart:
    """One region's figures over time, the region chosen from a dropdown (an Altair parameter bound to
    a ``<select>``): works wherever Vega runs, in JupyterLab and in the exported page, offline.  The axes
    stay fixed, so each region's value labels are placed beforehand where they fit."""
    height = 300
    data = _prepare(df, lang).assign(plot_date=lambda d: pd.to_datetime(d["plot_date"]))
    names = list(dict.fromkeys(data.sort_values("region_code")["region_name"]))
    x_domain = (data["plot_date"].min() - pd.Timedelta(days=150), data["plot_date"].max() + pd.Timedelta(days=150))
    y_domain = (0.0, float(int(data["value"].max() // 5 * 5) + 10))
    data = _picker_labels(data, x_domain, y_domain, height)
    pick = alt.param(name="region", value=region if region in names else names[0],
                     bind=alt.binding_select(options=names, name=f"{word('region', lang)} "))
    x_scale = alt.Scale(domain=[d.isoformat() for d in x_domain], nice=False)
    y_scale = alt.Scale(domain=list(y_domain), nice=False)
    x = alt.X("plot_date:T", title=t("axis.date", lang), scale=x_scale, axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("value:Q", title=t("axis.percent", lang), scale=y_scale)
    chosen = alt.datum.region_name == pick
    layers = [alt.Chart().mark_line().transform_filter(chosen & ~alt.datum.undated & ~alt.datum.label_only).encode(
                  x=x, y=y, stroke=region_stroke(), detail="region_code:N"),
              alt.Chart().mark_point().transform_filter(chosen & ~alt.datum.label_only).encode(
                  x=x, y=y, fill=region_fill(), stroke=region_stroke(), tooltip=tooltip(lang), **status_encoding(lang)),
              alt.Chart().mark_text(fontSize=10, baseline="middle").transform_filter(chosen & alt.datum.label_only).encode(
                  x=alt.X("label_x:T", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale), text="value_label:N")]
    chart = alt.layer(*layers, data=data).add_params(pick).properties(height=height)
    return describe(chart, "region-picker", title, subtitle, df, lang)


# --------------------------------------------------------------------------- for code written against the old helpers

PALETTE = theme.PALETTE
WIDTH = theme.WIDTH
TOOLTIP_QUOTE = alt.Tooltip("quote:N", title="“…”")


def finish(chart: alt.TopLevelMixin, chart_id: str, title: str, subtitle: str | list[str], data: pd.DataFrame,
           lang: Lang, targets: pd.DataFrame | None = None) -> alt.TopLevelMixin:
    """The old name of :func:`describe` (no config is baked in any more: the theme gives the look)."""
    theme.use(lang)
    return describe(chart, chart_id, title, subtitle, data, lang, targets)  # type: ignore[arg-type]

"""Chart titles and narrative as checked claims, from the catalogue (:mod:`helpers.i18n`), never typed
into a notebook.  The rules (unit and property tests in ``tests/test_narrative.py``):

* a figure is always shown with its qualifier (``sekitar 98 %``) and the decimals its source gave;
* "naik"/"rose" only for a series with no fall in between, "turun"/"fell" only with no rise; otherwise
  the dip and the peak are named; a step that involves an approximate figure within its margin has no
  direction, and the sentence says the direction cannot be told;
* a headline comparing figures of different dates names the dates;
* a region asked for but without a figure is named as such;
* a statistic (median, range) is only computed over at least :data:`MIN_VALUES` values of one group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any, Literal

import pandas as pd

from helpers.analysis.labels import (
    as_date,
    date_inferred,
    date_text,
    fact_link,
    source_name,
    source_title_parts,
    target_link,
    value_text,
)
from helpers.i18n import format_number, join, t, word

#: The fewest values a median, band or range may be computed over (and named).
MIN_VALUES = 3
Trend = Literal["single", "rise", "fall", "flat", "mixed", "uncertain"]


@dataclass(frozen=True)
class Figure:
    """One figure as a sentence uses it."""

    value: float
    decimals: int = 2
    qualifier: str = "exact"
    unit: str = "percent"
    as_of: date | None = None
    precision: str = "day"
    fact_id: str | None = None
    inferred: bool = False

    def bounds(self) -> tuple[float, float]:
        """Where the true value lies: the figure itself if exact; one unit of its last digit either side
        if approximate; above or below it for "more/less than"."""
        step = 10.0 ** -self.decimals
        return {"approx": (self.value - step, self.value + step), "more_than": (self.value, math.inf),
                "less_than": (-math.inf, self.value)}.get(self.qualifier, (self.value, self.value))

    def text(self, lang: str) -> str:
        return fact_link(value_text(self.value, self.unit, self.decimals, self.qualifier, lang), self.fact_id)

    def when(self, lang: str) -> str:
        return date_text(self.as_of, self.precision, lang, self.inferred)


def figure_of(row: pd.Series | dict[str, Any]) -> Figure:
    """The :class:`Figure` of a labelled fact row."""
    decimals = row.get("decimals")
    return Figure(float(row["value"]), 2 if decimals is None or pd.isna(decimals) else int(decimals),
                  str(row.get("qualifier") or "exact"), str(row.get("unit") or "percent"), as_date(row.get("as_of")),
                  str(row.get("as_of_precision") or "unknown"), row.get("fact_id") if isinstance(row.get("fact_id"), str)
                  else None, date_inferred(row.get("note")))


def direction(a: Figure, b: Figure) -> int | None:
    """+1 if ``b`` is surely above ``a``, -1 surely below, 0 equal (both exact), None if the
    qualifiers leave it open."""
    (alo, ahi), (blo, bhi) = a.bounds(), b.bounds()
    if a.qualifier == b.qualifier == "exact":
        return (b.value > a.value) - (b.value < a.value)
    return 1 if blo > ahi else -1 if bhi < alo else None


def dated(figures: Sequence[Figure]) -> list[Figure]:
    """Dated figures in date order, a figure repeated by a second source at the same date counted once."""
    seen, out = set(), []
    for f in sorted((f for f in figures if f.as_of is not None), key=lambda f: f.as_of):  # type: ignore[arg-type, return-value]
        key = (f.as_of, f.value, f.qualifier)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def trend(figures: Sequence[Figure]) -> Trend:
    points = dated(figures)
    if len(points) < 2:
        return "single"
    steps = [direction(a, b) for a, b in zip(points, points[1:])]
    if any(s is None for s in steps):
        return "uncertain"
    if all(s == 0 for s in steps):
        return "flat"
    if all(s >= 0 for s in steps):  # type: ignore[operator]
        return "rise"
    if all(s <= 0 for s in steps):  # type: ignore[operator]
        return "fall"
    return "mixed"


def series_sentence(region: str, figures: Sequence[Figure], lang: str) -> str:
    """One region's dated figures in one checked sentence (its kind from :func:`trend`)."""
    points = dated(figures)
    if not points:
        return ""
    kind: str = trend(points)
    first, last = points[0], points[-1]
    fields: dict[str, str] = {"region": region, "first": first.text(lang), "first_date": first.when(lang),
                              "last": last.text(lang), "last_date": last.when(lang)}
    if kind == "mixed":
        after_fall = [b for a, b in zip(points, points[1:]) if direction(a, b) == -1]
        after_rise = [b for a, b in zip(points, points[1:]) if direction(a, b) == 1]
        dip, peak = min(after_fall, key=lambda f: f.value), max(after_rise, key=lambda f: f.value)
        fields |= {"dip": dip.text(lang), "dip_date": dip.when(lang), "peak": peak.text(lang),
                   "peak_date": peak.when(lang)}
        if points.index(peak) < points.index(dip):  # dip and peak named in the order they happened
            kind = "mixed_peak_first"
    elif kind in ("rise", "fall") and len(points) == 2:  # nothing between the two to say "no fall" about
        kind += "_two"
    return t(f"narrative.series_{kind}", lang, **fields)


def lowest(figures: Sequence[Figure]) -> Figure | None:
    """The figure surely below every other one (bounds included), or None if that cannot be told."""
    if not figures:
        return None
    low = min(figures, key=lambda f: f.value)
    others = [f for f in figures if f is not low]
    return low if all(low.bounds()[1] < f.bounds()[0] or (low.qualifier == f.qualifier == "exact"
                                                           and low.value <= f.value) for f in others) else None


def span(figures: Sequence[Figure], lang: str) -> str:
    points = dated(figures)
    if not points:
        return ""
    first, last = points[0].when(lang), points[-1].when(lang)
    return first if first == last else f"{first} – {last}"


def one_per_figure(df: pd.DataFrame, keys: list[str], lang: str) -> pd.DataFrame:
    """``df`` with one row per figure: rows equal on ``keys`` (the same figure stated by several sources) are
    said once, the first row kept, with ``sources_label`` naming every source (``ANTARA Kaltim dan
    SuaraKaltim.id``) and ``n_sources``."""
    if df.empty:
        return df.assign(sources_label=pd.Series(dtype=str), n_sources=pd.Series(dtype=int))
    names = [source_name(r, lang) for _, r in df.iterrows()]
    keyed = df.assign(_name=names, _key=[tuple(None if pd.isna(v) else v for v in row)
                                         for row in df[keys].itertuples(index=False)])
    grouped = keyed.groupby("_key", sort=False)["_name"].agg(lambda s: list(dict.fromkeys(s)))
    first = keyed.drop_duplicates("_key")
    return first.assign(sources_label=[join(grouped[k], lang) for k in first["_key"]],
                        n_sources=[len(grouped[k]) for k in first["_key"]]).drop(columns=["_name", "_key"])


# --------------------------------------------------------------------------- per notebook


def intro(key: str, lang: str, **fields: object) -> str:
    """The page's heading and opening paragraph (markdown); it promises no target (see :func:`targets_note`)."""
    return f"# {t(f'intro.{key}_title', lang, **fields)}\n\n{t(f'intro.{key}', lang, **fields)}"


def targets_note(targets: pd.DataFrame, lang: str) -> str:
    """What the page says of national targets: drawn only for the years a source states one (those of
    ``targets``, the ones the page draws), or that no source states one for these years."""
    years = sorted({int(y) for y in targets["year"]}) if not targets.empty else []
    return t("intro.targets", lang, years=join([str(y) for y in years], lang)) if years else t("intro.no_targets", lang)


def missing_sentence(metric: str, regions: Sequence[str], lang: str) -> str:
    return t("narrative.no_figure_for", lang, metric=metric, regions=join(list(regions), lang)) if regions else ""


def _figures(df: pd.DataFrame) -> list[Figure]:
    return [figure_of(r) for _, r in df.iterrows()]


def comparison_title(latest: pd.DataFrame, metric: str, lang: str) -> str:
    """The lowest of the latest figures, with its date; with the span when the dates differ."""
    if latest.empty:
        return t("narrative.no_figures", lang, metric=metric)
    figs = _figures(latest)
    low = lowest(figs)
    dates = {f.when(lang) for f in figs}
    if low is None:
        return f"{metric} ({span(figs, lang)})"
    row = latest.iloc[figs.index(low)]
    plain = value_text(low.value, low.unit, low.decimals, low.qualifier, lang)
    if len(dates) == 1:
        return t("narrative.latest_same_date", lang, metric=metric, date=low.when(lang), region=row["region_name"],
                 figure=plain)
    return t("narrative.latest_mixed_dates", lang, metric=metric, span=span(figs, lang), region=row["region_name"],
             figure=plain, date=low.when(lang))


def comparison_subtitle(latest: pd.DataFrame, lang: str) -> str:
    """Under :func:`comparison_title`, which names the dates already: whether they differ, and how many regions."""
    figs = _figures(latest) if not latest.empty else []
    key = "narrative.comparison_mixed_dates" if len({f.when(lang) for f in figs}) > 1 else "narrative.comparison_same_date"
    return t(key, lang, n=len(figs))


def comparison_text(latest: pd.DataFrame, totals: pd.DataFrame, metric: str, missing: Sequence[str],
                    lang: str) -> str:
    figs = _figures(latest)
    items = [t("narrative.latest_item", lang, region=r["region_label"], figure=f.text(lang), date=f.when(lang))
             if not r.get("sources_label") else
             t("narrative.latest_item_sources", lang, region=r["region_label"], figure=f.text(lang), date=f.when(lang),
               sources=r["sources_label"]) for f, (_, r) in zip(figs, latest.iterrows())]
    parts = [t("narrative.latest_list", lang, metric=metric, items=join(items, lang))] if items else []
    if len({f.when(lang) for f in figs}) > 1:
        parts.append(t("narrative.dates_differ", lang, span=span(figs, lang)))
    for f, (_, r) in zip(figs, latest.iterrows()):
        if pd.notna(r.get("derived_value")) and abs(r["derived_value"] - f.value) > 10 ** -f.decimals:
            derived = fact_link(value_text(r["derived_value"], "percent", 2, r.get("derived_qualifier") or "exact", lang),
                                r.get("derived_fact_id"))
            parts.append(t("narrative.derived_differs", lang, region=r["region_name"], inputs=r["derived_inputs"],
                           derived=derived, stated=f.text(lang)))
    for _, r in totals.iterrows():
        f = figure_of(r)
        parts.append(t("narrative.other_measure", lang, region=r["region_name"], figure=f.text(lang), date=f.when(lang)))
    parts.append(missing_sentence(metric, missing, lang))
    return "\n\n".join(p for p in parts if p)


def over_time_title(df: pd.DataFrame, metric: str, lang: str) -> str:
    """The metric and, per region, the direction of its dated figures in one word."""
    items = [f"{name} {t(f'narrative.trend_{trend(_figures(g))}', lang)}"
             for name, g in df[df["as_of"].notna()].groupby("region_name", sort=False)]
    return t("narrative.over_time_title", lang, metric=metric, items="; ".join(items)) if items else \
        t("narrative.over_time_none", lang, metric=metric)


def over_time_text(df: pd.DataFrame, metric: str, missing: Sequence[str], lang: str) -> str:
    """A checked sentence per region (same region only), the undated figures named apart."""
    lines = [series_sentence(name, _figures(g), lang) for name, g in df.groupby("region_name", sort=False)]
    undated = df[df["as_of"].isna()]
    if not undated.empty:
        figures = join([f"{r['region_name']} {figure_of(r).text(lang)}" for _, r in undated.iterrows()], lang)
        lines.append(t("narrative.undated_note", lang, figures=figures))
    lines.append(missing_sentence(metric, missing, lang))
    return "\n\n".join(x for x in lines if x)


def extremes_title(df: pd.DataFrame, province_name: str, lang: str) -> str:
    kab = df[df["role"].isin(["highest", "lowest"])]
    pairs = kab.groupby("metric_label").filter(lambda g: set(g["role"]) == {"highest", "lowest"})
    if pairs.empty:
        return t("narrative.extremes_none", lang, province=province_name)
    gap = pairs.groupby("metric_label")["value"].agg(lambda v: v.max() - v.min())
    widest = gap.idxmax()
    row = pairs[pairs["metric_label"] == widest].iloc[0]
    return t("narrative.extremes_title", lang, province=province_name, date=figure_of(row).when(lang), metric=widest,
             gap=format_number(gap.max(), lang, 2))


def extremes_text(df: pd.DataFrame, lang: str) -> str:
    lines = []
    for metric, g in df.groupby("metric_label", sort=False):
        by_role = {r: g[g["role"] == r].iloc[0] for r in ("province", "highest", "lowest") if (g["role"] == r).any()}
        bits = []
        if "province" in by_role:
            bits.append(t("narrative.extremes_province", lang, figure=figure_of(by_role["province"]).text(lang)))
        for role in ("highest", "lowest"):
            if role in by_role:
                r = by_role[role]
                bits.append(t("narrative.extremes_role", lang, role=word(role, lang), region=r["region_name"],
                              figure=figure_of(r).text(lang)))
        target = g["target"].dropna()
        if not target.empty:
            year = int(g["target_year"].dropna().iloc[0])
            bits.append(t("narrative.extremes_target", lang, year=year, figure=target_link(
                value_text(float(target.iloc[0]), "percent", 0, "exact", lang), g["metric"].iloc[0], year)))
        lines.append(t("narrative.extremes_item", lang, metric=metric, date=figure_of(g.iloc[0]).when(lang),
                       parts="; ".join(bits)))
    return "\n".join(lines)


def _target_met(row: pd.Series) -> bool | None:
    if pd.isna(row.get("target")):
        return None
    lo, hi = figure_of(row).bounds()
    return True if lo >= row["target"] else False if hi < row["target"] else None


def progress_title(df: pd.DataFrame, lang: str) -> str:
    """Met / not met for the latest figure of each region and metric that has a target of its year."""
    with_target = df[df["target"].notna()].sort_values("as_of").groupby(["region_name", "metric_label"]).tail(1)
    met: list[str] = []
    not_met: list[str] = []
    for _, r in with_target.iterrows():
        verdict = _target_met(r)
        item = t("narrative.progress_item", lang, metric=r["metric_label"], region=r["region_name"],
                 date=figure_of(r).when(lang))
        (met if verdict else not_met if verdict is False else []).append(item)
    parts = ([t("narrative.progress_met", lang, items="; ".join(met))] if met else []) + \
            ([t("narrative.progress_not_met", lang, items="; ".join(not_met))] if not_met else [])
    return " · ".join(parts) or t("narrative.progress_none", lang)


def progress_text(df: pd.DataFrame, metric: str, missing: Sequence[str], lang: str) -> str:
    """A line per figure (said once, naming every source that states it) with the target of its year."""
    lines = []
    for _, r in one_per_figure(df, ["region_code", "metric", "as_of", "value", "qualifier", "kind"], lang).iterrows():
        f = figure_of(r)
        year = f.as_of.year if f.as_of else ""
        target = (t("narrative.progress_no_target", lang, year=year) if pd.isna(r["target"]) else
                  t("narrative.progress_target", lang, year=year, figure=target_link(
                      value_text(float(r["target"]), "percent", 0, "exact", lang), r["metric"], r["target_year"])))
        how = "" if r["kind"] == "stated" else t("narrative.progress_how", lang, inputs=r["inputs_label"])
        lines.append(t("narrative.progress_line", lang, metric=r["metric_label"], region=r["region_name"],
                       date=f.when(lang), figure=f.text(lang), target=target, how=how, sources=r["sources_label"]))
    tail = missing_sentence(metric, missing, lang)
    return "\n".join(lines) + ("\n\n" + tail if tail else "")


def quality_title(consistency: pd.DataFrame, lang: str) -> str:
    checked = consistency[consistency["checkable"]]
    return t("narrative.quality_title", lang, bad=int((~checked["agrees"]).sum()), checked=len(checked))


def cited_title(row: pd.Series | dict[str, Any], lang: str) -> str:
    """A source's title for a page: its own words in ``<cite class="verbatim">``, a remark about it (or
    "untitled source") outside, in the report's language."""
    title, remark = source_title_parts(row, lang)
    head = "" if title is None else f'<cite class="verbatim">{escape(title)}</cite>'
    return head + (f" ({escape(remark)})" if head and remark else escape(remark) if remark else "")


def quality_text(q: dict[str, pd.DataFrame], lang: str) -> str:
    c = q["consistency"]
    checked, approx = [], []
    for _, r in c.iterrows():
        fields = {"region": r["region_name"], "metric": r["metric_label"], "date": r["as_of_label"],
                  "stated": r["stated_label"], "inputs": r["inputs_label"], "derived": r["derived_label"],
                  "sources": r["sources_label"]}
        if r["checkable"]:
            checked.append(t("narrative.quality_line", lang, mark="✔" if r["agrees"] else "✘", **fields))
        else:
            approx.append(t("narrative.quality_approx_line", lang, **fields))
    over = [t("narrative.quality_over_line", lang, region=r["region_label"], figure=figure_of(r).text(lang),
              kind=word(r["kind"], lang), date=r["as_of_label"], why=r["why"],
              sources=r["sources_label"]) for _, r in q["over_100"].iterrows()]
    undated = [t("narrative.quality_undated_line", lang, title=cited_title(r, lang), date=r["date_label"])
               for _, r in q["undated_sources"].iterrows()]
    heads = ("checked", "approx", "over", "undated")
    return "\n\n".join(f"**{t(f'narrative.quality_heads_{h}', lang)}**\n\n" + "\n".join(body)
                       for h, body in zip(heads, (checked, approx, over, undated)) if body)


def profile_title(df: pd.DataFrame, region_name: str, lang: str, unit: str | None = None) -> str:
    """Counts stated figures as the sources' figures and derived ones apart (said only when there are any);
    with ``unit``, the chart of that unit's counts says so (each chart's title is its own)."""
    stated = df[df["kind"] == "stated"]
    derived = int((df["kind"] == "derived").sum())
    region = region_name if unit is None else t("narrative.profile_unit", lang, region=region_name, unit=unit)
    key = "narrative.profile_title" if derived else "narrative.profile_title_stated"
    return t(key, lang, region=region, stated=len(stated), sources=stated["source_id"].nunique(), derived=derived)


def date_span(df: pd.DataFrame, lang: str) -> str:
    """The dates of every figure drawn: ``13 Jun 2024 – Okt 2024``, plus the undated ones counted."""
    figs = _figures(df) if not df.empty else []
    undated = sum(1 for f in figs if f.as_of is None)
    whole = span(figs, lang)
    if undated:
        return t("narrative.span_undated", lang, span=whole, n=undated) if whole else \
            t("narrative.span_only_undated", lang, n=undated)
    return whole


def spread_title(spread: pd.DataFrame, metric: str, lang: str) -> str:
    """The latest drawn group's median, its province, date and count; or why nothing is drawn."""
    if spread.empty:
        return t("narrative.spread_none_title", lang)
    last = spread.iloc[-1]
    return t("narrative.spread_title", lang, metric=metric, province=last["province_name"], date=last["period_label"],
             median=last["median_label"], n=int(last["n"]))


def spread_text(spread: pd.DataFrame, coverage: pd.DataFrame, lang: str) -> str:
    if spread.empty:
        if coverage.empty:
            return t("narrative.spread_no_rows", lang)
        lines = [t("narrative.spread_partial", lang, province=r["province_name"], date=r["period_label"], n=int(r["n"]),
                   total=int(r["total"])) for _, r in coverage.iterrows()]
        return t("narrative.spread_why_none", lang, minimum=MIN_VALUES) + "\n\n" + "\n".join(lines)
    return "\n\n".join(t("narrative.spread_text", lang, province=r["province_name"], date=r["period_label"],
                         n=int(r["n"]), lo=r["lo_label"], median=r["median_label"], hi=r["hi_label"])
                       for _, r in spread.tail(3).iterrows())


def snapshot_line(snapshot_id: str, lang: str) -> str:
    return f"{t('export.snapshot', lang)} {snapshot_id}"

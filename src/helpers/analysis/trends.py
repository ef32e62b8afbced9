"""Views the corpus allows now that it has dates: the denominators behind coverage (wajib KTP and recorded
counts over time per region), a province's kabupaten/kota compared across the dates that have them, and a
note for a region profile with few or no figures.

Each view is a figure (a labelled DataFrame from the snapshot), a chart (the shared look of
:mod:`helpers.analysis.charts`) and a title and text in the report's language."""

from __future__ import annotations

import altair as alt
import pandas as pd

from helpers.analysis import queries
from helpers.analysis.charts import PALETTE, TOOLTIP_QUOTE, WIDTH, finish
from helpers.analysis.figures import Table, label
from helpers.analysis.labels import FACT_ANCHOR
from helpers.analysis.narrative import MIN_VALUES, Figure, dated, direction, figure_of, one_per_figure
from helpers.analysis.params import Report
from helpers.i18n import Lang, join, t, unit, word

DENOMINATORS = ["ktp_required", "ktp_recorded"]
RECORDING = "ktp_recording_pct"


def _figures(rows: pd.DataFrame) -> list[Figure]:
    return dated([figure_of(r) for _, r in rows.iterrows()])


# --- denominators ----------------------------------------------------------------------------------------

def denominators(report: Report) -> pd.DataFrame:
    """The stated wajib KTP and recorded counts of the report's regions, dated, with labels."""
    df = label(queries.facts(report.con, report.regions, DENOMINATORS, kind="stated", until=report.until), report)
    df = df[df["as_of"].notna()].assign(plot_date=lambda d: pd.to_datetime(d["as_of"]))
    report.check_figures(df, DENOMINATORS)
    return df


def _required_parts(required: pd.DataFrame, lang: Lang) -> list[str]:
    """How wajib KTP moved: first and last figure, and its largest fall between two dates (if any)."""
    points = _figures(required)
    if not points:
        return []
    first, last = points[0], points[-1]
    if len(points) == 1:
        return [t("trends.required_one", lang, figure=first.text(lang), date=first.when(lang))]
    parts = [t("trends.required_change", lang, first=first.text(lang), first_date=first.when(lang),
               last=last.text(lang), last_date=last.when(lang))]
    falls = [(a, b) for a, b in zip(points, points[1:]) if a.as_of != b.as_of and direction(a, b) == -1]
    if falls:
        high, low = max(falls, key=lambda pair: pair[0].value - pair[1].value)
        parts.append(t("trends.required_falls", lang, n=len(falls), high=high.text(lang), high_date=high.when(lang),
                       low=low.text(lang), low_date=low.when(lang)))
    return parts


def _recorded_over(recorded: pd.DataFrame, required: pd.DataFrame, lang: Lang) -> str:
    """The dates where one source's recorded count exceeds its own wajib KTP count."""
    by_source = {(r["as_of"], r["source_id"]): figure_of(r) for _, r in required.iterrows()}
    over = sorted(((figure_of(r), by_source[(r["as_of"], r["source_id"])]) for _, r in recorded.iterrows()
                   if (r["as_of"], r["source_id"]) in by_source
                   and direction(by_source[(r["as_of"], r["source_id"])], figure_of(r)) == 1),
                  key=lambda pair: pair[0].as_of)  # type: ignore[arg-type, return-value]
    if not over:
        return ""
    rec, req = over[-1]
    return t("trends.recorded_over", lang, n=len({r.as_of for r, _ in over}), date=rec.when(lang),
             recorded=rec.text(lang), required=req.text(lang))


def denominator_findings(df: pd.DataFrame, lang: Lang) -> list[str]:
    """Per region, how wajib KTP moved and where a source's recorded count passed its wajib KTP count."""
    lines = []
    for _, rows in df.groupby("region_code", sort=True):
        required = rows[rows["metric"] == "ktp_required"]
        parts = _required_parts(required, lang)
        parts.append(_recorded_over(rows[rows["metric"] == "ktp_recorded"], required, lang))
        if any(parts):
            lines.append(t("trends.region_line", lang, region=rows["region_name"].iloc[0],
                           parts="; ".join(p for p in parts if p)))
    return lines


def denominators_title(df: pd.DataFrame, lang: Lang) -> str:
    if df.empty:
        return t("trends.denominators_none_title", lang)
    return t("trends.denominators_title", lang, n=int(df.groupby("region_code")["as_of"].nunique().max()))


def denominators_text(df: pd.DataFrame, lang: Lang) -> str:
    lines = denominator_findings(df, lang)
    if not lines:
        return t("trends.denominators_none", lang)
    return t("trends.denominators_head", lang) + "\n\n" + "\n".join(lines)


def denominators_chart(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.TopLevelMixin:
    """One panel per region (its own scale): wajib KTP and recorded counts over time."""
    color = alt.Color("metric_label:N", title=None, scale=alt.Scale(range=[PALETTE[1], PALETTE[0]]))
    tip = [alt.Tooltip("metric_label:N", title=word("metric", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), alt.Tooltip("source_label:N", title=word("source", lang)),
           TOOLTIP_QUOTE]
    x = alt.X("plot_date:T", title=word("date", lang), axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("value:Q", title=t("axis.count", lang, unit=unit("persons", lang)),
              scale=alt.Scale(zero=False, padding=12), axis=alt.Axis(format="~s"))
    base = alt.Chart().encode(x=x, y=y, color=color)
    lines = base.mark_line(point=alt.OverlayMarkDef(size=60, filled=True)).encode(tooltip=tip)
    chart = (alt.layer(lines, data=df).properties(width=WIDTH - 60, height=150)
             .facet(row=alt.Row("region_label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                                  labelFontWeight="bold")))
             .resolve_scale(y="independent"))
    return finish(chart, "denominators", title, subtitle, df, lang)


# --- kabupaten/kota across dates -------------------------------------------------------------------------

def kabupaten_kota_dates(report: Report, province: str, metric: str = RECORDING) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every dated figure of ``metric`` for the kabupaten/kota of ``province`` (stated, else derived from the
    same source's counts), and the province's own figures for reference."""
    df = queries.facts(report.con, metrics=[metric], until=report.until)
    df = df[df["as_of"].notna() & ((df["region_code"] == province) | df["region_code"].str.startswith(province + "."))]
    df = (df.sort_values("kind", ascending=False)  # stated before derived
          .drop_duplicates(["region_code", "as_of", "source_id"]))
    df = label(df, report).assign(plot_date=lambda d: pd.to_datetime(d["as_of"]))
    if not df.empty:
        df["kind_label"] = [word(k, report.lang) for k in df["kind"]]
    report.check_figures(df, regions=[province], within=True)
    local = df[df["region_code"] != province].sort_values(["as_of", "value"], ascending=[True, False])
    return local, df[df["region_code"] == province].sort_values("as_of")


def _date_keys(df: pd.DataFrame) -> list[str]:
    """What makes two figures "of the same date": the date as a reader sees it (``Des 2012`` and ``2012,
    tanggal disimpulkan`` both end on 31 Dec 2012 but are not the same date), else the date itself."""
    return ["as_of", "as_of_label"] if "as_of_label" in df else ["as_of"]


def dates_with(local: pd.DataFrame, at_least: int = 2) -> pd.DataFrame:
    """Per date (:func:`_date_keys`): how many kabupaten/kota have a figure, the lowest and highest."""
    keys = _date_keys(local)
    if local.empty:
        return pd.DataFrame(columns=[*keys, "n", "low", "high"])
    g = local.groupby(keys).agg(n=("region_code", "nunique"), low=("value", "min"), high=("value", "max"),
                                precision=("as_of_precision", "first")).reset_index()
    return g[g["n"] >= at_least]


def _at(local: pd.DataFrame, date: pd.Series) -> pd.DataFrame:
    """The rows of ``local`` at one date of :func:`dates_with`."""
    mask = pd.Series(True, index=local.index)
    for key in _date_keys(local):
        mask &= local[key] == date[key]
    return local[mask]


def kabupaten_kota_title(local: pd.DataFrame, province_name: str, lang: Lang) -> str:
    """The kabupaten/kota drawn and the dates they are compared at (those with two or more, coloured)."""
    shared = dates_with(local)
    if shared.empty:
        return t("trends.kk_none_title", lang, province=province_name)
    return t("trends.kk_title", lang, province=province_name, n=local["region_code"].nunique(), dates=len(shared))


def _date_line(at: pd.DataFrame, province_rows: pd.DataFrame, lang: Lang) -> str:
    """One date's kabupaten/kota: lowest and highest named only over three or more (MIN_VALUES); two are
    just given side by side."""
    prov = province_rows[province_rows["as_of"] == at["as_of"].iloc[0]]
    ref = "" if prov.empty else t("trends.kk_province_ref", lang, figure=figure_of(prov.iloc[0]).text(lang))
    when = figure_of(at.iloc[0]).when(lang)
    if at["region_code"].nunique() < MIN_VALUES:
        once = one_per_figure(at.sort_values("region_name"), ["region_code", "value", "qualifier"], lang)
        items = [f"{r['region_name']} {figure_of(r).text(lang)}" for _, r in once.iterrows()]
        return t("trends.kk_date_few", lang, date=when, items=join(items, lang), province=ref)
    low, high = at.loc[at["value"].idxmin()], at.loc[at["value"].idxmax()]
    return t("trends.kk_date_line", lang, date=when, n=at["region_code"].nunique(),
             low_region=low["region_name"], low=figure_of(low).text(lang), high_region=high["region_name"],
             high=figure_of(high).text(lang), province=ref)


def kabupaten_kota_text(local: pd.DataFrame, province_rows: pd.DataFrame, lang: Lang) -> str:
    """Per date with two or more kabupaten/kota: the lowest and highest (named) and the province; then each
    kabupaten/kota with figures at two or more dates, first and last."""
    if local.empty:
        return t("trends.kk_none", lang)
    lines = [_date_line(_at(local, d), province_rows, lang) for _, d in dates_with(local).iterrows()]
    text = t("trends.kk_dates_head", lang) + "\n\n" + ("\n".join(lines) or t("trends.kk_no_shared_date", lang))
    moved = []
    for name, rows in local.groupby("region_name", sort=True):
        points = _figures(rows)
        if len({f.as_of for f in points}) >= 2:
            first, last = points[0], points[-1]
            moved.append(t("trends.kk_moved_line", lang, region=name, first=first.text(lang),
                           first_date=first.when(lang), last=last.text(lang), last_date=last.when(lang)))
    if moved:
        text += "\n\n" + t("trends.kk_moved_head", lang) + "\n\n" + "\n".join(moved)
    return text


#: Viridis from dark (newest) to a light green that still reads on white (oldest), for the compared dates.
SEQUENTIAL = ["#440154", "#3b528b", "#21918c", "#5ec962", "#a8db34"]
#: Points at a date with a single kabupaten/kota: grey, not compared.
OTHER_DATES = "#a0a0a0"


def sequential(k: int) -> list[str]:
    """``k`` colours along :data:`SEQUENTIAL`, oldest (light) first."""
    anchors = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in reversed(SEQUENTIAL)]
    out = []
    for j in range(k):
        pos = 0.0 if k == 1 else j * (len(anchors) - 1) / (k - 1)
        i = min(int(pos), len(anchors) - 2)
        a, b, w = anchors[i], anchors[i + 1], pos - i
        out.append("#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(a, b)))
    return out


def kabupaten_kota_chart(local: pd.DataFrame, province_rows: pd.DataFrame, lang: Lang, title: str,
                         subtitle: str) -> alt.TopLevelMixin:
    """One row per kabupaten/kota (the province first): a point per date, joined by a line, so both the
    ranking at a date and each one's change show.  Only dates with two or more kabupaten/kota are coloured
    (light = oldest, dark = newest); a figure at any other date is grey."""
    both = pd.concat([province_rows, local], ignore_index=True)
    order = list(dict.fromkeys([*province_rows["region_name"], *sorted(local["region_name"])]))
    shared = set(zip(*(dates_with(local)[k] for k in ("as_of", "as_of_label"))))
    other = t("trends.kk_other_dates", lang)
    compared = [(a, lab) in shared for a, lab in zip(both["as_of"], both["as_of_label"])]
    both = both.assign(date_key=[lab if c else other for c, lab in zip(compared, both["as_of_label"])])
    dates = both[compared].sort_values("as_of")["as_of_label"].drop_duplicates().tolist()
    y = alt.Y("region_name:N", title=None, sort=order, axis=alt.Axis(labelLimit=300))
    x = alt.X("value:Q", title=t("axis.percent", lang), scale=alt.Scale(zero=False, padding=12))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("kind_label:N", title=word("kind", lang)), alt.Tooltip("as_of_label:N", title=word("date", lang)),
           alt.Tooltip("source_label:N", title=word("source", lang)), TOOLTIP_QUOTE]
    domain = dates + ([other] if (both["date_key"] == other).any() else [])
    color = alt.Color("date_key:N", title=word("date", lang), sort=domain,
                      scale=alt.Scale(domain=domain, range=[*sequential(len(dates)), OTHER_DATES][:len(domain)]))
    line = alt.Chart(both).mark_line(color="#ccc", strokeWidth=1.5).encode(x=x, y=y, detail="region_name:N",
                                                                           order="as_of:T")
    points = alt.Chart(both).mark_point(size=110, filled=True, opacity=0.95).encode(
        x=x, y=y, color=color, shape=alt.Shape("kind_label:N", title=word("kind", lang)), tooltip=tip)
    chart = alt.layer(line, points).properties(width=WIDTH, height=alt.Step(34))
    return finish(chart, "kabupaten-kota-dates", title, subtitle, both, lang)


def kabupaten_kota_table(local: pd.DataFrame, lang: Lang) -> Table:
    """Kabupaten/kota × date, the value as the source wrote it (a figure derived from counts says so), each
    cell linked to its fact."""
    cells = local.assign(cell=[v if k == "stated" else t("trends.derived_mark", lang, value=v)
                               for v, k in zip(local["value_label"], local["kind"])])
    dates = cells.sort_values("as_of")["as_of_label"].drop_duplicates().tolist()
    first = cells.drop_duplicates(["region_name", "as_of_label"]).set_index(["region_name", "as_of_label"])
    names = sorted(cells["region_name"].unique())
    frame = pd.DataFrame([[name, *(first["cell"].get((name, d), "–") for d in dates)] for name in names],
                         columns=[word("region", lang), *dates])
    links = [[None, *(f"{FACT_ANCHOR}{first['fact_id'][(name, d)]}" if (name, d) in first.index else None
                      for d in dates)] for name in names]
    return Table(frame, ["region_name", *["value_label"] * len(dates)], links)


# --- region profile --------------------------------------------------------------------------------------

def profile_note(report: Report, region: str) -> str:
    """What a profile of ``region`` rests on; for a region with no figures, where figures are instead."""
    con = report.con
    own = con.execute("""SELECT count(*) FILTER (kind = 'stated'), count(DISTINCT source_id) FILTER (kind = 'stated'),
                                count(*) FILTER (kind = 'derived') FROM facts WHERE region_code = ?""", [region]).fetchone()
    children = con.execute("""SELECT r.name, count(*) FROM facts f JOIN regions r USING (region_code)
                              WHERE r.parent_code = ? AND f.kind = 'stated' GROUP BY r.name ORDER BY 2 DESC, 1""",
                           [region]).fetchall()
    name = report.region_names[region]
    lang = report.lang
    assert own is not None
    below = ", ".join(t("trends.count_item", lang, region=n, n=c) for n, c in children)
    if own[0] or own[2]:  # the sources' own figures, and those derived from their counts, counted apart
        text = t("trends.profile_own", lang, region=name, n=own[0], sources=own[1])
        text += " " + t("trends.profile_derived", lang, n=own[2]) if own[2] else ""
        return text + (" " + t("trends.profile_children", lang, items=below) if below else "")
    with_figures = con.execute("""SELECT r.name FROM facts f JOIN regions r USING (region_code)
                                  WHERE r.region_code <> '00' GROUP BY r.name ORDER BY r.name""").fetchall()
    listed = ", ".join(n for (n,) in with_figures)
    parts = [t("trends.profile_none", lang, region=name),
             t("trends.profile_none_children", lang, items=below) if below else "",
             t("trends.profile_where", lang, items=listed)]
    return " ".join(p for p in parts if p)

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
from helpers.analysis.figures import label
from helpers.analysis.params import Report
from helpers.i18n import Lang, format_date, word
from helpers.raw.numbers import format_number, format_percent

DENOMINATORS = ["ktp_required", "ktp_recorded"]
RECORDING = "ktp_recording_pct"


def _when(row: pd.Series, lang: Lang) -> str:
    return format_date(pd.Timestamp(row["as_of"]).date(), row["as_of_precision"], lang)


# --- denominators ----------------------------------------------------------------------------------------

def denominators(report: Report) -> pd.DataFrame:
    """The stated wajib KTP and recorded counts of the report's regions, dated, with labels."""
    df = label(queries.facts(report.con, report.regions, DENOMINATORS, kind="stated", until=report.until), report)
    df = df[df["as_of"].notna()].assign(plot_date=lambda d: pd.to_datetime(d["as_of"]))
    report.check_figures(df, DENOMINATORS)
    return df


def denominator_findings(df: pd.DataFrame, lang: Lang) -> list[str]:
    """Per region, how wajib KTP moved and when the recorded count passed it."""
    lines = []
    for code, rows in df.groupby("region_code", sort=True):
        name = rows["region_name"].iloc[0]
        required = rows[rows["metric"] == "ktp_required"].sort_values("as_of")
        recorded = rows[rows["metric"] == "ktp_recorded"].sort_values("as_of")
        parts = []
        if len(required) >= 2:
            first, last = required.iloc[0], required.iloc[-1]
            change = (last["value"] - first["value"]) / first["value"] * 100
            falls = [(a, b) for (_, a), (_, b) in zip(required.iterrows(), required.iloc[1:].iterrows())
                     if b["value"] < a["value"]]
            parts.append(
                (f"wajib KTP {format_number(first['value'], lang)} ({_when(first, lang)}) → "
                 f"{format_number(last['value'], lang)} ({_when(last, lang)}), {format_percent(change, lang, 1)}")
                + ("" if not falls else
                   (f"; turun {len(falls)} kali (misalnya {_when(falls[0][0], lang)} → {_when(falls[0][1], lang)}:"
                    f" data dibersihkan atau sumber berbeda)" if lang == "id" else
                    f"; it fell {len(falls)} time(s) (e.g. {_when(falls[0][0], lang)} → {_when(falls[0][1], lang)}:"
                    f" records cleaned or another source)")))
        elif len(required) == 1:
            parts.append(f"wajib KTP {format_number(required.iloc[0]['value'], lang)} ({_when(required.iloc[0], lang)})")
        both = recorded.merge(required, on=["as_of", "source_id"], suffixes=("_rec", "_req"))
        over = both[both["value_rec"] > both["value_req"]]
        if not over.empty:
            row = over.iloc[-1]
            when = format_date(pd.Timestamp(row["as_of"]).date(), row["as_of_precision_rec"], lang)
            parts.append(
                f"perekaman melebihi wajib KTP pada {len(over)} tanggal (terakhir {when}: "
                f"{format_number(row['value_rec'], lang)} dari {format_number(row['value_req'], lang)})" if lang == "id"
                else f"recorded exceeds wajib KTP at {len(over)} date(s) (last {when}: "
                     f"{format_number(row['value_rec'], lang)} of {format_number(row['value_req'], lang)})")
        if parts:
            lines.append(f"- **{name}** ({code}): " + "; ".join(parts) + ".")
    return lines


def denominators_title(df: pd.DataFrame, lang: Lang) -> str:
    if df.empty:
        return "Belum ada angka wajib KTP atau perekaman" if lang == "id" else "No wajib KTP or recorded counts yet"
    n = df.groupby("region_code")["as_of"].nunique().max()
    return (f"Wajib KTP dan jumlah terekam: hingga {n} tanggal per wilayah" if lang == "id"
            else f"Wajib KTP and recorded counts: up to {n} dates per region")


def denominators_text(df: pd.DataFrame, lang: Lang) -> str:
    lines = denominator_findings(df, lang)
    if not lines:
        return ("Snapshot ini belum memuat angka wajib KTP atau perekaman untuk wilayah ini." if lang == "id"
                else "This snapshot has no wajib KTP or recorded counts for these regions.")
    head = ("Cakupan = terekam / wajib KTP. Cakupan bisa turun karena wajib KTP bertambah atau dibersihkan, "
            "dan melewati 100 % bila terekam melebihi wajib KTP (penduduk pindah, meninggal, atau perekaman dini)."
            if lang == "id" else
            "Coverage = recorded / wajib KTP. It can fall because wajib KTP grows or is cleaned, and pass 100 % when "
            "more people are recorded than are counted as wajib KTP (people who moved or died, pre-recording).")
    return head + "\n\n" + "\n".join(lines)


def denominators_chart(df: pd.DataFrame, lang: Lang, title: str, subtitle: str) -> alt.VConcatChart:
    """One panel per region (its own scale): wajib KTP and recorded counts over time."""
    color = alt.Color("metric_label:N", title=None, scale=alt.Scale(range=[PALETTE[1], PALETTE[0]]))
    tip = [alt.Tooltip("metric_label:N", title=word("metric", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("as_of_label:N", title=word("date", lang)), alt.Tooltip("source_label:N", title=word("source", lang)),
           TOOLTIP_QUOTE]
    x = alt.X("plot_date:T", title=word("date", lang), axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(zero=False, padding=12), axis=alt.Axis(format="~s"))
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
        df["kind_label"] = [word(k, report.lang) for k in df["kind"]]  # type: ignore[arg-type]
    report.check_figures(df, regions=[province], within=True)
    local = df[df["region_code"] != province].sort_values(["as_of", "value"], ascending=[True, False])
    return local, df[df["region_code"] == province].sort_values("as_of")


def dates_with(local: pd.DataFrame, at_least: int = 2) -> pd.DataFrame:
    """Per date: how many kabupaten/kota have a figure, the lowest and highest."""
    if local.empty:
        return pd.DataFrame(columns=["as_of", "n", "low", "high"])
    g = local.groupby("as_of").agg(n=("region_code", "nunique"), low=("value", "min"), high=("value", "max"),
                                  precision=("as_of_precision", "first")).reset_index()
    return g[g["n"] >= at_least]


def kabupaten_kota_title(local: pd.DataFrame, province_name: str, lang: Lang) -> str:
    dates = dates_with(local)
    if dates.empty:
        return (f"{province_name}: belum ada tanggal dengan beberapa kabupaten/kota" if lang == "id"
                else f"{province_name}: no date with several kabupaten/kota yet")
    return (f"{province_name}: {local['region_code'].nunique()} kabupaten/kota pada {local['as_of'].nunique()} tanggal"
            if lang == "id" else
            f"{province_name}: {local['region_code'].nunique()} kabupaten/kota at {local['as_of'].nunique()} dates")


def kabupaten_kota_text(local: pd.DataFrame, province_rows: pd.DataFrame, lang: Lang) -> str:
    if local.empty:
        return ("Snapshot ini belum memuat angka kabupaten/kota untuk indikator ini." if lang == "id"
                else "This snapshot has no kabupaten/kota figures for this indicator yet.")
    lines = []
    for _, d in dates_with(local).iterrows():
        when = format_date(pd.Timestamp(d["as_of"]).date(), d["precision"], lang)
        prov = province_rows[province_rows["as_of"] == d["as_of"]]
        ref = "" if prov.empty else (f"; provinsi {prov.iloc[0]['value_label']}" if lang == "id"
                                     else f"; province {prov.iloc[0]['value_label']}")
        at = local[local["as_of"] == d["as_of"]]
        low, high = at.loc[at["value"].idxmin(), "value_label"], at.loc[at["value"].idxmax(), "value_label"]
        lines.append(f"- {when}: {int(d['n'])} kabupaten/kota, {low} – {high}{ref}")
    moved = []
    for _, rows in local.groupby("region_code"):
        rows = rows.sort_values("as_of")
        if rows["as_of"].nunique() >= 2:
            a, b = rows.iloc[0], rows.iloc[-1]
            moved.append(f"{a['region_name']} {a['value_label']} ({a['as_of_label']}) → {b['value_label']} "
                         f"({b['as_of_label']})")
    head = ("Tanggal dengan angka beberapa kabupaten/kota:" if lang == "id" else "Dates with several kabupaten/kota:")
    text = head + "\n\n" + ("\n".join(lines) or "–")
    if moved:
        text += ("\n\nKabupaten/kota dengan lebih dari satu tanggal: " if lang == "id"
                 else "\n\nKabupaten/kota with more than one date: ") + "; ".join(moved) + "."
    return text


def kabupaten_kota_chart(local: pd.DataFrame, province_rows: pd.DataFrame, lang: Lang, title: str,
                         subtitle: str) -> alt.VConcatChart:
    """One row per kabupaten/kota (the province first): a point per date, coloured by date from light
    (oldest) to dark (newest), joined by a line, so both the ranking at a date and each one's change show."""
    both = pd.concat([province_rows, local], ignore_index=True)
    order = list(dict.fromkeys([*province_rows["region_name"], *sorted(local["region_name"])]))
    dates = both.drop_duplicates("as_of").sort_values("as_of")["as_of_label"].tolist()
    y = alt.Y("region_name:N", title=None, sort=order, axis=alt.Axis(labelLimit=300))
    x = alt.X("value:Q", title="%", scale=alt.Scale(zero=False, padding=12))
    tip = [alt.Tooltip("region_label:N", title=word("region", lang)), alt.Tooltip("value_label:N", title=word("value", lang)),
           alt.Tooltip("kind_label:N", title=word("kind", lang)), alt.Tooltip("as_of_label:N", title=word("date", lang)),
           alt.Tooltip("source_label:N", title=word("source", lang)), TOOLTIP_QUOTE]
    color = alt.Color("as_of_label:N", title=word("date", lang), sort=dates,
                      scale=alt.Scale(scheme="viridis", reverse=True))
    line = alt.Chart(both).mark_line(color="#bbb", strokeWidth=1.5).encode(x=x, y=y, detail="region_name:N",
                                                                           order="as_of:T")
    points = alt.Chart(both).mark_point(size=110, filled=True, opacity=0.95).encode(
        x=x, y=y, color=color, shape=alt.Shape("kind_label:N", title=word("kind", lang)), tooltip=tip)
    chart = alt.layer(line, points).properties(width=WIDTH, height=alt.Step(34))
    return finish(chart, "kabupaten-kota-dates", title, subtitle, both, lang)


def kabupaten_kota_table(local: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Kabupaten/kota × date, the value as the source wrote it (``(d)`` marks a figure derived from counts)."""
    if local.empty:
        return pd.DataFrame()
    cells = local.assign(cell=[v + ("" if k == "stated" else " (d)") for v, k in zip(local["value_label"], local["kind"])])
    order = cells.drop_duplicates("as_of").sort_values("as_of")["as_of_label"].tolist()
    wide = cells.pivot_table(index="region_name", columns="as_of_label", values="cell", aggfunc="first")
    wide = wide[[c for c in order if c in wide.columns]].fillna("–")
    wide.index.name = word("region", lang)
    wide.columns.name = None
    return wide


# --- region profile --------------------------------------------------------------------------------------

def profile_note(report: Report, region: str) -> str:
    """What a profile of ``region`` rests on; for a region with no figures, where figures are instead."""
    con = report.con
    own = con.execute("SELECT count(*), count(DISTINCT source_id) FROM facts WHERE region_code = ?", [region]).fetchone()
    children = con.execute("""SELECT r.name, count(*) FROM facts f JOIN regions r USING (region_code)
                              WHERE r.parent_code = ? GROUP BY r.name ORDER BY 2 DESC, 1""", [region]).fetchall()
    name = report.region_names[region]
    lang = report.lang
    assert own is not None
    below = ", ".join(f"{n} ({c})" for n, c in children)
    if own[0]:
        text = (f"{name}: {own[0]} angka dari {own[1]} sumber." if lang == "id"
                else f"{name}: {own[0]} figures from {own[1]} source(s).")
        if below:
            text += (f" Kabupaten/kota-nya juga punya angka: {below}." if lang == "id"
                     else f" Its kabupaten/kota have figures too: {below}.")
        return text
    with_figures = con.execute("""SELECT r.name FROM facts f JOIN regions r USING (region_code)
                                  WHERE r.region_code <> '00' GROUP BY r.name ORDER BY r.name""").fetchall()
    listed = ", ".join(n for (n,) in with_figures)
    if lang == "id":
        return (f"Snapshot ini belum memuat angka untuk {name}."
                + (f" Kabupaten/kota-nya yang punya angka: {below}." if below else "")
                + f" Wilayah dengan angka: {listed}. Tambahkan sumber dengan `ktpel propose`.")
    return (f"This snapshot has no figures for {name} yet."
            + (f" Its kabupaten/kota with figures: {below}." if below else "")
            + f" Regions with figures: {listed}. Add a source with `ktpel propose`.")

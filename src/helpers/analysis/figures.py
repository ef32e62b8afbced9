"""The figures each notebook shows: snapshot queries shaped and labelled for a chart and a table
(region with its level, as-of date, source, quote, the fact each number comes from), in the report's
language.  Aggregation happens in DuckDB; only what is drawn comes back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from helpers.analysis import queries
from helpers.analysis.labels import (
    FACT_ANCHOR,
    INFERRED_MARK,
    TARGET_ANCHOR,
    date_inferred,
    date_text,
    fact_link,
    source_date,
    source_name,
    source_title,
    value_text,
)
from helpers.analysis.narrative import MIN_VALUES, one_per_figure
from helpers.analysis.params import Report
from helpers.i18n import format_date, format_number, format_percent, join, level, t, unit, word

RECORDING = "ktp_recording_pct"
TOTAL_WITH_PRERECORDING = "ktp_recording_total_pct"
EXTREME_METRICS = ["ktp_recording_pct", "first_time_voter_recording_pct", "kia_ownership_pct", "ikd_activation_pct"]
LABEL_COLUMNS = ("region_label", "as_of_label", "value_label", "source_label", "metric_label", "level_label")


def region_with_level(name: str, level_label: str) -> str:
    """``Kota Batam (city)``; ``Kota Batam`` alone where the name already says its level (``kota``)."""
    return name if name.lower().startswith(level_label.lower() + " ") else f"{name} ({level_label})"


def label(df: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Add display columns: region with its level, as-of date (inferred dates say so), value with its
    qualifier, source and its date, metric label."""
    lang = report.lang
    out = df.copy()
    if out.empty:
        for col in LABEL_COLUMNS:
            out[col] = pd.Series(dtype=str)
        return out
    notes = out["note"] if "note" in out else [None] * len(out)
    out["level_label"] = [level(v, lang) for v in out["region_level"]]
    out["region_label"] = [region_with_level(n, lv) for n, lv in zip(out["region_name"], out["level_label"])]
    out["as_of_label"] = [date_text(a, p, lang, date_inferred(n))
                          for a, p, n in zip(out["as_of"], out["as_of_precision"], notes)]
    out["value_label"] = [value_text(v, u, int(d), q, lang) for v, u, d, q in
                          zip(out["value"], out["unit"], out["decimals"], out["qualifier"])]
    out["source_label"] = [f"{source_name(r, lang)}, {source_date(r, lang)}" for _, r in out.iterrows()]
    out["metric_label"] = out["metric_label_id"] if lang == "id" else out["metric_label_en"]
    return out


def with_inferred_dates(report: Report, df: pd.DataFrame) -> pd.DataFrame:
    """A derived figure whose inputs have an inferred date has an inferred date too (its ``note`` says so)."""
    if df.empty or "fact_id" not in df:
        return df
    inferred = {r[0] for r in report.con.execute("""
        SELECT DISTINCT d.fact_id FROM facts d, unnest(d.input_fact_ids) AS u(input_id) JOIN facts i ON i.fact_id = u.input_id
        WHERE d.kind = 'derived' AND regexp_matches(lower(coalesce(i.note, '')), 'date inferred')""").fetchall()}
    notes = [INFERRED_MARK if f in inferred else n for f, n in zip(df["fact_id"], df["note"])]
    return df.assign(note=notes)


def missing_regions(report: Report, df: pd.DataFrame) -> list[str]:
    """Names of the report's regions that have no row in ``df``."""
    have = set(df["region_code"]) if "region_code" in df else set()
    return [report.region_names[c] for c in report.regions if c not in have]


def unit_name(name: str, lang: str) -> str:
    """A unit in the report's language (``jiwa``, ``keping``, ``unit mesin``)."""
    return unit(name, lang)


def metric_label(report: Report, metric: str) -> str:
    row = report.con.execute(f"SELECT label_{report.lang} FROM metrics WHERE metric = ?", [metric]).fetchone()
    return str(row[0]) if row else metric


#: A formula's operators as a reader writes them (the snapshot may store either spelling).
OPERATORS = {"/": "÷", "÷": "÷", "*": "×", "×": "×", "-": "−", "−": "−", "+": "+"}
FORMULA_TOKEN = re.compile(r"\s*([()/÷*×+\-−])\s*")


def formula_text(formula: str, operands: dict[str, str], lang: str) -> str:
    """A derived figure's formula for a reader: each metric id replaced by ``operands[id]`` (its label and
    value), operators by their shape (``÷``, ``×``, ``−``), numbers in the report's format, a target in words;
    no metric id is ever shown (an operand not in ``operands`` is said as "a figure of the source")."""
    out = []
    for part in FORMULA_TOKEN.split(formula.strip()):
        if not part:
            continue
        if part in OPERATORS:
            out.append(part if part in "()" else f" {OPERATORS[part]} ")
        elif part in "()":
            out.append(part)
        elif part in operands:
            out.append(operands[part])
        elif re.fullmatch(r"\d+(?:\.\d+)?", part):
            out.append(format_number(float(part), lang, 0 if float(part).is_integer() else 2))
        elif "target" in part:
            out.append(word("target", lang))
        else:
            out.append(word("source_figure", lang))
    return "".join(out).replace("( ", "(").replace(" )", ")").strip()


def inputs_label(report: Report, fact_ids: Any, formula: Any) -> str:
    """What a derived figure is computed from, in the shape of its formula, each input linked to its fact:
    ``Penduduk sudah rekam KTP-el 926.654 ÷ Wajib KTP 905.737 × 100``."""
    ids = [str(i) for i in (fact_ids if fact_ids is not None and not isinstance(fact_ids, float) else [])]
    if not ids:
        return ""
    rows = report.con.execute(f"""SELECT fact_id, value, unit, decimals, qualifier, label_{report.lang}, metric
        FROM facts JOIN metrics USING (metric, unit) WHERE list_contains(?, fact_id)""", [ids]).fetchall()
    by_id = {r[0]: r for r in rows}
    operands = {by_id[i][6]: f"{by_id[i][5]} {fact_link(value_text(by_id[i][1], by_id[i][2], by_id[i][3], by_id[i][4], report.lang), i)}"
                for i in ids if i in by_id}
    return formula_text(str(formula or ""), operands, report.lang)


# --------------------------------------------------------------------------- targets


def targets_for(report: Report, metrics: list[str]) -> pd.DataFrame:
    """Every national target of ``metrics``, each with its year (``year_is_estimate``), source and labels."""
    t_ = queries.targets(report.con, metrics)
    labels = dict(report.con.execute(f"SELECT metric, label_{report.lang} FROM metrics").fetchall())
    t_ = t_.assign(metric_label=[labels[m] for m in t_["metric"]])
    return t_.sort_values(["metric", "year", "year_is_estimate"]).drop_duplicates(["metric", "year"])


def attach_targets(df: pd.DataFrame, targets: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Columns ``target``, ``target_year``, ``target_estimate``: the target of the row's metric for the
    year of its date, if there is one (a target applies to its year only)."""
    by = {(r.metric, int(r.year)): r for r in targets.itertuples()}
    found = [by.get((m, pd.Timestamp(a).year)) if pd.notna(a) else None for m, a in zip(df["metric"], df["as_of"])]
    out = df.assign(target=[None if f is None else float(f.value) for f in found],
                    target_year=[None if f is None else int(f.year) for f in found],
                    target_estimate=[None if f is None else bool(f.year_is_estimate) for f in found])
    return out.assign(target_label=[_target_text(r, lang) for _, r in out.iterrows()])


def used_targets(df: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The targets that apply to at least one row of ``df`` (for the footer and the chart)."""
    if df.empty or "target_year" not in df:
        return targets.iloc[0:0]
    used = {(m, int(y)) for m, y in zip(df["metric"], df["target_year"]) if pd.notna(y)}
    return targets[[(m, int(y)) in used for m, y in zip(targets["metric"], targets["year"])]]


# --------------------------------------------------------------------------- per notebook


def _derived_columns(report: Report, latest: pd.DataFrame) -> pd.DataFrame:
    rows = [report.con.execute("""SELECT fact_id, input_fact_ids, formula, qualifier, decimals FROM facts
             WHERE kind = 'derived' AND source_id = ? AND region_code = ? AND metric = ?""",
                               [r.source_id, r.region_code, r.metric]).fetchone() for r in latest.itertuples()]
    return latest.assign(  # an approximate derived figure keeps its qualifier and its inputs' precision
        derived_fact_id=[r[0] if r else None for r in rows],
        derived_inputs=[inputs_label(report, r[1], r[2]) if r else "" for r in rows],
        derived_qualifier=[r[3] if r else None for r in rows],
        derived_label=[None if pd.isna(v) or not r else
                       value_text(v, "percent", 2 if r[3] == "exact" else int(r[4]), r[3], report.lang)
                       for v, r in zip(latest["derived_value"], rows)])


def region_comparison(report: Report) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The latest recording coverage per region (stated, with the figure derived from the same
    source's counts), the totals that include pre-recording (another measure, kept apart) and the
    targets of the years shown, each row carrying the target of its own year."""
    targets = targets_for(report, [RECORDING])
    latest = label(queries.latest_values(report.con, RECORDING, report.regions, report.until), report)
    report.check_figures(latest, [RECORDING])
    latest = attach_targets(_derived_columns(report, latest), targets, report.lang)
    latest = latest.assign(sources_label=[same_figure_sources(report, r) for _, r in latest.iterrows()])
    totals = label(queries.latest_values(report.con, TOTAL_WITH_PRERECORDING, report.regions, report.until), report)
    return latest, totals, used_targets(latest, targets)


def same_figure_sources(report: Report, row: pd.Series) -> str:
    """Every source that states ``row``'s figure (same region, metric, date, value and qualifier), named:
    ``Warta Ekonomi dan sumber tanpa judul``; a figure is said once, with all its sources."""
    same = report.con.execute("""SELECT * FROM facts_labeled WHERE kind = 'stated' AND region_code = ? AND metric = ?
        AND as_of IS NOT DISTINCT FROM ? AND value = ? AND qualifier = ? ORDER BY source_id""",
                              [row["region_code"], row["metric"], row["as_of"], float(row["value"]),
                               row["qualifier"]]).df()
    return join(list(dict.fromkeys(source_name(r, report.lang) for _, r in same.iterrows())), report.lang)


def coverage_over_time(report: Report, metric: str = RECORDING) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stated figure of ``metric`` per region over time.  An undated figure is placed at the
    latest date its source can have (``plot_date``) and flagged ``undated``, never as a real date."""
    df = label(queries.time_series(report.con, metric, report.regions, report.until), report)
    bound = pd.to_datetime(df["source_published_not_after"])
    df["undated"] = df["as_of"].isna()
    df["plot_date"] = pd.to_datetime(df["as_of"]).fillna(bound)
    df.loc[df["undated"], "as_of_label"] = [source_date(r, report.lang) for _, r in df[df["undated"]].iterrows()]
    targets = targets_for(report, [metric])
    report.check_figures(df[df["plot_date"].notna()], [metric])
    df = attach_targets(df[df["plot_date"].notna()], targets, report.lang)
    return df, used_targets(df, targets)


def province_extremes(report: Report, province: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each metric of :data:`EXTREME_METRICS`, the province figure and the highest and lowest
    kabupaten/kota of the same source and date (``role``), each with the target of its year."""
    df = queries.facts(report.con, metrics=EXTREME_METRICS, kind="stated", until=report.until)
    df = df[((df["region_code"] == province) | df["region_code"].str.startswith(province + ".")) & df["as_of"].notna()]
    report.check_figures(df, regions=[province], within=True)
    targets = targets_for(report, EXTREME_METRICS)
    if df.empty:
        empty = attach_targets(label(df, report), targets, report.lang).assign(role=pd.Series(dtype=str), role_label=pd.Series(dtype=str))
        return empty, targets.iloc[0:0]
    latest = df[df["region_code"] != province].sort_values("as_of").groupby("metric").tail(1)[["metric", "source_id", "as_of"]]
    df = df.merge(latest, on=["metric", "source_id", "as_of"])
    roles = []
    for _, row in df.iterrows():
        same = df[(df["metric"] == row["metric"]) & (df["region_code"] != province)]["value"]
        roles.append("province" if row["region_code"] == province else
                     "highest" if row["value"] == same.max() else "lowest" if row["value"] == same.min() else "other")
    out = attach_targets(label(df.assign(role=roles), report), targets, report.lang)
    out["role_label"] = [word(r, report.lang) if r != "other" else "" for r in out["role"]]
    return out, used_targets(out, targets)


def progress_against_targets(report: Report, metrics: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stated and derived figures of ``metrics`` for the chosen regions, each with the national target
    of its year (none if no target was set for that year)."""
    df = label(with_inferred_dates(report, queries.facts(report.con, report.regions, metrics, until=report.until)), report)
    df = df[df["as_of"].notna()]
    report.check_figures(df, metrics)
    targets = targets_for(report, metrics)
    df = attach_targets(df, targets, report.lang)
    df["kind_label"] = [word(k, report.lang) for k in df["kind"]]
    df["inputs_label"] = [inputs_label(report, *_inputs_of(report, i)) if k == "derived" else ""
                          for i, k in zip(df["fact_id"], df["kind"])]
    return df, used_targets(df, targets)


def _inputs_of(report: Report, fact_id: str) -> tuple[Any, Any]:
    row = report.con.execute("SELECT input_fact_ids, formula FROM facts WHERE fact_id = ?", [fact_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def _target_text(row: pd.Series, lang: str) -> str | None:
    if pd.isna(row.get("target")):
        return None
    key = "chart.target_label_estimate" if row.get("target_estimate") else "chart.target_label"
    return t(key, lang, year=int(row["target_year"]), value=format_percent(row["target"], lang, 0))


def data_quality(report: Report) -> dict[str, pd.DataFrame]:
    """Stated vs derived comparisons (exactly checkable only when both are exact figures), every
    coverage over 100 % and why, undated sources."""
    lang = report.lang
    c = queries.consistency(report.con)
    quals = dict(report.con.execute("SELECT fact_id, qualifier FROM facts").fetchall())
    facts = report.con.execute("""SELECT fact_id, as_of, as_of_precision, note, input_fact_ids, formula
                                  FROM facts""").df().set_index("fact_id")
    c["metric_label"] = c[f"metric_label_{lang}"]
    c["stated_qualifier"] = [quals.get(i, "exact") for i in c["stated_fact_id"]]
    c["derived_qualifier"] = [quals.get(i, "exact") for i in c["derived_fact_id"]]
    c["checkable"] = (c["stated_qualifier"] == "exact") & (c["derived_qualifier"] == "exact")
    c["stated_label"] = [fact_link(value_text(v, u, d, q, lang), i) for v, u, d, q, i in
                         zip(c["stated_value"], c["unit"], c["decimals"], c["stated_qualifier"], c["stated_fact_id"])]
    c["derived_label"] = [fact_link(value_text(v, u, max(d, 2) if q == "exact" and u == "percent" else d, q, lang), i)
                          for v, u, d, q, i in zip(c["derived_value"], c["unit"], c["decimals"], c["derived_qualifier"],
                                                   c["derived_fact_id"])]
    c["as_of_label"] = [date_text(facts.at[i, "as_of"], facts.at[i, "as_of_precision"], lang,
                                  date_inferred(facts.at[i, "note"])) for i in c["stated_fact_id"]]
    c["inputs_label"] = [inputs_label(report, facts.at[i, "input_fact_ids"], facts.at[i, "formula"])
                         for i in c["derived_fact_id"]]
    c["formula_label"] = [_plain(x) for x in c["inputs_label"]]  # for tooltips: the formula in words, no metric id
    c["difference_label"] = [signed(d, lang, 2 if u == "percent" else 0) if ok else "–"
                             for d, u, ok in zip(c["difference"], c["unit"], c["checkable"])]
    c["agrees_label"] = [word("yes" if a else "no", lang) if ok else "–" for a, ok in zip(c["agrees"], c["checkable"])]
    # the same figure stated by several sources, with the same derivation, is one check naming every source
    c = one_per_figure(c.assign(_as_of=[facts.at[i, "as_of"] for i in c["stated_fact_id"]]),
                       ["region_code", "metric", "_as_of", "stated_value", "stated_qualifier", "derived_value"], lang)
    c = c.drop(columns="_as_of").assign(source_name=lambda d: d["sources_label"]).reset_index(drop=True)
    over = label(report.con.execute("""SELECT * FROM facts_labeled WHERE unit = 'percent' AND value > 100
                                       ORDER BY region_code, metric, as_of""").df(), report)
    over = one_per_figure(over, ["region_code", "metric", "as_of", "value", "qualifier", "kind"], lang)
    over["why"] = [t("why.total" if m == TOTAL_WITH_PRERECORDING else "why.over", lang) for m in over["metric"]]
    over["kind_label"] = [word(k, lang) for k in over["kind"]]
    sources = queries.sources(report.con)
    undated = sources[sources["published_on"].isna()].copy()
    undated["date_label"] = [source_date(r, lang) for _, r in undated.iterrows()]
    undated["title_label"] = [source_title(r, lang) for _, r in undated.iterrows()]
    return {"consistency": c, "over_100": over, "undated_sources": undated}


def signed(value: float, lang: str, decimals: int = 2) -> str:
    """``+3,01`` / ``−0,04`` / ``0,00`` (no sign on what rounds to zero)."""
    rounded = round(float(value), decimals)
    return f"{'+' if rounded > 0 else '−' if rounded < 0 else ''}{format_number(abs(rounded), lang, decimals)}"


def region_profile(report: Report, region: str) -> pd.DataFrame:
    """Every figure about one region, stated and derived, with source and quote; and from bulk tables, the
    latest figure of each metric (its quote is its file and line)."""
    facts = with_inferred_dates(report, queries.facts(report.con, [region], until=report.until))
    bulk = bulk_profile_rows(report, region)
    df = label(facts if bulk.empty else pd.concat([facts, bulk], ignore_index=True), report)
    report.check_figures(df, regions=[region])
    return df.assign(kind_label=[word(k, report.lang) for k in df["kind"]])


def bulk_profile_rows(report: Report, region: str) -> pd.DataFrame:
    """:func:`helpers.analysis.queries.bulk_latest` in the columns of :func:`helpers.analysis.queries.facts`."""
    bulk = queries.bulk_latest(report.con, region, report.until)
    if bulk.empty:
        return bulk
    name, level_ = report.con.execute("SELECT name, level FROM regions WHERE region_code = ?", [region]).fetchone()  # type: ignore[misc]
    table_word = "tabel" if report.lang == "id" else "table"
    return bulk.assign(region_name=name, region_level=level_, qualifier="exact", as_of_precision="day",
                       kind="stated", source_id=[f"bulk:{f}" for f in bulk["file"]],
                       quote=[f"{f}:{n}" for f, n in zip(bulk["file"], bulk["line"])],
                       decimals=[2 if u == "percent" else 0 for u in bulk["unit"]], source_title=bulk["file"],
                       source_publisher=[f"{table_word} {f}" for f in bulk["file"]]).drop(columns=["file", "line"])


def kabupaten_kota_spread(report: Report, metric: str = RECORDING) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The spread of ``metric`` over the kabupaten/kota of one province at one date (month), computed by
    DuckDB; a group is kept only when every kabupaten/kota of that province has a figure and there are at
    least :data:`MIN_VALUES`.  Returns (drawn groups, every group with its coverage, sources behind it)."""
    lang = report.lang
    provinces = report.con.execute("""SELECT p.region_code, p.name, count(*) FROM regions k
        JOIN regions p ON p.region_code = k.parent_code WHERE k.level IN ('kabupaten', 'kota')
        GROUP BY ALL ORDER BY 1""").fetchall()
    groups = []
    for code, name, total in provinces:
        g = queries.kabupaten_kota_spread(report.con, metric, report.until, parent=code)
        if not g.empty:
            groups.append(g.assign(province_code=code, province_name=name, total=total))
    cols = ["period", "n", "lo", "p10", "median", "p90", "hi", "source_ids", "files", "province_code", "province_name",
            "total"]
    every = pd.concat(groups, ignore_index=True) if groups else pd.DataFrame(columns=cols)
    every["period_label"] = [format_date(pd.Timestamp(p).date(), "month", lang) for p in every["period"]]
    for col in ("lo", "p10", "median", "p90", "hi"):
        every[f"{col}_label"] = [format_percent(v, lang) for v in every[col]]
    complete = [n >= max(MIN_VALUES, tot) for n, tot in zip(every["n"], every["total"])]
    every["drawn_label"] = [word("yes" if c else "no", lang) for c in complete]
    every["coverage_label"] = [f"{int(n)} / {int(tot)}" for n, tot in zip(every["n"], every["total"])]
    for col in ("lo", "p10", "median", "p90", "hi"):  # no statistic is named over an incomplete group
        every[f"{col}_label"] = [v if c else "–" for v, c in zip(every[f"{col}_label"], complete)]
    drawn = every[complete].reset_index(drop=True)
    used = sorted({s for ids in drawn["source_ids"] for s in ids if s is not None})
    facts = queries.facts(report.con, metrics=[metric], kind="stated")
    sources = facts[facts["source_id"].isin(used)].drop_duplicates("source_id")
    files = sorted({f for fs in drawn["files"] for f in fs})
    bulk = pd.DataFrame({"source_id": [f"bulk:{f}" for f in files], "source_title": files, "source_publisher": files})
    return drawn, every, pd.concat([sources, bulk], ignore_index=True)


# --------------------------------------------------------------------------- tables

#: Column -> the column holding the fact id its number links to.
LINKS = {"value_label": "fact_id"}
#: Columns shown as received (quotes, source names, codes and ids): marked ``class="verbatim"`` in the HTML.
VERBATIM = ("quote", "source_label", "region_code", "metric", "source_id", "publisher")
NUMERIC = ("value_label", "derived_label", "stated_label", "target", "target_label", "difference_label", "n",
           "lo_label", "median_label", "hi_label", "figures", "metrics", "regions", "value")


@dataclass
class Table:
    """A table for display: headers in the report's language, no index column, text left-aligned and
    numbers right-aligned, each number linked to the fact it comes from (``#fact-<id>``)."""

    frame: pd.DataFrame
    columns: list[str]
    links: list[list[str | None]]

    def __repr__(self) -> str:
        return self.frame.to_string(index=False)

    def _repr_html_(self) -> str:
        head = "".join(f'<th class="{"num" if c in NUMERIC else "text"}">{escape(h)}</th>'
                       for c, h in zip(self.columns, self.frame.columns))
        rows = []
        for values, links in zip(self.frame.itertuples(index=False), self.links):
            cells = []
            for col, value, link in zip(self.columns, values, links):
                text = _plain(str(value))
                inner = f'<a href="#{escape(link)}">{escape(text)}</a>' if link else escape(text)
                cls = "num" if col in NUMERIC else "verbatim text" if col in VERBATIM else "text"
                cells.append(f'<td class="{cls}">{inner}</td>')
            rows.append(f"<tr>{''.join(cells)}</tr>")
        return (f'<table class="ktpel-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")


def _plain(text: str) -> str:
    """A markdown fact link ``[x](#fact-y)`` as its text ``x`` (tables link cells themselves)."""
    import re

    return re.sub(r"\[([^\]]*)\]\(#(?:" + FACT_ANCHOR + "|" + TARGET_ANCHOR + r")[^)]*\)", r"\1", text)


def _link_of(row: pd.Series, column: str) -> str | None:
    """The anchor a cell's number links to: ``fact-<id>`` or ``target-<metric>-<year>``."""
    if column == "target_label" and pd.notna(row.get("target_year")):
        return f"{TARGET_ANCHOR}{row['metric']}-{int(row['target_year'])}"
    key = LINKS.get(column) or {"stated_label": "stated_fact_id", "derived_label": "derived_fact_id"}.get(column)
    value = row.get(key) if key else None
    return f"{FACT_ANCHOR}{value}" if isinstance(value, str) and value else None


def table(df: pd.DataFrame, columns: list[str], lang: str) -> Table:
    """``columns`` of ``df`` for display: headers from the catalogue, a dash where a row has no value."""
    shown = df[columns].astype(object).where(df[columns].notna(), "–")
    shown = shown.map(lambda v: _plain(str(v)) if isinstance(v, str) else v)
    shown.columns = [t(f"column.{c}", lang) for c in columns]
    shown.index = pd.RangeIndex(1, len(shown) + 1)
    links = [[_link_of(r, c) for c in columns] for _, r in df.iterrows()]
    return Table(shown, list(columns), links)

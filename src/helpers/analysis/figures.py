"""The figures each notebook shows: snapshot queries shaped and labelled for a
chart and a table (region with its level, as-of date, source, quote), in the
report's language.  Aggregation happens in DuckDB; only what is drawn comes back."""

from __future__ import annotations

import pandas as pd

from helpers.analysis import queries
from helpers.analysis.labels import as_date, source_date, source_name
from helpers.analysis.params import Report
from helpers.i18n import format_date, level, word
from helpers.raw.numbers import format_number, format_percent

RECORDING = "ktp_recording_pct"
TOTAL_WITH_PRERECORDING = "ktp_recording_total_pct"
#: The Kaltim kabupaten/kota comparison: metric -> the national target metric that applies.
EXTREME_METRICS = ["ktp_recording_pct", "first_time_voter_recording_pct", "kia_ownership_pct", "ikd_activation_pct"]


def value_text(value: float, unit: str, decimals: int, qualifier: str, lang: str) -> str:
    """``99,54 %``, ``sekitar 98 %``, ``lebih dari 75 %``, ``926.654``."""
    number = (format_percent(value, lang, decimals) if unit == "percent"  # type: ignore[arg-type]
              else format_number(value, lang, decimals))  # type: ignore[arg-type]
    return number if qualifier == "exact" else f"{word(qualifier, lang)} {number}"  # type: ignore[arg-type]


def label(df: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Add display columns: region with its level, as-of date, value text, source and its date."""
    lang = report.lang
    out = df.copy()
    if out.empty:
        for col in ("region_label", "as_of_label", "value_label", "source_label", "metric_label", "level_label"):
            out[col] = pd.Series(dtype=str)
        return out
    out["level_label"] = [level(v, lang) for v in out["region_level"]]  # type: ignore[arg-type]
    out["region_label"] = [f"{n} ({lv})" for n, lv in zip(out["region_name"], out["level_label"])]
    out["as_of_label"] = [format_date(as_date(a), p, lang) for a, p in zip(out["as_of"], out["as_of_precision"])]  # type: ignore[arg-type]
    out["value_label"] = [value_text(v, u, int(d), q, lang) for v, u, d, q in
                          zip(out["value"], out["unit"], out["decimals"], out["qualifier"])]
    out["source_label"] = [f"{source_name(r)}, {source_date(r, lang)}" for _, r in out.iterrows()]
    out["metric_label"] = out["metric_label_id"] if lang == "id" else out["metric_label_en"]
    return out


def region_comparison(report: Report) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The latest like-for-like recording coverage per region (stated, with the
    figure derived from the same source's counts), the totals that include
    pre-recording (a different measure, kept apart) and the recording target."""
    latest = label(queries.latest_values(report.con, RECORDING, report.regions, report.until), report)
    report.check_figures(latest, [RECORDING])
    latest["derived_label"] = [None if pd.isna(v) else format_percent(v, report.lang) for v in latest["derived_value"]]  # type: ignore[arg-type]
    totals = label(queries.latest_values(report.con, TOTAL_WITH_PRERECORDING, report.regions, report.until), report)
    return latest, totals, targets_for(report, [RECORDING])


def targets_for(report: Report, metrics: list[str]) -> pd.DataFrame:
    """The most recent national target of each metric that has one, with its source and label."""
    t = queries.targets(report.con, metrics)
    t = t.sort_values(["year", "year_is_estimate"], ascending=[False, True]).drop_duplicates("metric")
    labels = dict(report.con.execute(f"SELECT metric, label_{report.lang} FROM metrics").fetchall())
    return t.assign(metric_label=[labels[m] for m in t["metric"]])


def coverage_over_time(report: Report, metric: str = RECORDING) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every stated figure of ``metric`` per region over time.  An undated figure is
    placed at the latest date its source can have (``plot_date``) and flagged
    ``undated`` so the chart marks it as such, never as a real date."""
    df = label(queries.time_series(report.con, metric, report.regions, report.until), report)
    bound = pd.to_datetime(df["source_published_not_after"])
    df["undated"] = df["as_of"].isna()
    df["plot_date"] = pd.to_datetime(df["as_of"]).fillna(bound)
    df.loc[df["undated"], "as_of_label"] = [source_date(r, report.lang) for _, r in df[df["undated"]].iterrows()]
    report.check_figures(df[df["plot_date"].notna()], [metric])
    return df[df["plot_date"].notna()], targets_for(report, [metric])


def province_extremes(report: Report, province: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each metric of :data:`EXTREME_METRICS`, the province figure and the
    highest and lowest kabupaten/kota of the same source and date (``role``), and the targets."""
    df = queries.facts(report.con, metrics=EXTREME_METRICS, kind="stated", until=report.until)
    df = df[(df["region_code"] == province) | df["region_code"].str.startswith(province + ".")]
    df = df[df["as_of"].notna()]
    report.check_figures(df, regions=[province], within=True)
    if df.empty:
        return label(df.assign(role=pd.Series(dtype=str)), report).assign(role_label=pd.Series(dtype=str)), \
            targets_for(report, [])
    # The latest source per metric that reports kabupaten/kota at all.
    sub = df[df["region_code"] != province]
    latest = sub.sort_values("as_of").groupby("metric").tail(1)[["metric", "source_id"]]
    df = df.merge(latest, on=["metric", "source_id"])
    roles = []
    for _, row in df.iterrows():
        same = df[(df["metric"] == row["metric"]) & (df["region_code"] != province)]["value"]
        roles.append("province" if row["region_code"] == province else
                     "highest" if row["value"] == same.max() else "lowest" if row["value"] == same.min() else "other")
    df["role"] = roles
    out = label(df, report)
    out["role_label"] = [word(r, report.lang) if r != "other" else "" for r in out["role"]]  # type: ignore[arg-type]
    return out, targets_for(report, sorted(set(out["metric"])))


def progress_against_targets(report: Report, metrics: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stated and derived figures of ``metrics`` for the chosen regions, each with
    the national target of its year."""
    df = label(queries.facts(report.con, report.regions, metrics, until=report.until), report)
    df = df[df["as_of"].notna()]
    report.check_figures(df, metrics)
    targets = queries.targets(report.con, metrics)
    target_by = {(r.metric, r.year): r.value for r in targets.itertuples()}
    df["target"] = [target_by.get((m, pd.Timestamp(a).year)) for m, a in zip(df["metric"], df["as_of"])]
    df["kind_label"] = [word(k, report.lang) for k in df["kind"]]  # type: ignore[arg-type]
    used = df[df["target"].notna()]
    return df, targets_for(report, sorted(set(used["metric"])))


def data_quality(report: Report) -> dict[str, pd.DataFrame]:
    """Stated vs derived comparisons, every coverage over 100 % and why, undated sources."""
    consistency = queries.consistency(report.con)
    consistency["metric_label"] = consistency[f"metric_label_{report.lang}"]
    consistency["stated_label"] = [value_text(v, u, d, "exact", report.lang) for v, u, d in
                                   zip(consistency["stated_value"], consistency["unit"], consistency["decimals"])]
    consistency["derived_label"] = [value_text(v, u, max(d, 2) if u == "percent" else d, "exact", report.lang)
                                    for v, u, d in zip(consistency["derived_value"], consistency["unit"],
                                                       consistency["decimals"])]
    over = label(report.con.execute("""
        SELECT f.*, s.note AS stated_note FROM facts_labeled f
        LEFT JOIN facts s ON s.kind = 'stated' AND s.source_id = f.source_id AND s.region_code = f.region_code
             AND s.metric = f.metric AND f.kind = 'derived'
        WHERE f.unit = 'percent' AND f.value > 100 ORDER BY f.region_code, f.metric""").df(), report)
    over["why"] = [n if isinstance(n, str) and n else s for n, s in zip(over["note"], over["stated_note"])]
    sources = queries.sources(report.con)
    undated = sources[sources["published_on"].isna()].copy()
    undated["date_label"] = [source_date(r, report.lang) for _, r in undated.iterrows()]
    return {"consistency": consistency, "over_100": over, "undated_sources": undated}


def region_profile(report: Report, region: str) -> pd.DataFrame:
    """Every figure about one region, stated and derived, with source and quote; and from bulk tables, the
    latest figure of each metric (its quote is its file and line)."""
    facts = queries.facts(report.con, [region], until=report.until)
    bulk = bulk_profile_rows(report, region)
    profile = label(facts if bulk.empty else pd.concat([facts, bulk], ignore_index=True), report)
    report.check_figures(profile, regions=[region])
    return profile


def bulk_profile_rows(report: Report, region: str) -> pd.DataFrame:
    """:func:`helpers.analysis.queries.bulk_latest` in the columns of :func:`helpers.analysis.queries.facts`."""
    bulk = queries.bulk_latest(report.con, region, report.until)
    if bulk.empty:
        return bulk
    name, level_ = report.con.execute("SELECT name, level FROM regions WHERE region_code = ?", [region]).fetchone()  # type: ignore[misc]
    table = "tabel" if report.lang == "id" else "table"
    return bulk.assign(region_name=name, region_level=level_, qualifier="exact", as_of_precision="day",
                       kind="stated", source_id=[f"bulk:{f}" for f in bulk["file"]],
                       quote=[f"{f}:{n}" for f, n in zip(bulk["file"], bulk["line"])],
                       decimals=[2 if u == "percent" else 0 for u in bulk["unit"]], source_title=bulk["file"],
                       source_publisher=[f"{table} {f}" for f in bulk["file"]]).drop(columns=["file", "line"])


#: Table headers of the columns notebooks show, by language (columns not listed keep their name).
HEADERS: dict[str, dict[str, str]] = {
    "id": {"region_label": "Wilayah", "region_name": "Wilayah", "metric_label": "Indikator", "role_label": "Posisi",
           "value_label": "Nilai", "derived_label": "Dihitung dari angka sumber", "stated_label": "Dinyatakan",
           "kind": "Jenis", "kind_label": "Jenis", "target": "Target", "as_of_label": "Tanggal data",
           "source_label": "Sumber", "quote": "Kutipan", "why": "Alasan", "difference": "Selisih",
           "agrees": "Sesuai", "formula": "Rumus", "period_label": "Bulan", "n": "Kabupaten/kota",
           "lo_label": "Terendah", "median_label": "Median", "hi_label": "Tertinggi"},
    "en": {"region_label": "Region", "region_name": "Region", "metric_label": "Indicator", "role_label": "Position",
           "value_label": "Value", "derived_label": "Derived from the source's counts", "stated_label": "Stated",
           "kind": "Kind", "kind_label": "Kind", "target": "Target", "as_of_label": "As of",
           "source_label": "Source", "quote": "Quote", "why": "Why", "difference": "Difference",
           "agrees": "Agrees", "formula": "Formula", "period_label": "Month", "n": "Kabupaten/kota",
           "lo_label": "Lowest", "median_label": "Median", "hi_label": "Highest"},
}


def table(df: pd.DataFrame, columns: list[str], lang: str) -> pd.DataFrame:
    """``columns`` of ``df`` for display: headers in the report's language, numbered from 1, and a dash
    where a row has no value (not ``NaN``)."""
    out = df[columns].astype(object).where(df[columns].notna(), "–")
    out = out.rename(columns=HEADERS.get(lang, HEADERS["id"]))
    out.index = pd.RangeIndex(1, len(out) + 1)
    return out


def kabupaten_kota_spread(report: Report, metric: str = RECORDING) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per month, the spread of ``metric`` over the kabupaten/kota (aggregated in DuckDB), with labels; the
    target; and one row per source behind it (for the chart's footer; bulk tables are named by file)."""
    lang = report.lang
    df = queries.kabupaten_kota_spread(report.con, metric, report.until)
    df["period_label"] = [format_date(pd.Timestamp(p).date(), "month", lang) for p in df["period"]]  # type: ignore[arg-type]
    for col in ("lo", "p10", "median", "p90", "hi"):
        df[f"{col}_label"] = [format_percent(v, lang) for v in df[col]]  # type: ignore[arg-type]
    used = sorted({s for ids in df["source_ids"] for s in ids if s is not None})
    facts = queries.facts(report.con, metrics=[metric], kind="stated")
    sources = facts[facts["source_id"].isin(used)].drop_duplicates("source_id")
    files = sorted({f for fs in df["files"] for f in fs})
    bulk = pd.DataFrame({"source_id": [f"bulk:{f}" for f in files], "source_title": files,
                         "source_publisher": [f"{'tabel' if lang == 'id' else 'table'} {f}" for f in files]})
    return df, targets_for(report, [metric]), pd.concat([sources, bulk], ignore_index=True)

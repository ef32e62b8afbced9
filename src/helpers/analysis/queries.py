"""The questions notebooks ask of a snapshot, as pandas DataFrames.

Every value a caller passes is bound as a SQL parameter, never pasted into SQL text.
Region arguments are Kemendagri codes; :func:`resolve_regions` turns names, aliases and numbers into codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from helpers.snapshot.regions import RegionError, RegionIndex

FACT_COLUMNS = ("region_code, region_name, region_level, metric, value, unit, qualifier, as_of, as_of_precision, "
                "kind, source_id, quote")


class UnknownChoice(ValueError):
    """A parameter value that is not one of the valid choices (which the message lists)."""


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def snapshot_info(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The snapshot's id, creation time and counts."""
    row = con.execute("SELECT * FROM snapshot").fetchone()
    assert row is not None
    return dict(zip([d[0] for d in con.description], row))


def regions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, "SELECT region_code, name, level, parent_code FROM regions ORDER BY region_code")


def resolve_regions(con: duckdb.DuckDBPyConnection, wanted: object) -> list[str]:
    """Region codes for names, aliases or codes: ``"Batam"``, ``"Kota Batam"``, ``"Kaltim"``, ``"21.71"``,
    ``64.71`` (a number is read as a code), a list of those, or its text (``'["Batam","64"]'``, ``Batam,64``).

    Only exact matches count (case and spacing aside); raises :class:`UnknownChoice` naming the close
    candidates (see :mod:`helpers.snapshot.regions`)."""
    try:
        return RegionIndex.from_connection(con).resolve_all(wanted)
    except RegionError as exc:
        raise UnknownChoice(str(exc)) from None


def metrics(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, "SELECT metric, unit, label_id, label_en, definition FROM metrics ORDER BY metric")


def check_metric(con: duckdb.DuckDBPyConnection, metric: str) -> str:
    """``metric`` if the snapshot knows it; else :class:`UnknownChoice` listing the metrics."""
    known = [r[0] for r in con.execute("SELECT metric FROM metrics ORDER BY metric").fetchall()]
    if metric not in known:
        raise UnknownChoice(f"metric {metric!r} is not known. Valid choices: {', '.join(known)}")
    return metric


def facts(con: duckdb.DuckDBPyConnection, regions: Sequence[str] | None = None,
          metrics: Sequence[str] | None = None, kind: str | None = None, until: date | None = None) -> pd.DataFrame:
    """Facts with region and source labels, filtered by region codes, metrics,
    kind ('stated' / 'derived') and as-of date (undated facts are kept)."""
    return _df(con, f"""
        SELECT {FACT_COLUMNS}, as_of_text, decimals, formula, metric_label_id, metric_label_en,
               source_title, source_publisher, source_published_on, source_published_precision, source_published_not_before,
               source_published_not_after, note, fact_id
        FROM facts_labeled
        WHERE (? IS NULL OR list_contains(?, region_code))
          AND (? IS NULL OR list_contains(?, metric))
          AND (? IS NULL OR kind = ?)
          AND (? IS NULL OR as_of IS NULL OR as_of <= ?)
        ORDER BY region_code, metric, as_of NULLS FIRST, kind DESC""",
               [_list(regions), _list(regions), _list(metrics), _list(metrics), kind, kind, until, until])


def latest_values(con: duckdb.DuckDBPyConnection, metric: str, regions: Sequence[str] | None = None,
                  until: date | None = None) -> pd.DataFrame:
    """Per region, the most recent dated figure of ``metric`` (stated, with the
    derived figure of the same source and date beside it as ``derived_value``)."""
    return _df(con, """
        WITH s AS (
          SELECT * FROM facts_labeled
          WHERE kind = 'stated' AND metric = ? AND as_of IS NOT NULL AND (? IS NULL OR as_of <= ?)
            AND (? IS NULL OR list_contains(?, region_code))
          QUALIFY row_number() OVER (PARTITION BY region_code ORDER BY as_of DESC, source_id) = 1)
        SELECT s.*, d.value AS derived_value, d.formula AS derived_formula
        FROM s LEFT JOIN facts d ON d.kind = 'derived' AND d.source_id = s.source_id
             AND d.region_code = s.region_code AND d.metric = s.metric
        ORDER BY s.region_code""", [metric, until, until, _list(regions), _list(regions)])


def time_series(con: duckdb.DuckDBPyConnection, metric: str, regions: Sequence[str] | None = None,
                until: date | None = None) -> pd.DataFrame:
    """Every stated figure of ``metric`` over time per region, undated ones included
    (``as_of`` null) with the bounds their source's date allows."""
    return _df(con, """
        SELECT * FROM facts_labeled
        WHERE kind = 'stated' AND metric = ? AND (? IS NULL OR list_contains(?, region_code))
          AND (? IS NULL OR as_of IS NULL OR as_of <= ?)
        ORDER BY region_code, as_of NULLS FIRST""", [metric, _list(regions), _list(regions), until, until])


def targets(con: duckdb.DuckDBPyConnection, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """National targets with their source."""
    return _df(con, """
        SELECT t.*, s.title AS source_title, s.publisher AS source_publisher, s.published_on AS source_published_on,
               s.published_precision AS source_published_precision,
               s.published_not_before AS source_published_not_before,
               s.published_not_after AS source_published_not_after
        FROM targets t JOIN sources s USING (source_id)
        WHERE (? IS NULL OR list_contains(?, t.metric)) ORDER BY t.metric, t.year, t.source_id""",
               [_list(metrics), _list(metrics)])


def consistency(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stated figure next to its derivation from the same source."""
    return _df(con, """
        SELECT c.*, r.name AS region_name, r.level AS region_level, f.quote, f.as_of_text, f.unit, f.decimals,
               m.label_id AS metric_label_id, m.label_en AS metric_label_en,
               s.title AS source_title, s.publisher AS source_publisher, s.published_on AS source_published_on,
               s.published_precision AS source_published_precision,
               s.published_not_before AS source_published_not_before,
               s.published_not_after AS source_published_not_after
        FROM consistency c JOIN regions r USING (region_code) JOIN facts f ON f.fact_id = c.stated_fact_id
             JOIN sources s ON s.source_id = c.source_id JOIN metrics m ON m.metric = c.metric
        ORDER BY agrees, source_id, metric""")


def sources(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Sources without their text."""
    return _df(con, """
        SELECT source_id, title, publisher, place, published_on, published_precision, published_not_before,
               published_not_after, date_note, file, sha256, language, notes FROM sources ORDER BY source_id""")


def bulk_latest(con: duckdb.DuckDBPyConnection, region: str, until: date | None = None) -> pd.DataFrame:
    """The latest bulk-table figure of each metric of one region (view ``bulk_facts``; none on a snapshot
    without bulk tables), with the metric's labels and the file and line it comes from."""
    has_view = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'bulk_facts'").fetchone()
    if not (has_view and has_view[0]):
        return pd.DataFrame(columns=["region_code", "metric", "as_of", "value", "unit", "file", "line"])
    return _df(con, """
        SELECT b.region_code, b.metric, max(b.as_of) AS as_of, arg_max(b.value, b.as_of) AS value,
               any_value(b.unit) AS unit, arg_max(b.file, b.as_of) AS file, arg_max(b.line, b.as_of) AS line,
               any_value(m.label_id) AS metric_label_id, any_value(m.label_en) AS metric_label_en
        FROM bulk_facts b JOIN metrics m USING (metric)
        WHERE b.region_code = ? AND (? IS NULL OR b.as_of <= ?)
        GROUP BY b.region_code, b.metric ORDER BY b.metric""", [region, until, until])


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


#: ``freq`` of :func:`observations_series`: the period each value stands for.
FREQUENCIES = ("day", "month", "quarter", "year")


def observations_series(con: duckdb.DuckDBPyConnection, regions: Sequence[str] | None, metric: str,
                        until: date | None = None, freq: str | None = None) -> pd.DataFrame:
    """Stated figures of ``metric`` from facts and bulk tables (view ``observations``) per region and period.

    DuckDB aggregates; only the rows of the chart come back: one per region and period (``freq``: day,
    month, quarter or year; None = every as_of), ``value`` the latest figure in the period (a fact wins
    over a bulk row of the same date), ``n`` the figures in it and ``origins`` where they came from.
    Undated facts are left out.  On a snapshot built before bulk tables existed, facts only."""
    if freq is not None and freq not in FREQUENCIES:
        raise UnknownChoice(f"freq {freq!r} is not known. Valid choices: {', '.join(FREQUENCIES)} or None")
    has_view = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'observations'").fetchone()
    source = ("observations" if has_view and has_view[0] else
              "(SELECT region_code, metric, value, unit, as_of, kind, 'fact' AS origin FROM facts)")
    return _df(con, f"""
        SELECT o.region_code, any_value(r.name) AS region_name, o.metric, any_value(o.unit) AS unit,
               CASE WHEN ? IS NULL THEN o.as_of ELSE date_trunc(?, o.as_of)::DATE END AS period,
               arg_max(o.value, epoch(o.as_of) * 2 + (o.origin = 'fact')::INTEGER) AS value,
               max(o.as_of) AS as_of, count(*) AS n, list(DISTINCT o.origin ORDER BY o.origin) AS origins
        FROM {source} o JOIN regions r USING (region_code)
        WHERE o.kind = 'stated' AND o.metric = ? AND o.as_of IS NOT NULL
          AND (? IS NULL OR list_contains(?, o.region_code)) AND (? IS NULL OR o.as_of <= ?)
        GROUP BY o.region_code, o.metric, period
        ORDER BY o.region_code, period""", [freq, freq, metric, _list(regions), _list(regions), until, until])


def kabupaten_kota_spread(con: duckdb.DuckDBPyConnection, metric: str, until: date | None = None,
                          parent: str | None = None, months: int = 60) -> pd.DataFrame:
    """How ``metric`` is spread over the kabupaten/kota (of province ``parent``, or all), per month.

    DuckDB aggregates every stated figure of facts and bulk tables (view ``observations``), however many
    rows the snapshot has; one row per month of the last ``months`` comes back: ``n`` kabupaten/kota, ``lo``/``p10``/``median``/
    ``p90``/``hi`` of their latest value in the month, and the ``source_ids`` and bulk ``files`` behind it."""
    has_view = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'observations'").fetchone()
    source = ("observations" if has_view and has_view[0] else
              "(SELECT region_code, metric, value, as_of, kind, source_id, NULL AS file FROM facts)")
    return _df(con, f"""
        WITH obs AS (
            SELECT o.region_code, o.as_of, o.value, o.source_id, o.file
            FROM {source} o JOIN regions r USING (region_code)
            WHERE o.kind = 'stated' AND o.metric = ? AND o.as_of IS NOT NULL AND r.level IN ('kabupaten', 'kota')
              AND (? IS NULL OR r.parent_code = ?) AND (? IS NULL OR o.as_of <= ?)),
        latest AS (  -- only the last months are grouped, however many years the snapshot holds
            SELECT region_code, date_trunc('month', as_of)::DATE AS period,
                   arg_max(value, as_of) AS value, list(DISTINCT source_id) AS source_ids,
                   list(DISTINCT file) FILTER (WHERE source_id IS NULL) AS files
            FROM obs WHERE as_of >= (SELECT date_trunc('month', max(as_of)) - to_months(? - 1) FROM obs)
            GROUP BY region_code, period)
        SELECT period, count(*) AS n, min(value) AS lo, quantile_cont(value, 0.1) AS p10,
               median(value) AS median, quantile_cont(value, 0.9) AS p90, max(value) AS hi,
               list_distinct(flatten(list(source_ids))) AS source_ids,
               list_distinct(flatten(list(coalesce(files, [])))) AS files
        FROM latest GROUP BY period ORDER BY period""", [metric, parent, parent, until, until, months])

"""``ktpel synth``: deterministic synthetic bulk tables, for benchmarks and tests in a copy of the workspace."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

from helpers.project import Project
from helpers.raw.bulk import regions_file
from helpers.raw.facts import REGION_COLUMNS, load_metrics

#: Metrics synth draws from (those that metrics.csv has), in this order: counts and percents mixed.
SYNTH_METRICS = ("population", "ktp_required", "ktp_recorded", "ktp_recording_pct", "ktp_printed",
                 "ikd_activated", "ikd_activation_pct", "kia_ownership_pct", "birth_certificate_ownership_pct",
                 "first_time_voter_recording_pct", "blank_cards_received", "print_requests_pending")
#: Synthetic provinces use codes 01-09: Kemendagri province codes start at 11, so they never clash.
SYNTH_PROVINCES = range(1, 10)
SYNTH_END = date(2024, 12, 31)


def synth_regions(kabupaten: int) -> list[list[str]]:
    """Rows of ``data/raw/bulk/regions.csv``: provinces ``0P`` and their kabupaten ``0P.KK`` (99 each)."""
    if not 1 <= kabupaten <= 99 * len(SYNTH_PROVINCES):
        raise ValueError(f"--kabupaten must be between 1 and {99 * len(SYNTH_PROVINCES)}")
    rows = []
    for p in range(1, math.ceil(kabupaten / 99) + 1):
        rows.append([f"{p:02d}", f"Provinsi Sintetis {p:02d}", "provinsi", "00", "", "synthetic (ktpel synth)"])
        for k in range(1, min(99, kabupaten - 99 * (p - 1)) + 1):
            rows.append([f"{p:02d}.{k:02d}", f"Kabupaten Sintetis {p:02d}.{k:02d}", "kabupaten", f"{p:02d}", "",
                         "synthetic (ktpel synth)"])
    return rows


def _value_sql(metrics: Sequence[str], months: int) -> str:
    """SQL for a plausible value of metric index ``m`` for kabupaten ``k`` at ``t`` months before the end.

    Everything comes from ``hash(seed, ...)``: deterministic for a seed, no random state."""
    def u(*salt: str) -> str:
        return f"((hash($seed, {', '.join(salt)}) % 1000000) / 1000000.0)"

    progress = f"(1 - t / {max(months, 1)}.0)"  # 0 at the oldest month, 1 at the end
    pop = f"((50000 + 2950000 * {u('k', '1')}) * (1 + 0.0012 * ({months} - t)))"
    req = f"({pop} * (0.66 + 0.06 * {u('k', '2')}))"
    pct = f"least(99.9, 40 + 58 * {progress} + 3 * {u('k', 't', '3')})"
    formulas = {
        "population": f"round({pop})",
        "ktp_required": f"round({req})",
        "ktp_recorded": f"round({req} * {pct} / 100)",
        "ktp_recording_pct": f"round({pct}, 2)",
        "ktp_printed": f"round({req} * 0.004 * (0.5 + {u('k', 't', '4')}))",
        "ikd_activated": f"round({req} * (0.3 + 29.5 * {progress} * {progress}) / 100)",
        "ikd_activation_pct": f"round(0.3 + 29.5 * {progress} * {progress} + {u('k', 't', '5')}, 2)",
        "kia_ownership_pct": f"round(10 + 75 * {progress} + 5 * {u('k', 't', '6')}, 2)",
        "birth_certificate_ownership_pct": f"round(least(100, 60 + 35 * {progress} + 4 * {u('k', 't', '7')}), 2)",
        "first_time_voter_recording_pct": f"round(least(110, 30 + 65 * {progress} + 8 * {u('k', 't', '8')}), 2)",
        "blank_cards_received": f"round({req} * 0.005 * (0.5 + {u('k', 't', '9')}))",
        "print_requests_pending": f"round({req} * 0.001 * {u('k', 't', '10')})",
    }
    return "CASE m " + " ".join(f"WHEN {i} THEN {formulas[name]}" for i, name in enumerate(metrics)) + " END"


#: ``regions`` of :func:`synth`: its own synthetic regions, or the kabupaten/kota of ``regions.csv``.
SYNTH_REGION_CHOICES = ("synthetic", "kemendagri")


def synth(project: Project, out: Path, kabupaten: int = 514, months: int = 120, n_metrics: int = 8,
          rows: int | None = None, fmt: str = "csv", seed: int = 0, regions: str = "synthetic") -> tuple[int, int]:
    """Write a synthetic bulk table to ``out`` and its regions to ``data/raw/bulk/regions.csv``.

    ``regions="kemendagri"``: figures for the first ``kabupaten`` kabupaten/kota of ``regions.csv`` (by code)
    instead, and no regions file (a national batch of region profiles then has figures for every one).

    ``months`` monthly figures (last day of each month, ending :data:`SYNTH_END`) of ``n_metrics`` metrics
    for ``kabupaten`` synthetic kabupaten; with ``rows``, as many months as needed for exactly that many
    rows (the oldest month may be partial).  Returns (rows, regions) written."""
    metrics, problems = load_metrics(project)
    if problems:
        raise ValueError(f"metrics.csv has problems; run `ktpel check` ({problems[0]})")
    chosen = [m for m in SYNTH_METRICS if m in metrics][:n_metrics]
    if n_metrics < 1 or len(chosen) < n_metrics:
        raise ValueError(f"--metrics must be between 1 and {len([m for m in SYNTH_METRICS if m in metrics])}")
    if regions not in SYNTH_REGION_CHOICES:
        raise ValueError(f"--regions must be one of {', '.join(SYNTH_REGION_CHOICES)}")
    real = _real_region_codes(project)
    if regions == "kemendagri":
        second_tier = sorted(code for code, level in real.items() if level in ("kabupaten", "kota"))
        if not 1 <= kabupaten <= len(second_tier):
            raise ValueError(f"--kabupaten must be between 1 and {len(second_tier)} (the kabupaten/kota of "
                             "data/raw/regions.csv)")
        codes, region_rows = second_tier[:kabupaten], []
    else:
        region_rows = synth_regions(kabupaten)
        codes = [r[0] for r in region_rows if r[2] == "kabupaten"]
        clash = sorted(set(real) & {r[0] for r in region_rows})
        if clash:
            raise ValueError(f"synthetic region codes {', '.join(clash)} are in data/raw/regions.csv already")
    per_month = kabupaten * len(chosen)
    if rows is not None:
        if rows < 1:
            raise ValueError("--rows must be positive")
        months = math.ceil(rows / per_month)
    if months < 1:
        raise ValueError("--months must be positive")
    total = rows if rows is not None else months * per_month
    value = _value_sql(chosen, months).replace("$seed", str(int(seed)))
    names = "[" + ", ".join(f"'{m}'" for m in chosen) + "]"
    value_out = ("CASE WHEN ends_with(metric, '_pct') THEN printf('%.2f', v) ELSE printf('%d', v::BIGINT) END"
                 if fmt == "csv" else "v")
    # one ordered range: month (newest first), then kabupaten, then metric -> deterministic file order
    query = f"""
        WITH g AS (
          SELECT i // {per_month} AS t, (i % {per_month}) // {len(chosen)} AS k, i % {len(chosen)} AS m
          FROM range({total}) r(i)),
        v AS (
          SELECT {"[" + ", ".join(f"'{c}'" for c in codes) + "]"}[k + 1] AS region_code, {names}[m + 1] AS metric,
                 last_day(DATE '{SYNTH_END.isoformat()}' - to_months(t::INTEGER)) AS as_of, {value} AS v
          FROM g)
        SELECT region_code, metric, as_of, {value_out} AS value FROM v"""
    out.parent.mkdir(parents=True, exist_ok=True)
    regions_path = regions_file(project)
    regions_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = true")
        target = str(out).replace("'", "''")
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        con.execute(f"COPY ({query}) TO '{target}' ({options})")
    finally:
        con.close()
    if regions == "synthetic":
        with open(regions_path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(REGION_COLUMNS)
            writer.writerows(region_rows)
    return total, len(region_rows) if regions == "synthetic" else len(codes)


def _real_region_codes(project: Project) -> dict[str, str]:
    """Code -> level of ``regions.csv``."""
    try:
        with open(project.raw / "regions.csv", encoding="utf-8-sig", newline="") as fh:
            return {r.get("code", "").strip(): (r.get("level") or "").strip() for r in csv.DictReader(fh)}
    except FileNotFoundError:
        return {}

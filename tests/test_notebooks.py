"""Every report notebook, run by Papermill on a real snapshot with non-default
parameters, and refusing bad ones with a message that lists the valid choices."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import nbformat
import papermill as pm
import pytest

from helpers.project import Project
from helpers.snapshot import build

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str, str]:
    """A copy of the workspace with two snapshots: the current raw layer (latest) and an older one."""
    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    project = Project(root)
    facts = root / "data" / "raw" / "facts.csv"
    original = facts.read_text(encoding="utf-8")
    # The older snapshot lacks Kaltim's October 2024 figures.
    facts.write_text("".join(line for line in original.splitlines(keepends=True)
                             if not line.startswith(("kaltim-2024-11-ikd-award,", "kaltim-2024-11-wartaekonomi,"))),
                     encoding="utf-8")
    older = build(project).snapshot_id
    facts.write_text(original, encoding="utf-8")
    latest = build(project).snapshot_id
    assert older != latest
    return project, older, latest


def run(project: Project, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **parameters: object) -> nbformat.NotebookNode:
    monkeypatch.setenv("KTPEL_PROJECT", str(project.root))
    out = tmp_path / f"{name}.out.ipynb"
    pm.execute_notebook(str(project.root / "notebooks" / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", progress_bar=False, cwd=str(project.root / "notebooks"))
    return nbformat.read(out, as_version=4)


def chart_specs(nb: nbformat.NotebookNode) -> list[dict]:
    return [data[key] for cell in nb.cells for o in cell.get("outputs", []) for data in [o.get("data", {})]
            for key in data if key.startswith("application/vnd.vegalite")]


def text_of(nb: nbformat.NotebookNode) -> str:
    return json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_notebook_in_english(workspace, name, tmp_path, monkeypatch):
    project, _, latest = workspace
    nb = run(project, name, tmp_path, monkeypatch, lang="en")
    specs = chart_specs(nb)
    if name == "07_kabupaten_kota_spread":  # no province has every kabupaten/kota at one date: nothing drawn, and said why
        assert specs == [] and "Not drawn" in text_of(nb)
        return
    if name == "06_region_profile":  # percentages, then one chart of counts per unit, each its own id
        ids = [spec["usermeta"]["ktpel"]["chart_id"] for spec in specs]
        assert ids[0] == "region-profile" and len(set(ids)) == len(ids)
        assert all(i.startswith("region-profile-counts-") for i in ids[1:])
    else:
        assert 1 <= len(specs) <= 2
    for spec in specs:
        meta = spec["usermeta"]["ktpel"]
        assert meta["lang"] == "en" and meta["footer"].startswith("Sources: ")
        assert spec["config"]["locale"]["number"]["decimal"] == "."
    svg = [o["data"]["image/svg+xml"] for c in nb.cells for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {})]
    assert svg and "Sources:" in svg[0]


def test_comparison_accepts_names_and_codes(workspace, tmp_path, monkeypatch):
    project, _, _ = workspace
    nb = run(project, "01_region_comparison", tmp_path, monkeypatch, regions=["Batam", "64"])
    data = chart_specs(nb)[0]
    rows = [r for ds in data["datasets"].values() for r in ds if "region_label" in r and "derived_value" in r]
    assert {r["region_code"] for r in rows} == {"21.71", "64"}
    batam = next(r for r in rows if r["region_code"] == "21.71")
    assert batam["value"] == pytest.approx(100.10) and batam["derived_value"] == pytest.approx(102.3094, abs=1e-3)
    assert "102,31\u00a0%" in text_of(nb)  # Indonesian by default (a no-break space before %)


def test_single_region_profile(workspace, tmp_path, monkeypatch):
    project, _, _ = workspace
    nb = run(project, "06_region_profile", tmp_path, monkeypatch, region="19.04")
    text = text_of(nb)
    assert "Kabupaten Bangka Tengah" in text and "sekitar\u00a098\u00a0%" in text and "Kota Batam" not in text


def test_older_snapshot_and_until(workspace, tmp_path, monkeypatch):
    project, older, _ = workspace
    nb = run(project, "02_coverage_over_time", tmp_path, monkeypatch, snapshot=older, regions=["64"])
    text = text_of(nb)
    assert "98,75\u00a0%" in text and "99,54\u00a0%" not in text  # the October figure is not in the older snapshot
    nb = run(project, "02_coverage_over_time", tmp_path, monkeypatch, regions=["64"], until="2024-06-30")
    assert "98,75\u00a0%" in text_of(nb) and "99,54\u00a0%" not in text_of(nb)


@pytest.mark.parametrize(("name", "parameters", "expected"), [
    ("01_region_comparison", {"regions": ["Atlantis"]}, ["region 'Atlantis'", "is not a region code, name or alias"]),
    ("02_coverage_over_time", {"metric": "coverage"}, ["metric 'coverage'", "Valid choices", "ktp_recording_pct"]),
    ("06_region_profile", {"lang": "fr"}, ["lang 'fr'", "Valid choices: id, en"]),
    ("04_ikd_kia", {"snapshot": "deadbeef"}, ["snapshot 'deadbeef' not found", "Valid choices: latest"]),
    ("03_kabupaten_kota", {"until": "tomorrow"}, ["until 'tomorrow' is not a date"]),
    ("01_region_comparison", {"regions": ["'; DROP TABLE facts; --"]}, ["is not a region"]),
], ids=["region", "metric", "lang", "snapshot", "until", "sql-injection"])
def test_bad_parameter_is_refused_with_choices(workspace, name, parameters, expected, tmp_path, monkeypatch):
    project, _, latest = workspace
    with pytest.raises(pm.PapermillExecutionError) as info:
        run(project, name, tmp_path, monkeypatch, **parameters)
    assert info.value.ename == "ParameterError"
    for text in expected:
        assert text in info.value.evalue
    raw_rows = (project.raw / "facts.csv").read_text(encoding="utf-8").count("\n") - 1
    con = duckdb.connect(str(project.snapshots_dir / f"{latest}.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM facts WHERE kind = 'stated'").fetchone()[0] == raw_rows

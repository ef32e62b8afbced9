"""The views the dated corpus allows: denominators over time, kabupaten/kota across dates, a profile for any
region code; on a real snapshot of the corpus, and through Papermill for the notebooks that show them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from conftest import ROOT, copy_raw_layer
from helpers.analysis import trends
from helpers.analysis.params import Report, open_report
from helpers.project import Project
from helpers.snapshot import build


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = copy_raw_layer(tmp_path_factory.mktemp("trends") / "ws")
    shutil.copytree(ROOT / "notebooks", project.root / "notebooks")
    build(project)
    return project


def report(project: Project, **kwargs: object) -> Report:
    return open_report(project=project, **kwargs)  # type: ignore[arg-type]


def test_denominators_show_why_coverage_passes_100(corpus: Project) -> None:
    r = report(corpus, regions=["Kota Batam", "Provinsi Kalimantan Timur"])
    df = trends.denominators(r)
    batam = df[(df["region_code"] == "21.71") & (df["metric"] == "ktp_required")]
    assert {707430, 905737} <= set(batam["value"].astype(int))
    text = trends.denominators_text(df, "id")
    assert "926.654 dari 905.737" in text  # recorded above wajib KTP in January 2025
    assert "2.984.294 (Jun 2013)" in text and "turun" in text  # Kaltim's wajib KTP cleaned after 2013
    chart = trends.denominators_chart(df, "en", trends.denominators_title(df, "en"), "")
    assert chart.to_dict()["usermeta"]["ktpel"]["chart_id"] == "denominators"


def test_kabupaten_kota_compared_across_dates(corpus: Project) -> None:
    r = report(corpus, regions=["64"], metric="ktp_recording_pct")
    local, province = trends.kabupaten_kota_dates(r, "64")
    dates = trends.dates_with(local)
    april = dates[dates["as_of"].astype(str).str.startswith("2022-04-15")]
    assert int(april["n"].iloc[0]) == 5
    assert set(local["region_code"]) >= {"64.01", "64.03", "64.71", "64.72", "64.74", "64.08", "64.11"}
    assert not province.empty and set(province["region_code"]) == {"64"}
    assert "Kabupaten Kutai Timur 68,08 %" in trends.kabupaten_kota_text(local, province, "id")
    wide = trends.kabupaten_kota_table(local, "id")
    assert "Kota Bontang" in wide.index and "15 Apr 2022" in wide.columns


def test_profile_note_for_any_region(corpus: Project) -> None:
    empty = trends.profile_note(report(corpus, regions=["11"], lang="en"), "11")
    assert empty.startswith("This snapshot has no figures for Provinsi Aceh yet") and "Kota Batam" in empty
    province = trends.profile_note(report(corpus, regions=["64"]), "64")
    assert "Kabupaten Kutai Timur" in province  # its kabupaten/kota have figures too


@pytest.mark.parametrize(("name", "parameters", "expected"), [
    ("06_region_profile", {"region": "Kutai Kartanegara"}, "Kabupaten Kutai Kartanegara"),
    ("08_denominators", {"regions": ["19.04"], "lang": "en"}, "118.889"),
    ("09_kabupaten_kota_over_time", {"metric": "kia_ownership_pct"}, "17 Nov 2020: 4 kabupaten/kota"),
], ids=["profile-kabupaten", "denominators", "kabupaten-kota-kia"])
def test_notebooks_run_for_other_parameters(corpus: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            name: str, parameters: dict[str, object], expected: str) -> None:
    monkeypatch.setenv("KTPEL_PROJECT", str(corpus.root))
    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(corpus.root / "notebooks" / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", progress_bar=False, cwd=str(corpus.root / "notebooks"))
    nb = nbformat.read(out, as_version=4)
    assert expected in json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)


@pytest.mark.parametrize(("name", "parameters"), [
    ("06_region_profile", {"region": "11"}),
    ("08_denominators", {"regions": ["Provinsi Aceh"]}),
    ("09_kabupaten_kota_over_time", {"province": "Provinsi Aceh"}),
], ids=["profile", "denominators", "kabupaten-kota"])
def test_a_region_without_figures_stops_with_where_figures_are(corpus: Project, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, name: str,
                                                               parameters: dict[str, object]) -> None:
    monkeypatch.setenv("KTPEL_PROJECT", str(corpus.root))
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(str(corpus.root / "notebooks" / f"{name}.ipynb"), str(tmp_path / "out.ipynb"),
                            parameters=parameters, kernel_name="python3", progress_bar=False,
                            cwd=str(corpus.root / "notebooks"))
    assert info.value.ename == "NoFigures"
    assert "Provinsi Aceh" in info.value.evalue and "Wilayah dengan angka: " in info.value.evalue

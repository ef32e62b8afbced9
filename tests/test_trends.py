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
from helpers.analysis import charts, trends
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
    fact = dict(zip(zip(df["region_code"], df["metric"], df["value"].astype(int)), df["fact_id"]))
    # recorded above wajib KTP in January 2025, by the same source; every number links to its fact
    assert (f"10 Jan 2025: [926.654](#fact-{fact['21.71', 'ktp_recorded', 926654]}) terekam, "
            f"wajib KTP [905.737](#fact-{fact['21.71', 'ktp_required', 905737]})") in text
    # Kaltim's wajib KTP cleaned after 2013: the largest fall is named with both figures and dates
    assert (f"paling besar dari [2.984.294](#fact-{fact['64', 'ktp_required', 2984294]}) (Jun 2013) ke "
            f"[2.190.000](#fact-{fact['64', 'ktp_required', 2190000]}) (Des 2015)") in text
    english = trends.denominators_text(df, "en")
    assert "most from [2,984,294](#fact-" in english and "turun" not in english
    chart = trends.denominators_chart(df, "en", trends.denominators_title(df, "en"), "")
    assert charts.mimebundle(chart)["application/vnd.vegalite.v5+json"]["usermeta"]["ktpel"]["chart_id"] == "denominators"


def test_kabupaten_kota_compared_across_dates(corpus: Project) -> None:
    r = report(corpus, regions=["64"], metric="ktp_recording_pct")
    local, province = trends.kabupaten_kota_dates(r, "64")
    dates = trends.dates_with(local)
    april = dates[dates["as_of"].astype(str).str.startswith("2022-04-15")]
    assert int(april["n"].iloc[0]) == 5
    assert set(local["region_code"]) >= {"64.01", "64.03", "64.71", "64.72", "64.74", "64.08", "64.11"}
    assert not province.empty and set(province["region_code"]) == {"64"}
    kutim = local[local["region_code"] == "64.08"].set_index("as_of_label")["fact_id"]
    assert (f"Kabupaten Kutai Timur: [68,08\u00a0%](#fact-{kutim['11 Apr 2016']}) (11 Apr 2016) → "
            f"[93,39\u00a0%](#fact-{kutim['15 Mei 2023']}) (15 Mei 2023)") in trends.kabupaten_kota_text(local, province, "id")
    assert "terendah Kabupaten Berau [101,16\u00a0%](#fact-" in trends.kabupaten_kota_text(local, province, "id")
    html = trends.kabupaten_kota_table(local, "id")._repr_html_()
    assert "<td class=\"text\">Kota Bontang</td>" in html and "<th class=\"num\">15 Apr 2022</th>" in html
    assert f'<a href="#fact-{kutim["11 Apr 2016"]}">68,08\u00a0% (dihitung)</a>' in html  # derived, and says so


def test_profile_note_for_any_region(corpus: Project) -> None:
    empty = trends.profile_note(report(corpus, regions=["11"], lang="en"), "11")
    assert empty.startswith("This snapshot has no figures for Provinsi Aceh yet") and "Kota Batam" in empty
    province = trends.profile_note(report(corpus, regions=["64"]), "64")
    assert "Kabupaten Kutai Timur" in province  # its kabupaten/kota have figures too
    con = report(corpus, regions=["64"]).con
    stated, derived = con.execute("""SELECT count(*) FILTER (kind = 'stated'), count(*) FILTER (kind = 'derived')
                                     FROM facts WHERE region_code = '64'""").fetchone()
    assert province.startswith(f"Provinsi Kalimantan Timur: {stated} angka dari ")  # the sources' own figures only
    assert f"Selain itu {derived} angka dihitung dari angka sumber" in province  # derived ones apart


@pytest.mark.parametrize(("name", "parameters", "expected"), [
    ("06_region_profile", {"region": "Kutai Kartanegara"}, "Kabupaten Kutai Kartanegara"),
    ("08_denominators", {"regions": ["19.04"], "lang": "en"}, "wajib KTP from [118,889](#fact-"),
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

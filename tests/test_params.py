"""Parameters typed by hand: region names, aliases and numbers; Papermill's ``-p``/``-y``; misspelt names; regions
without figures; output names per language.  Every bad input ends in one clear message and exit code 1 or 2.

The resolver and the injected-names check are tested directly; then real Papermill and ``ktpel report`` runs in a
copy of the workspace (a few, in parallel where they are independent)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import duckdb
import nbformat
import pytest
from pptx import Presentation

from conftest import ROOT, report_workspace, run_ktpel
from helpers.analysis.params import ParameterError, check_injected_names, unknown_injected_names
from helpers.snapshot.regions import RegionError, RegionIndex

BIN = Path(sys.executable).parent
LABEL = re.compile(r"\b\d\d(?:\.\d\d)? (?:Provinsi|Kabupaten|Kota) ")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    made = report_workspace(tmp_path_factory.mktemp("params") / "ws")
    con = duckdb.connect(str(made.project.snapshots_dir / f"{made.sid}.duckdb"), read_only=True)
    made.index = RegionIndex.from_connection(con)
    con.close()
    return made


def refusal(index: RegionIndex, value: object) -> str:
    with pytest.raises(RegionError) as info:
        index.resolve_all(value)
    return str(info.value)


# --- the resolver -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "code"), [
    ("Kaltim", "64"), ("Kepri", "21"), ("Babel", "19"), ("Bateng", "19.04"), ("PPU", "64.09"), ("Kukar", "64.02"),
    ("Batam", "21.71"), ("Kota Batam", "21.71"), ("  kota   BATAM ", "21.71"), ("Kalimantan Timur", "64"),
    ("21.71", "21.71"), ("64", "64"),
    (64.71, "64.71"), (21.71, "21.71"), (64, "64"), (19.04, "19.04"),
    (12.1, "12.10"),  # Papermill reads -p region 12.10 as 12.1; Kemendagri has 12.10 (Labuhanbatu)
])
def test_codes_names_aliases_and_numbers(ws, given, code):
    assert ws.index.resolve_all(given) == [code]


@pytest.mark.parametrize(("given", "codes"), [
    ('["Batam","64"]', ["21.71", "64"]),  # what `-p regions '["Batam","64"]'` passes: one string
    ("Batam,64", ["21.71", "64"]),
    ("Kaltim, Bateng", ["64", "19.04"]),
    ("[Batam, 64.71]", ["21.71", "64.71"]),
    (["Kaltim", 21.71, "Kota Batam"], ["64", "21.71"]),
])
def test_list_parameters_in_every_form(ws, given, codes):
    assert ws.index.resolve_all(given) == codes


def test_a_number_that_is_no_code_is_refused_naming_the_close_codes(ws):
    message = refusal(ws.index, 64.1)
    assert "64.1 (read as a number)" in message and "Kemendagri has no region 64.10" in message
    assert LABEL.findall(message) and set(re.findall(r"\d\d\.\d\d(?= )", message)) == {"64.01", "64.11"}
    message = refusal(ws.index, 5)
    assert "no region has the code 5" in message and "51 Provinsi Bali" in message
    assert len(LABEL.findall(message)) <= 5


def test_unknown_names_list_only_the_close_candidates(ws):
    message = refusal(ws.index, "Kutai")
    assert sorted(re.findall(r"\d\d\.\d\d", message)) == ["64.02", "64.07", "64.08"]
    for name in ("Kutai Kartanegara", "Kutai Barat", "Kutai Timur"):
        assert name in message
    assert refusal(ws.index, "Samarind").endswith("Did you mean 64.72 Kota Samarinda?")
    assert "no region has a similar" in refusal(ws.index, "Atlantis")
    broad = refusal(ws.index, "Kabupaten")  # 416 regions contain the word: a few, and how many more
    assert len(LABEL.findall(broad)) == 8 and re.search(r"and \d+ more", broad) and len(broad) < 700
    assert "'; DROP TABLE facts; --" in refusal(ws.index, "'; DROP TABLE facts; --")


def test_a_name_of_several_regions_lists_them(ws):
    message = refusal(ws.index, "Bandung")
    assert "could be 32.04 Kabupaten Bandung or 32.73 Kota Bandung" in message


@pytest.mark.parametrize("given", ["[Batam", True, [["Batam"]], ""])
def test_values_that_are_no_regions(ws, given):
    assert refusal(ws.index, given)


# --- parameter names Papermill injected -----------------------------------------------------------

PARAMETERS_CELL = 'snapshot = "latest"\nlang = "id"\nregions = ["Kota Batam"]  # names or codes'


def test_injected_names_are_read_from_the_kernel_history():
    history = ["", PARAMETERS_CELL, '# Parameters\nregion = "Batam"\nlang = "en"\n', "report = open_report()"]
    assert unknown_injected_names(history) == (["region"], ["snapshot", "lang", "regions"])
    with pytest.raises(ParameterError) as info:
        check_injected_names(history)
    assert str(info.value) == ("unknown parameter 'region': this notebook's parameters are snapshot, lang, regions "
                               "(did you mean 'regions' instead of 'region'?)")
    assert unknown_injected_names(["", PARAMETERS_CELL, '# Parameters\nregions = "Batam,64"\n'])[0] == []
    assert unknown_injected_names(["", PARAMETERS_CELL, '# Parameters\nPAPERMILL_INPUT_PATH = "a.ipynb"\n'])[0] == []
    assert unknown_injected_names(["", PARAMETERS_CELL, "x = 1"]) == ([], [])  # JupyterLab, nbval: no injected cell
    assert unknown_injected_names(["", '# Parameters\nregion = "x"\n'])[0] == []  # no parameters cell before it
    check_injected_names(["", PARAMETERS_CELL])


# --- the batch refuses bad values before running anything ------------------------------------------

def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*")) if directory.exists() else []


@pytest.mark.parametrize(("args", "message"), [
    (["--only", "profile-batam", "-p", "region=64.1"],
     "-p region: region 64.1 (read as a number) is not a region: Kemendagri has no region 64.10"),
    (["--only", "region-comparison", "-p", "regions=5"], "-p regions: region 5 (read as a number) is not a region"),
    (["--only", "profile-batam", "-p", "region=Kutai"], "Did you mean 64.02 Kabupaten Kutai Kartanegara, "
                                                        "64.07 Kabupaten Kutai Barat or 64.08 Kabupaten Kutai Timur?"),
    (["--only", "profile-batam", "-p", "region=Samarind"], "Did you mean 64.72 Kota Samarinda?"),
    (["--only", "profile-batam", "-p", "region=[Batam, Kaltim]"], "-p region: region takes one region, not a list"),
    (["--only", "profile-batam", "-p", "lang=fr"], "-p lang: lang 'fr' is not supported. Valid choices: id, en"),
])
def test_bad_values_of_p_are_refused_before_running(ws, args, message):
    before = _listing(ws.out)
    done = run_ktpel(ws.root, "report", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert _listing(ws.out) == before


@pytest.mark.parametrize(("value", "message"), [
    ("64.1", "parameters.region: region 64.1 (read as a number) is not a region: Kemendagri has no region 64.10; "),
    ("Kutai", "parameters.region: region 'Kutai' is not a region code, name or alias of this snapshot. Did you mean"),
    ("[21.71, 64]", "parameters.region: region takes one region, not a list"),
])
def test_bad_values_in_reports_yaml_are_refused_with_their_line(ws, value, message):
    config = ws.root / "bad-region.yaml"
    config.write_text("runs:\n  - name: ok\n    notebook: notebooks/01_region_comparison.ipynb\n"
                      "    parameters: {regions: [Batam, 64.71]}\n"
                      "  - name: p\n    notebook: notebooks/06_region_profile.ipynb\n"
                      f"    parameters:\n      region: {value}\n", encoding="utf-8")
    before = _listing(ws.out)
    done = run_ktpel(ws.root, "report", "--config", str(config))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"bad-region.yaml:8: {message}" in done.stderr and "Traceback" not in done.stderr
    assert _listing(ws.out) == before


# --- hand runs with Papermill: one clear message, exit code 1 -------------------------------------

def papermill(ws: SimpleNamespace, notebook: str, out: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("KTPEL_PROJECT", None)  # found from the working directory, as for a user at the workspace root
    return subprocess.run([str(BIN / "papermill"), f"notebooks/{notebook}.ipynb", out, "--no-progress-bar", *args],
                          cwd=ws.root, env=env, capture_output=True, text=True, timeout=300)


HAND_RUNS = {
    "misspelt": ("01_region_comparison", ["-p", "region", "Batam"],
                 "ParameterError: unknown parameter 'region': this notebook's parameters are snapshot, lang, until, "
                 "regions (did you mean 'regions' instead of 'region'?)"),
    "number": ("06_region_profile", ["-p", "region", "64.1"],
               "ParameterError: region 64.1 (read as a number) is not a region: Kemendagri has no region 64.10; "),
    "ambiguous": ("01_region_comparison", ["-y", "regions: [Batam, Kutai]"],
                  "ParameterError: region 'Kutai' is not a region code, name or alias of this snapshot. Did you mean "
                  "64.02 Kabupaten Kutai Kartanegara, 64.07 Kabupaten Kutai Barat or 64.08 Kabupaten Kutai Timur?"),
    "no-figure": ("06_region_profile", ["-p", "region", "Bintan", "-p", "lang", "en"],
                  "NoFigures: No figure at all for Kabupaten Bintan in snapshot "),
}


def test_hand_runs_stop_with_one_clear_message(ws):
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(HAND_RUNS, pool.map(lambda k: papermill(ws, HAND_RUNS[k][0], f"{k}.ipynb", *HAND_RUNS[k][1]),
                                            HAND_RUNS)))
    for key, (_, _, message) in HAND_RUNS.items():
        assert done[key].returncode == 1, (key, done[key].stderr[-2000:])
        assert message in done[key].stderr, (key, done[key].stderr[-2000:])
        nb = nbformat.read(ws.root / f"{key}.ipynb", as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert len(errors) == 1 and len(errors[0]["traceback"]) == 1  # one line in the notebook, no traceback
        assert not [c for c in nb.cells if "Empty DataFrame" in str(c.get("outputs", []))]


def test_a_region_without_figures_is_named_in_the_output(ws):
    done = papermill(ws, "04_ikd_kia", "ikd.ipynb", "-p", "lang", "en")
    assert done.returncode == 0, done.stderr[-2000:]
    nb = nbformat.read(ws.root / "ikd.ipynb", as_version=4)
    notes = [o["data"]["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
             if "text/markdown" in o.get("data", {}) and "No figure" in o["data"]["text/markdown"]]
    assert len(notes) == 1
    assert "for Kota Batam and Kabupaten Bangka Tengah" in notes[0] and "IKD" in notes[0]


# --- output names per language; decks per language; stale exports removed --------------------------

def _slides(path: Path) -> list[str]:
    return [s.shapes.title.text_frame.text if s.shapes.title else "" for s in Presentation(str(path)).slides]


def test_languages_get_their_own_outputs_and_decks(ws):
    config = ws.root / "lang.yaml"  # a region given as a number, as YAML reads 64.71: run, exported, named
    config.write_text("runs:\n  - name: profile-bpn\n    notebook: notebooks/06_region_profile.ipynb\n"
                      "    parameters: {region: 64.71}\n", encoding="utf-8")
    first = run_ktpel(ws.root, "report", "--config", str(config), timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    indonesian_nb = (ws.out / "profile-bpn.ipynb").read_bytes()
    indonesian = _slides(ws.out / "slides.pptx")
    charts = len(list((ws.out / "charts").glob("profile-bpn--*.svg")))  # the profile's charts (two now)
    assert charts >= 1 and len(indonesian) == 2 + charts  # title, a slide per chart of the run, sources
    assert "Kota Balikpapan" in (ws.out / "index.html").read_text(encoding="utf-8")

    english = run_ktpel(ws.root, "report", "--config", str(config), "-p", "lang=en", timeout=600)
    assert english.returncode == 0, english.stdout + english.stderr
    assert "profile-bpn.en  ok" in english.stdout
    assert (ws.out / "profile-bpn.ipynb").read_bytes() == indonesian_nb  # the Indonesian run is untouched
    assert nbformat.read(ws.out / "profile-bpn.en.ipynb", as_version=4).metadata.papermill.parameters.lang == "en"
    assert _slides(ws.out / "slides.pptx") == indonesian  # each deck: exactly the runs of its language
    english_slides = _slides(ws.out / "slides-en.pptx")
    assert len(english_slides) == 2 + charts and english_slides[1] != indonesian[1]
    assert (ws.out / "profile-bpn.en.html").is_file() and list((ws.out / "charts").glob("profile-bpn.en--*"))

    (ws.out / "profile-bpn.en.ipynb").unlink()
    again = run_ktpel(ws.root, "export", "--only", "profile-bpn", timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not (ws.out / "slides-en.pptx").exists() and not (ws.out / "profile-bpn.en.html").exists()
    assert not list((ws.out / "charts").glob("profile-bpn.en--*"))
    assert _slides(ws.out / "slides.pptx") == indonesian and (ws.out / "profile-bpn.html").is_file()

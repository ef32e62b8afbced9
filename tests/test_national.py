"""A national batch: grids from the snapshot's regions (`kabupaten_kota_of`), region profiles on a bulk table,
the same outputs from the local executor and from Dask, and per-run exports on the workers equal to
`ktpel export`'s."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from conftest import ROOT, copy_raw_layer, report_workspace
from helpers.batch.config import load_config
from helpers.batch.executors import DaskExecutor
from helpers.batch.plan import grid_sources
from helpers.batch.run import run_batch
from helpers.export import build as build_module
from helpers.export import html as html_module
from helpers.export.build import export_batch
from helpers.export.stamp import EXPORT_RUN
from helpers.problems import ValidationFailed
from helpers.project import Project
from helpers.snapshot import build, synth

GRID = """\
runs:
  - name: profile-{{region}}
    notebook: notebooks/06_region_profile.ipynb
    grid: {{region: {source}}}
"""


def _config(project: Project, source: str) -> Path:
    path = project.root / "national.yaml"
    path.write_text(GRID.format(source=source), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def seed_ws(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = copy_raw_layer(tmp_path_factory.mktemp("national") / "ws")
    shutil.copytree(ROOT / "notebooks", project.notebooks_dir)
    return SimpleNamespace(project=project, sid=build(project).snapshot_id)


@pytest.mark.parametrize("source, first, count", [
    ('{kabupaten_kota_of: "64"}', "profile-64.01", 10),
    ("{kabupaten_kota_of: Kaltim}", "profile-64.01", 10),
    ("{kabupaten_kota_of: [64, Kepri]}", "profile-64.01", 17),
    ("{kabupaten_kota_of: all}", "profile-11.01", 514),
])
def test_a_grid_lists_the_kabupaten_kota_of_a_province_or_the_country(seed_ws, source, first, count):
    project = seed_ws.project
    config = load_config(project, _config(project, source), grid_sources(project, seed_ws.sid))
    names = [run.name for run in config.runs]
    assert len(names) == count and names[0] == first and len(set(names)) == count
    assert all(run.parameters["region"] == run.name.removeprefix("profile-") for run in config.runs)
    if count == 10:
        assert names[-3:] == ["profile-64.71", "profile-64.72", "profile-64.74"]  # kota after kabupaten, by code


@pytest.mark.parametrize("source, message", [
    ('{kabupaten_kota_of: "21.71"}', "is 21.71 Kota Batam, not a province"),
    ("{kabupaten_kota_of: Atlantis}", "is not a region code, name or alias"),
    ('{regions_of: "64"}', "unknown grid source; valid sources: kabupaten_kota_of"),
])
def test_a_bad_grid_source_is_refused_with_line_and_field(seed_ws, source, message):
    project = seed_ws.project
    with pytest.raises(ValidationFailed) as info:
        load_config(project, _config(project, source), grid_sources(project, seed_ws.sid))
    (problem,) = info.value.problems
    assert problem.line == 4 and problem.field.startswith("grid.region.") and message in problem.message, problem


def test_without_a_snapshot_a_grid_source_is_refused(seed_ws):
    with pytest.raises(ValidationFailed, match="resolved from a snapshot"):
        load_config(seed_ws.project, _config(seed_ws.project, '{kabupaten_kota_of: "64"}'))


# --- 17 profiles on a bulk table, on both executors ------------------------------------------------------

def _outputs(path: Path) -> list[tuple[str, list]]:
    nb = nbformat.read(path, as_version=4)
    return [(cell.source, cell.get("outputs", [])) for cell in nb.cells]


@pytest.mark.slow
@pytest.mark.xdist_group("dask")
def test_local_and_dask_runs_and_their_exports_are_the_same(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = copy_raw_layer(tmp_path / "local")
    shutil.copytree(ROOT / "notebooks", local.notebooks_dir)
    synth.synth(local, local.raw / "bulk" / "synthetic.csv", kabupaten=514, months=12, regions="kemendagri")
    sid = build(local).snapshot_id
    shutil.copytree(local.root, tmp_path / "dask")
    remote = Project(tmp_path / "dask")
    source = "{kabupaten_kota_of: [64, Kepri]}"

    results = run_batch(local, config=_config(local, source), jobs=2, after=EXPORT_RUN, echo=lambda line: None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            DaskExecutor(jobs=2, scheduler=c) as executor:
        remote_results = run_batch(remote, config=_config(remote, source), executor=executor, after=EXPORT_RUN,
                                   echo=lambda line: None)
    assert len(results) == 17 and len(remote_results) == 17
    for result in results + remote_results:
        assert result.status == "ok" and result.exported, result
    a, b = local.reports_dir / sid, remote.reports_dir / sid
    for result in results:  # every profile shows its kabupaten/kota's bulk figures, the same on both
        outputs = _outputs(a / f"{result.name}.ipynb")
        assert outputs == _outputs(b / f"{result.name}.ipynb"), result.name
        assert "data/raw/bulk/synthetic.csv:" in str(outputs), result.name

    pages = sorted(p.name for p in a.glob("*.html"))
    charts = sorted(p.relative_to(a).as_posix() for p in (a / "charts").iterdir())
    assert len(pages) == 17
    for page in pages:  # each profile: its percentages and one chart of counts per unit it has, in each format
        stem = page.removesuffix(".html")
        mine = {c.split("--", 1)[1] for c in charts if c.startswith(f"charts/{stem}--")}
        assert {f"region-profile.{ext}" for ext in ("pdf", "png", "svg", "slide.png")} <= mine, page
        assert {k.removesuffix(".svg") for k in mine if k.endswith(".svg")} == {
            k.removesuffix(".slide.png") for k in mine if k.endswith(".slide.png")} == {
            k.removesuffix(".png") for k in mine if k.endswith(".png") and not k.endswith(".slide.png")}, page
    assert all(f"{c.split('--', 1)[0].removeprefix('charts/')}.html" in pages for c in charts)  # no stray chart
    by_workers = {name: (a / name).read_bytes() for name in pages + charts}
    assert by_workers.keys() == {p.name for p in b.glob("*.html")} | {
        p.relative_to(b).as_posix() for p in (b / "charts").iterdir()}
    export_batch(local, sid)  # everything again, in this process: the same files
    for name, data in by_workers.items():
        if name.endswith(".pdf"):  # vl-convert's PDFs differ from one rendering to the next (font subset tags)
            assert data.startswith(b"%PDF") and (a / name).read_bytes().startswith(b"%PDF")
            continue
        assert (a / name).read_bytes() == data, name
        assert (b / name).read_bytes() == data, name


@pytest.mark.slow
def test_reused_kernels_give_the_outputs_of_fresh_kernels(tmp_path, monkeypatch):
    """The default batch on one worker: with kernel reuse, every run but the first executes in the kernel of
    the run before, reset (helpers.batch.warm); every cell's source, outputs and execution count equal
    those of a fresh kernel per run."""
    made = report_workspace(tmp_path / "ws")
    project, sid, out = made.project, made.sid, made.out

    def outputs() -> dict[str, list]:
        return {p.name: [(c.source, c.get("execution_count"), c.get("outputs", []))
                         for c in nbformat.read(p, as_version=4).cells] for p in sorted(out.glob("*.ipynb"))}

    fresh = run_batch(project, jobs=1, kernel_reuse=False, echo=lambda line: None)
    assert len(fresh) >= 9 and all(r.status == "ok" for r in fresh)
    expected = outputs()
    reused = run_batch(project, jobs=1, force=True, kernel_reuse=True, echo=lambda line: None)
    assert all(r.status == "ok" for r in reused)
    got = outputs()
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name

    # A large batch's index groups the reports by province and its decks split by province (the limits
    # lowered here, so that the default batch counts as large): Batam's profile is Kepri's, Bangka Tengah's
    # Babel's, Kutai Timur's Kaltim's; the province profile of Kaltim is about no kabupaten/kota.
    monkeypatch.setattr(build_module, "DECK_CHARTS_MAX", 3)
    monkeypatch.setattr(html_module, "GROUP_MIN_RUNS", 5)
    export_batch(project, sid)
    assert sorted(p.name for p in out.glob("*.pptx")) == ["slides-19.pptx", "slides-21.pptx", "slides-64.pptx",
                                                          "slides.pptx"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.index('id="provinsi-19"') < index.index("profile-bangka-tengah.html") < index.index(
        'id="provinsi-21"') < index.index("profile-batam.html")
    assert index.index("region-comparison.html") < index.index('id="provinsi-19"')  # no kabupaten/kota: first
    kepri = Presentation(out / "slides-21.pptx").slides  # the index counts the deck's chart slides
    charts = sum(any(shape.shape_type == MSO_SHAPE_TYPE.PICTURE for shape in slide.shapes) for slide in kepri)
    assert charts >= 2 and f"slides-21.pptx</a> (Provinsi Kepulauan Riau, Bahasa Indonesia, {charts} grafik)" in index

"""What a reader of an exported chart, page or deck must never meet, checked on every chart the notebooks
draw (made in-process from a copy of the workspace, rendered to SVG as the exports do): an axis with the
same tick label twice, a legend with two entries too close in colour to tell apart (and nothing else
telling them apart), the same text drawn twice at one place, a narrative line said twice; decks in the
order of ``reports.yaml`` (or its ``slides:`` list) with unique titles and no text both on the slide and
in its image."""

from __future__ import annotations

import math
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import altair as alt
import pytest

from conftest import ROOT, copy_raw_layer
from helpers.analysis import charts, figures, narrative, profiles, trends
from helpers.analysis.params import open_report
from helpers.batch.config import load_config
from helpers.export.build import in_config_order
from helpers.export.model import Chart, Run
from helpers.export.slides import slide_spec, unique_titles
from helpers.problems import ValidationFailed
from helpers.project import Project
from helpers.snapshot import build

SVG = "{http://www.w3.org/2000/svg}"
FOCUS = ["Kota Batam", "Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"]


# --------------------------------------------------------------------------- checks on a rendered SVG


def _classes(el: ET.Element) -> set[str]:
    return set((el.get("class") or "").split())


def _groups(root: ET.Element, role: str) -> list[ET.Element]:
    return [el for el in root.iter(f"{SVG}g") if role in _classes(el)]


def repeated_ticks(svg: str) -> list[list[str]]:
    """Per axis, its tick labels when one of them is there twice (``0, 1, 1, 2, 2``)."""
    root = ET.fromstring(svg)
    out = []
    for axis in _groups(root, "role-axis-label"):
        labels = ["".join(t.itertext()) for t in axis.iter(f"{SVG}text")]
        if len(labels) != len(set(labels)):
            out.append(labels)
    return out


def _rgb(colour: str) -> tuple[int, int, int] | None:
    m = re.fullmatch(r"#([0-9a-fA-F]{6})", colour.strip())
    return tuple(int(m[1][i:i + 2], 16) for i in (0, 2, 4)) if m else None  # type: ignore[return-value]


def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgb)
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def colour_distance(a: str, b: str) -> float:
    """CIE76 ΔE between two ``#rrggbb`` colours (about 2.3 is just noticeable; charts need far more)."""
    la, lb = _lab(_rgb(a)), _lab(_rgb(b))  # type: ignore[arg-type]
    return math.dist(la, lb)


#: Two legend entries that differ only in colour must differ by at least this ΔE.
MIN_LEGEND_DELTA_E = 12


def close_legend_colours(svg: str) -> list[tuple[str, str, str, str]]:
    """Pairs of legend entries (label, colour) of one legend whose symbols have the same shape, outline and
    opacity and colours closer than :data:`MIN_LEGEND_DELTA_E`."""
    root = ET.fromstring(svg)
    out = []
    for legend in _groups(root, "role-legend"):
        symbols = [p for g in _groups(legend, "role-legend-symbol") for p in g.iter(f"{SVG}path")]
        labels = ["".join(t.itertext()) for g in _groups(legend, "role-legend-label") for t in g.iter(f"{SVG}text")]
        entries = []
        for p, label in zip(symbols, labels):
            fill = p.get("fill") or ""
            if _rgb(fill):
                look = (p.get("d"), p.get("stroke-dasharray"), p.get("fill-opacity"), p.get("opacity"))
                entries.append((label, fill, look))
        for i, (la, fa, ka) in enumerate(entries):
            for lb, fb, kb in entries[i + 1:]:
                if ka == kb and colour_distance(fa, fb) < MIN_LEGEND_DELTA_E:
                    out.append((la, fa, lb, fb))
    return out


def repeated_texts(svg: str) -> list[str]:
    """Texts of marks (not axes or legends) drawn twice at the same place: one figure labelled twice."""
    root = ET.fromstring(svg)
    seen: dict[tuple[str, str | None], int] = {}
    for group in _groups(root, "mark-text"):
        if _classes(group) & {"role-axis-label", "role-axis-title", "role-legend-label", "role-legend-title",
                              "role-title-text", "role-title-subtitle"}:
            continue
        for text in group.iter(f"{SVG}text"):
            key = ("".join(text.itertext()), text.get("transform"))
            seen[key] = seen.get(key, 0) + 1
    return [f"{text} at {where}" for (text, where), n in seen.items() if n > 1 and text]


def repeated_lines(markdown: str) -> list[str]:
    """Lines of a narrative said twice."""
    lines = [ln.strip() for ln in markdown.splitlines() if ln.strip()]
    return sorted({ln for ln in lines if lines.count(ln) > 1})


# --------------------------------------------------------------------------- the checks catch what they should


def _svg(chart: alt.TopLevelMixin) -> str:
    return charts.mimebundle(chart)["image/svg+xml"]


def test_the_checks_catch_repeated_ticks_close_colours_twice_drawn_text_and_repeated_lines():
    ticks = alt.Chart(alt.Data(values=[{"x": 0}, {"x": 2}])).mark_point().encode(
        x=alt.X("x:Q", axis=alt.Axis(format=".0f", values=[0, 0.5, 1, 1.5, 2], labelOverlap=False)))
    assert repeated_ticks(_svg(ticks))
    close = alt.Chart(alt.Data(values=[{"x": 0, "c": "a"}, {"x": 1, "c": "b"}])).mark_point(filled=True).encode(
        x="x:Q", color=alt.Color("c:N", scale=alt.Scale(range=["#3b528b", "#3a548c"])))
    assert close_legend_colours(_svg(close))
    apart = close.encode(color=alt.Color("c:N", scale=alt.Scale(range=["#3b528b", "#a8db34"])))
    assert not close_legend_colours(_svg(apart))
    twice = alt.Chart(alt.Data(values=[{"x": 1, "t": "98 %"}, {"x": 1, "t": "98 %"}])).mark_text().encode(
        x="x:Q", text="t:N")
    assert repeated_texts(_svg(twice))
    assert repeated_lines("- a: 1\n- b: 2\n- a: 1") == ["- a: 1"]


# --------------------------------------------------------------------------- every chart the notebooks draw


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = copy_raw_layer(tmp_path_factory.mktemp("checks") / "ws")
    build(project)
    return project


def notebook_charts(project: Project, lang: str) -> dict[str, tuple[alt.TopLevelMixin, str]]:
    """Every chart of the default batch's notebooks, as they make it, with the narrative beside it."""
    report = open_report(regions=FOCUS, lang=lang, project=project)
    kaltim = open_report(regions=["64"], lang=lang, project=project)
    made: dict[str, tuple[alt.TopLevelMixin, str]] = {}
    latest, totals, targets = figures.region_comparison(report)
    name = figures.metric_label(report, figures.RECORDING)
    made["region-comparison"] = (charts.region_comparison(latest, targets, lang, narrative.comparison_title(
        latest, name, lang), narrative.comparison_subtitle(latest, lang)),
        narrative.comparison_text(latest, totals, name, [], lang))
    series, s_targets = figures.coverage_over_time(report)
    made["coverage-over-time"] = (charts.over_time(series, s_targets, lang, narrative.over_time_title(series, name, lang),
                                                   narrative.date_span(series, lang)),
                                  narrative.over_time_text(series, name, [], lang))
    extremes, e_targets = figures.province_extremes(kaltim, "64")
    made["kabupaten-kota"] = (charts.province_extremes(extremes, e_targets, lang, "t", ""),
                              narrative.extremes_text(extremes, lang))
    progress, p_targets = figures.progress_against_targets(report, ["ikd_activation_pct", "kia_ownership_pct"])
    made["ikd-kia"] = (charts.progress(progress, p_targets, lang, narrative.progress_title(progress, lang), ""),
                       narrative.progress_text(progress, "IKD/KIA", [], lang))
    quality = figures.data_quality(report)
    checked = quality["consistency"]
    percent = checked[checked["checkable"] & (checked["unit"] == "percent")]
    made["data-quality"] = (charts.stated_vs_derived(percent, lang, narrative.quality_title(checked, lang), ""),
                            narrative.quality_text(quality, lang))
    for region in ("21.71", "64", "19.04", "64.08"):
        one = open_report(regions=[region], lang=lang, project=project)
        profile = figures.region_profile(one, region)
        made[f"profile-{region}"] = (profiles.profile(profile, lang, "t", ""), trends.profile_note(one, region))
        for unit in profiles.count_units(profile):
            counts = profile[profile["unit"] == unit]
            made[f"profile-{region}-{unit}"] = (profiles.profile_counts(counts, lang, unit, ""), "")
    counts = trends.denominators(report)
    made["denominators"] = (trends.denominators_chart(counts, lang, "t", ""), trends.denominators_text(counts, lang))
    local, province_rows = trends.kabupaten_kota_dates(kaltim, "64")
    made["kabupaten-kota-over-time"] = (trends.kabupaten_kota_chart(local, province_rows, lang, "t", ""),
                                        trends.kabupaten_kota_text(local, province_rows, lang))
    return made


@pytest.fixture(scope="module", params=["id", "en"])
def made(request: pytest.FixtureRequest, project: Project) -> dict[str, tuple[str, str, dict]]:
    out = {}
    for name, (chart, text) in notebook_charts(project, request.param).items():
        bundle = charts.mimebundle(chart)
        out[name] = (bundle["image/svg+xml"], text, bundle["application/vnd.vegalite.v5+json"]["usermeta"]["ktpel"])
    return out


def test_no_subtitle_repeats_what_its_title_says(made):
    repeated = {name: (meta["title"], sub) for name, (_, _, meta) in made.items()
                for sub in meta["subtitle"] if sub and sub in meta["title"]}
    assert repeated == {}


def test_no_axis_shows_a_tick_label_twice(made):
    assert {name: bad for name, (svg, _, _) in made.items() if (bad := repeated_ticks(svg))} == {}


def test_legend_colours_can_be_told_apart(made):
    assert {name: bad for name, (svg, _, _) in made.items() if (bad := close_legend_colours(svg))} == {}


def test_no_text_is_drawn_twice_at_one_place(made):
    assert {name: bad for name, (svg, _, _) in made.items() if (bad := repeated_texts(svg))} == {}


def test_no_narrative_line_is_said_twice(made):
    assert {name: bad for name, (_, text, _) in made.items() if (bad := repeated_lines(text))} == {}


# --------------------------------------------------------------------------- decks


def _config_project(tmp_path: Path, text: str) -> Project:
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "reports.yaml").write_text(text, encoding="utf-8")
    return Project(tmp_path)


RUNS = """runs:
  - name: coverage-over-time
    notebook: notebooks/02_coverage_over_time.ipynb
  - name: region-comparison
    notebook: notebooks/01_region_comparison.ipynb
  - name: profile-batam
    notebook: notebooks/06_region_profile.ipynb
    parameters: {region: "Kota Batam"}
"""


def _run(name: str, lang: str = "id", titles: tuple[str, ...] = ()) -> Run:
    run = Run(name, Path(f"{name}.ipynb"), None, {}, {}, lang, f"Report {name}", None)  # type: ignore[arg-type]
    run.charts = [Chart(name, i, f"c{i}", f"{name}--c{i}", {}, None, {"title": t}, (i, 0)) for i, t in enumerate(titles)]
    return run


def test_decks_follow_runs_then_an_optional_slides_list(tmp_path):
    runs = [_run("profile-batam"), _run("region-comparison"), _run("coverage-over-time"), _run("region-comparison.en", "en")]
    plain = _config_project(tmp_path / "a", RUNS)
    assert [r.name for r in in_config_order(plain, runs)] == [
        "coverage-over-time", "region-comparison", "region-comparison.en", "profile-batam"]
    ordered = _config_project(tmp_path / "b", RUNS + "slides:\n  - region-comparison\n  - profile-batam\n")
    assert load_config(ordered).slide_order() == ["region-comparison", "profile-batam", "coverage-over-time"]
    assert [r.name for r in in_config_order(ordered, runs)] == [
        "region-comparison", "region-comparison.en", "profile-batam", "coverage-over-time"]


@pytest.mark.parametrize(("slides", "message"), [
    ("slides:\n  - nope\n", "'nope' is not a run of `runs:`"),
    ("slides:\n  - profile-batam\n  - profile-batam\n", "'profile-batam' is listed twice"),
    ("slides: profile-batam\n", "must be a list of run names"),
])
def test_a_wrong_slides_list_is_refused_with_its_line(tmp_path, slides, message):
    project = _config_project(tmp_path, RUNS + slides)
    with pytest.raises(ValidationFailed) as caught:
        load_config(project)
    problems = [str(p) for p in caught.value.problems]
    first = len(RUNS.splitlines()) + 1  # the line of `slides:`
    assert any(re.match(r"reports\.yaml:(\d+): slides: ", p) and int(p.split(":")[1]) >= first and message in p
               for p in problems), problems


def test_slide_titles_are_unique_in_a_deck():
    runs = [_run("profile-a", titles=("Kota Batam: 9 angka", "Jumlah")), _run("profile-b", titles=("Jumlah",)),
            _run("profile-c", titles=("Jumlah", "Jumlah"))]
    titles = list(unique_titles(runs).values())
    assert len(titles) == len(set(titles)) == 5


def test_a_slide_image_repeats_no_text_of_the_slide(project):
    report = open_report(regions=FOCUS, lang="id", project=project)
    latest, _, targets = figures.region_comparison(report)
    chart = charts.region_comparison(latest, targets, "id", "Judul temuan", narrative.date_span(latest, "id"))
    spec = charts.for_display(chart).to_dict()
    meta = spec["usermeta"]["ktpel"]
    drawn = charts.to_svg(slide_spec(Chart("r", 0, meta["chart_id"], "r--c", spec, None, meta, (0, 0))))
    shown = {"".join(t.itertext()) for t in ET.fromstring(drawn).iter(f"{SVG}text")}
    on_slide = {meta["title"], *charts.title_lines(meta["title"]), *meta["subtitle"], meta["footer"],
                *textwrap.wrap(meta["footer"], 100)}
    assert shown and not shown & on_slide, shown & on_slide

"""Chart helpers return plain Altair charts an analyst can change; one theme gives every chart its look;
a region has one colour and a figure's status one look in every chart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from conftest import copy_raw_layer, run_ktpel
from helpers.analysis import charts, explore, figures, profiles, theme
from helpers.analysis.params import open_report
from helpers.project import Project

FOCUS = ["Kota Batam", "Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"]
STATUS_DOMAIN = {lang: [theme.STATUS_LABELS[lang][s] for s in theme.STATUSES] for lang in ("id", "en")}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = copy_raw_layer(tmp_path_factory.mktemp("charts") / "ws")
    assert run_ktpel(project, "build").returncode == 0
    return project


def helper_charts(project: Project, lang: str = "id", regions: list[str] | None = None) -> dict[str, alt.LayerChart]:
    """One chart of every helper, as the notebooks make them."""
    report = open_report(regions=regions or FOCUS, lang=lang, project=project)
    kaltim = open_report(regions=["64"], lang=lang, project=project)
    batam = open_report(regions=["21.71"], lang=lang, project=project)
    latest, _, targets = figures.region_comparison(report)
    series, series_targets = figures.coverage_over_time(report)
    extremes, extreme_targets = figures.province_extremes(kaltim, "64")
    progress, progress_targets = figures.progress_against_targets(report, ["ikd_activation_pct", "kia_ownership_pct"])
    quality = figures.data_quality(report)["consistency"]
    profile = figures.region_profile(batam, "21.71")
    spread, _, sources = figures.kabupaten_kota_spread(report)
    spread_targets = figures.targets_for(report, [])
    everything, _ = explore.series(report, "ktp_recording_pct")
    return {"region_comparison": charts.region_comparison(latest, targets, lang, "t", "s"),
            "over_time": charts.over_time(series, series_targets, lang, "t", "s"),
            "province_extremes": charts.province_extremes(extremes, extreme_targets, lang, "t", "s"),
            "progress": charts.progress(progress, progress_targets, lang, "t", "s"),
            "stated_vs_derived": charts.stated_vs_derived(quality, lang, "t", "s"),
            "profile": profiles.profile(profile, lang, "t", "s"),
            "profile_counts": profiles.profile_counts(profile[profile["unit"] != "percent"], lang, "t", "s"),
            "spread": charts.spread(spread, spread_targets, sources, lang, "t", "s"),
            "region_picker": charts.region_picker(everything, lang, "t", "s")}


@pytest.fixture(scope="module")
def made(project: Project) -> dict[str, alt.LayerChart]:
    return helper_charts(project)


def layers(spec: dict) -> list[dict]:
    """Every unit spec (with a mark) inside ``spec``."""
    out = [spec] if "mark" in spec else []
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for child in spec.get(key, []):
            out += layers(child)
    if "spec" in spec:
        out += layers(spec["spec"])
    return out


def rows(spec: dict) -> list[dict]:
    return [row for data in spec.get("datasets", {}).values() for row in data]


def test_every_helper_returns_a_plain_layer_chart_with_no_config(made):
    assert set(made) == {n for n in [*dir(charts), *dir(profiles)] if n in made}  # every helper is covered below
    for name, chart in made.items():
        assert isinstance(chart, alt.LayerChart), name
        assert chart.config is alt.Undefined, name
        spec = chart.to_dict()
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5"), name
        assert spec["config"] == theme.theme_config("id")  # the look is the theme's, nothing else


def test_an_analyst_can_resize_layer_facet_and_reencode_every_helper_chart(made):
    for name, chart in made.items():
        other = chart.properties(title="")
        assert chart.properties(width=900).to_dict()["width"] == 900, name
        layered = chart + other
        assert len(layered.to_dict()["layer"]) >= 2, name
        assert "<svg" in charts.mimebundle(layered)["image/svg+xml"], name
        assert "facet" in chart.facet(row=alt.Row("status_label:N")).to_dict(), name
        assert chart.encode(opacity=alt.value(0.5)).to_dict()["encoding"]["opacity"] == {"value": 0.5}, name
        assert charts.mimebundle(chart.properties(width=900))["image/svg+xml"].startswith("<svg"), name


def test_two_helper_charts_of_different_regions_layer_and_keep_their_colours(project):
    def over_time(regions: list[str]) -> alt.LayerChart:
        series, targets = figures.coverage_over_time(open_report(regions=regions, lang="id", project=project))
        return charts.over_time(series, targets, "id", "t", "s")

    batam = over_time(["Kota Batam"])
    kaltim = over_time(["Provinsi Kalimantan Timur", "Kabupaten Bangka Tengah"])
    svg = charts.mimebundle(batam + kaltim)["image/svg+xml"]
    for code in ("21.71", "64", "19.04"):
        assert theme.region_color(code).lower() in svg.lower(), code


def test_show_emits_vega_lite_v5_an_svg_and_the_chart_s_metadata(made):
    bundle = charts.mimebundle(made["region_comparison"])
    assert set(bundle) == {"application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"}
    spec = bundle["application/vnd.vegalite.v5+json"]
    meta = spec["usermeta"]["ktpel"]
    assert meta["chart_id"] == "region-comparison" and meta["title"] == "t" and meta["subtitle"] == ["s"]
    assert meta["footer"].startswith("Sumber: ") and meta["sources"] and meta["lang"] == "id"
    assert bundle == charts.mimebundle(made["region_comparison"])  # no random ids: nbval sees the same output
    tips = {t["title"] for layer in layers(spec) for t in layer.get("encoding", {}).get("tooltip", [])}
    assert {"Nilai", "Tanggal data", "Sumber", "Kutipan"} <= tips  # value, date, source and quote


def test_a_chart_with_missing_values_is_sent_as_strict_json():
    # Jupyter refuses NaN in a message: the notebook would store a serialization warning instead of the chart.
    df = pd.DataFrame({"region": ["a", "b"], "value": [1.5, float("nan")]})
    own = alt.Chart(df).mark_bar().encode(x="value:Q", y="region:N")
    spec = charts.mimebundle(own)["application/vnd.vegalite.v5+json"]
    text = json.dumps(spec, allow_nan=False)  # raises ValueError on NaN or infinity
    assert '"value": null' in text


def test_the_theme_gives_one_s_own_chart_the_same_look_and_the_indonesian_number_format():
    df = pd.DataFrame({"region": ["a", "b"], "people": [1294548.5, 926654.0]})
    own = alt.Chart(df).mark_bar().encode(x=alt.X("people:Q", axis=alt.Axis(format=",.1f")), y="region:N")
    theme.use("id")
    spec = own.to_dict()
    assert spec["config"]["font"] == "DejaVu Sans" and spec["config"]["locale"]["number"]["decimal"] == ","
    svg = charts.to_svg(spec)
    assert "1.000.000,0" in svg and 'font-family="DejaVu Sans"' in svg
    theme.use("en")
    try:
        assert "1,000,000.0" in charts.to_svg(own.to_dict())
    finally:
        theme.use("id")


def test_a_region_keeps_its_colour_in_every_chart_whatever_else_is_plotted(project, made):
    alone = helper_charts(project, regions=["Kota Batam", "Provinsi Kalimantan Timur"])  # IKD/KIA needs a region with figures
    for charts_set in (made, alone):
        for name, chart in charts_set.items():
            for row in rows(chart.to_dict()):
                if "region_code" in row and "region_color" in row:
                    assert row["region_color"] == theme.region_color(row["region_code"]), name
    # drawn from the data itself (no scale), so layering charts of different regions reassigns nothing
    for name, chart in made.items():
        for layer in layers(chart.to_dict()):
            for channel in ("fill", "stroke", "color"):
                enc = layer.get("encoding", {}).get(channel)
                if enc and enc.get("field") == "region_color":
                    assert enc["scale"] is None, name
    assert theme.region_color("21.71") == "#CC6677" == theme.region_color("21.71")


def test_region_colours_are_colour_blind_safe_and_the_focus_regions_distinct():
    tol_muted = {"#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499"}
    codes = [line.split(",")[0] for line in (Path(__file__).parents[1] / "data/raw/regions.csv").read_text().splitlines()[1:]]
    assert {theme.region_color(c) for c in codes} <= tol_muted
    focus = list(theme.FOCUS_COLORS.values())
    assert len(set(focus)) == len(focus)


def test_stated_derived_approximate_and_undated_have_one_encoding_in_every_chart(made):
    seen = set()
    for name, chart in made.items():
        for layer in layers(chart.to_dict()):
            enc = layer.get("encoding", {})
            for channel, index in (("fillOpacity", 0), ("strokeDash", 1)):
                if channel in enc:
                    assert enc[channel]["scale"] == {"domain": STATUS_DOMAIN["id"],
                                                     "range": [theme.STATUS_STYLE[s][index] for s in theme.STATUSES]}, name
                    seen.add(name)
    assert seen >= {"region_comparison", "over_time", "province_extremes", "progress", "profile", "profile_counts"}
    assert len({(fill, tuple(dash)) for fill, dash in theme.STATUS_STYLE.values()}) == 4  # four distinct looks


@pytest.mark.parametrize(("row", "status"), [
    ({"kind": "stated", "qualifier": "exact", "as_of_precision": "day"}, "stated"),
    ({"kind": "derived", "qualifier": "exact", "as_of_precision": "month"}, "derived"),
    ({"kind": "stated", "qualifier": "approx", "as_of_precision": "day"}, "approximate"),
    ({"kind": "stated", "qualifier": "more_than", "as_of_precision": "year"}, "approximate"),
    ({"kind": "stated", "qualifier": "exact", "as_of_precision": "unknown"}, "undated"),
    ({"kind": "stated", "qualifier": "exact", "as_of_precision": "day", "undated": True}, "undated"),
])
def test_status_of_a_figure(row, status):
    assert theme.status_of(row) == status


def test_the_picker_is_a_parameter_bound_to_a_dropdown_of_the_regions_with_figures(made):
    spec = made["region_picker"].to_dict()
    param = next(p for p in spec["params"] if p["name"] == "region")
    assert param["bind"]["input"] == "select" and param["value"] in param["bind"]["options"]
    assert "Kota Batam" in param["bind"]["options"] and len(param["bind"]["options"]) >= 3
    assert any(re.search(r"region_name\s*===\s*region", str(layer.get("transform"))) for layer in layers(spec))


def test_bars_are_never_stacked(made):
    """Two figures of one row (two sources on the same day) overlap; they are never added up."""
    for name, chart in made.items():
        for layer in layers(chart.to_dict()):
            if (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]) == "bar":
                assert layer["encoding"]["x"].get("stack", "unset") is None, name


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_explore_tables_speak_the_page_s_language(project: Project, lang: str):
    from helpers.i18n import catalogue

    report = open_report(lang=lang, project=project)
    inside = explore.contents(report)
    intro = explore.intro(report, inside)
    assert intro.startswith("# " + catalogue(lang)["intro.explore_title"]) and report.snapshot_id in intro
    regions = explore.table(inside["regions"], lang)
    headers = list(regions.frame.columns)
    assert headers == [catalogue(lang)[f"column.{c}"] for c in inside["regions"].columns]
    levels = set(regions.frame[catalogue(lang)["column.region_level"]])
    assert levels <= {catalogue(lang)[f"level.{name}"] for name in ("provinsi", "kabupaten", "kota", "nasional")}
    units = list(explore.table(inside["metrics"], lang).frame[catalogue(lang)["column.unit"]])
    assert units == [catalogue(lang)[f"unit.{u}"] for u in inside["metrics"]["unit"]]
    sources = explore.table(inside["sources"], lang).frame[catalogue(lang)["column.published_on"]]
    assert all(v == "–" or re.fullmatch(r"\d{4}(-\d{2}){0,2}", v) for v in sources)
    publishers = " ".join(explore.table(inside["sources"], lang).frame[catalogue(lang)["column.publisher"]])
    assert "ANTARA" in publishers and "from ANTARA" not in publishers and "author" not in publishers
    big = explore.table(pd.DataFrame({"figures": [1294548]}), lang).frame.iloc[0, 0]
    assert big == ("1.294.548" if lang == "id" else "1,294,548")


def test_a_long_title_wraps_within_the_chart_instead_of_widening_it(made):
    long = "Cakupan perekaman KTP-el: Kabupaten Bangka Tengah arah tidak pasti; Kota Batam naik; Provinsi Kalimantan Timur naik-turun"
    spec = charts.for_display(made["over_time"].properties(title=long)).to_dict()
    lines = spec["title"]["text"]
    assert len(lines) == 2 and " ".join(lines) == long and all(len(line) <= charts.TITLE_CHARS for line in lines)
    assert spec["usermeta"]["ktpel"]["title"] == long  # pages and slides still say it in one piece

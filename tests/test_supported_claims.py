"""Reports say only what the data supports: unit tests and property tests (hypothesis, synthetic series)
of the functions that turn figures into claims.

* "naik"/"rose" only for a rise with no fall in between; otherwise the dip is named;
* an approximate figure keeps its qualifier ("sekitar 98 %", never "98,00 %");
* a headline comparing figures of different dates names the dates, in the past tense in English;
* a region asked for but without a figure is said to have none;
* no statistic (lowest, highest, median) is named over fewer than three values;
* a figure stated by several sources is said once, naming every source;
* a formula is said in words by its shape (÷, ×, −), never with a metric id;
* a target is promised only for the years a source states one; an untitled source is called so."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.analysis import narrative as n
from helpers.analysis import trends
from helpers.analysis.figures import formula_text
from helpers.analysis.labels import source_name, source_title, source_title_parts, value_text
from helpers.analysis.narrative import Figure, dated, direction, one_per_figure, series_sentence, trend
from helpers.i18n import NBSP, catalogue, format_percent

LANGS = st.sampled_from(["id", "en"])
APPROX = {"id": "sekitar", "en": "about"}
RISE = {"id": "naik dari", "en": "rose from"}
FALL = {"id": "turun dari", "en": "fell from"}
STATISTICS = {"id": ("terendah", "tertinggi", "median"), "en": ("lowest", "highest", "median")}


def plain(text: str) -> str:
    """Markdown links as their text."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)


def fig(value: float, day: int, qualifier: str = "exact", decimals: int = 2, fid: str | None = None) -> Figure:
    return Figure(value, decimals, qualifier, "percent", date(2020, 1, 1) + timedelta(days=day), "day", fid)


def rows(items: list[tuple[str, float, str, int, int]], source: str = "s") -> pd.DataFrame:
    """Fact-like rows: (region, value, qualifier, decimals, day)."""
    return pd.DataFrame([{"region_code": r, "region_name": r, "region_label": r, "value": round(v, d), "qualifier": q,
                          "decimals": d, "unit": "percent", "as_of": date(2018, 1, 1) + timedelta(days=day),
                          "as_of_precision": "day", "fact_id": f"f{i}", "source_id": f"{source}{i}",
                          "source_publisher": f"Publisher {i}", "kind": "stated", "metric": "m",
                          "derived_value": None}
                         for i, (r, v, q, d, day) in enumerate(items)])


values = st.floats(min_value=0, max_value=150, allow_nan=False).map(lambda v: round(v, 2))
qualifiers = st.sampled_from(["exact", "exact", "approx"])
series = st.lists(st.tuples(values, qualifiers, st.integers(0, 2)), min_size=1, max_size=8)


# --------------------------------------------------------------------------- rise, fall, dip


def test_a_series_that_dips_is_not_called_a_rise_and_names_the_dip():
    points = [fig(99.46, 0), fig(104.38, 40), fig(98.75, 900), fig(99.54, 1500)]
    for lang in ("id", "en"):
        text = plain(series_sentence("Kaltim", points, lang))
        assert RISE[lang] not in text and format_percent(98.75, lang) in text


@settings(max_examples=300, deadline=None)
@given(series, LANGS)
def test_rise_is_said_only_without_a_fall_and_a_mixed_series_names_its_dip(items, lang):
    figures = [fig(round(v, d), i * 30, q, d, f"f{i}") for i, (v, q, d) in enumerate(items)]
    text = plain(series_sentence("R", figures, lang))
    points = dated(figures)
    steps = [direction(a, b) for a, b in zip(points, points[1:])]
    if RISE[lang] in text:
        assert steps and all(s is not None and s >= 0 for s in steps) and any(s == 1 for s in steps)
    if FALL[lang] in text:
        assert steps and all(s is not None and s <= 0 for s in steps) and any(s == -1 for s in steps)
    if trend(figures) == "mixed":
        dip = min((b for a, b in zip(points, points[1:]) if direction(a, b) == -1), key=lambda f: f.value)
        peak = max((b for a, b in zip(points, points[1:]) if direction(a, b) == 1), key=lambda f: f.value)
        assert plain(dip.text(lang)) in text
        between = text.split(":", 2)[-1]  # the part naming the dip and the peak, in the order they happened
        first, second = (dip, peak) if points.index(dip) < points.index(peak) else (peak, dip)
        assert between.index(first.when(lang)) < between.rindex(second.when(lang))
    if any(w in text for w in {"id": ("tanpa penurunan", "tanpa kenaikan"), "en": ("no fall", "no rise")}[lang]):
        assert len(points) >= 3  # "no fall in between" needs a figure in between


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), values, qualifiers, st.integers(0, 2), st.integers(0, 3000)),
                min_size=1, max_size=8), LANGS)
def test_an_over_time_headline_says_rise_only_of_a_region_that_rose(items, lang):
    df = rows(items)
    title = n.over_time_title(df, "M", lang)
    for name, g in df.groupby("region_name"):
        kind = trend([n.figure_of(r) for _, r in g.iterrows()])
        said = re.search(rf"{name} ([^;]+)", title)
        assert said is not None and said[1] == n.t(f"narrative.trend_{kind}", lang)


# --------------------------------------------------------------------------- qualifiers


@settings(max_examples=300, deadline=None)
@given(values, st.integers(0, 2), st.sampled_from(["approx", "more_than", "less_than"]), LANGS)
def test_a_qualified_figure_always_carries_its_qualifier_and_its_own_decimals(value, decimals, qualifier, lang):
    text = value_text(value, "percent", decimals, qualifier, lang)
    assert text.startswith(n.word(qualifier, lang) + NBSP)
    assert text.endswith(format_percent(value, lang, decimals))


def test_about_105_is_not_105_00():
    assert value_text(105, "percent", 0, "approx", "id") == f"sekitar{NBSP}105{NBSP}%"
    assert "105,00" not in value_text(105, "percent", 0, "approx", "id")


def test_a_whole_count_shows_no_decimals_even_when_derived_with_two():
    assert value_text(1429.0, "cards", 2, "exact", "id") == "1.429"
    assert value_text(2.5, "persons", 1, "exact", "en") == "2.5"  # a count the source wrote with a decimal keeps it


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), values, qualifiers, st.integers(0, 2), st.integers(0, 900)),
                min_size=1, max_size=8), LANGS)
def test_every_approximate_figure_in_a_narrative_keeps_its_qualifier(items, lang):
    df = rows(items)
    texts = [n.over_time_text(df, "M", [], lang), n.comparison_text(df.groupby("region_name").tail(1),
                                                                     df.iloc[0:0], "M", [], lang)]
    for text in texts:
        for link, fid in re.findall(r"\[([^\]]*)\]\(#fact-(f\d+)\)", text):
            row = df[df["fact_id"] == fid].iloc[0]
            if row["qualifier"] == "approx":
                assert link.startswith(APPROX[lang] + NBSP), (link, text)


def test_inferred_dates_say_so():
    inferred = Figure(5.48, 2, "exact", "percent", date(2024, 10, 31), "month", None, True)
    assert inferred.when("id") == "Okt 2024, tanggal disimpulkan"
    assert inferred.when("en") == "Oct 2024, date inferred"


# --------------------------------------------------------------------------- dates and tense in headlines


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), values, qualifiers, st.just(2), st.integers(0, 2000)),
                min_size=2, max_size=6), LANGS)
def test_a_headline_comparing_different_dates_names_them(items, lang):
    latest = rows(items).sort_values("as_of").groupby("region_name").tail(1)
    title = n.comparison_title(latest, "M", lang)
    figs = [n.figure_of(r) for _, r in latest.iterrows()]
    if len({f.as_of for f in figs}) > 1:
        first, last = min(figs, key=lambda f: f.as_of), max(figs, key=lambda f: f.as_of)  # type: ignore[arg-type, return-value]
        assert first.when(lang) in title and last.when(lang) in title
        if lang == "en" and n.lowest(figs) is not None:
            assert "lowest was" in title  # the past tense: these are figures of their own dates, not of today


# --------------------------------------------------------------------------- no figure


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Kota Batam", "Kabupaten Bangka Tengah", "Provinsi Kalimantan Timur"]),
                min_size=1, max_size=3, unique=True), LANGS)
def test_a_region_without_a_figure_is_said_to_have_none(missing, lang):
    df = rows([("Kota Dumai", 90.0, "exact", 2, 0)])
    for text in (n.over_time_text(df, "M", missing, lang), n.comparison_text(df, df.iloc[0:0], "M", missing, lang)):
        tail = text.split("\n\n")[-1]
        assert tail.startswith("Tidak ada angka M" if lang == "id" else "No figure of M")
        assert all(region in tail for region in missing)
    assert n.missing_sentence("M", [], lang) == ""


# --------------------------------------------------------------------------- no statistic under three values


def _kk(items: list[tuple[str, float, int]]) -> pd.DataFrame:
    df = rows([(r, v, "exact", 2, day) for r, v, day in items])
    return df.assign(region_code=[f"64.{r}" for r in df["region_name"]], region_name=[f"Kab {r}" for r in df["region_name"]])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["01", "02", "03", "04"]), values, st.sampled_from([0, 400, 800])),
                min_size=1, max_size=10), LANGS)
def test_lowest_and_highest_are_named_only_over_three_or_more(items, lang):
    local = _kk(items).drop_duplicates(["region_code", "as_of"])
    text = trends.kabupaten_kota_text(local, local.iloc[0:0], lang)
    for line in text.splitlines():
        day = next((d for d in local["as_of"].unique() if n.Figure(0, as_of=d).when(lang) in line), None)
        if line.startswith("- ") and day is not None and "→" not in line:
            count = local[local["as_of"] == day]["region_code"].nunique()
            named = any(word in line for word in STATISTICS[lang])
            assert named == (count >= n.MIN_VALUES), (count, line)


def test_two_kabupaten_kota_are_given_side_by_side():
    local = _kk([("01", 84.45, 0), ("02", 98.0, 0)])
    assert trends.kabupaten_kota_text(local, local.iloc[0:0], "id").splitlines()[2] == (
        f"- 1 Jan 2018: Kab 01 [84,45{NBSP}%](#fact-f0) dan Kab 02 [98,00{NBSP}%](#fact-f1)")


def test_a_spread_over_fewer_than_three_is_not_drawn_and_says_why():
    coverage = pd.DataFrame([{"province_name": "P", "period_label": "Jun 2024", "n": 2, "total": 10}])
    assert n.spread_title(pd.DataFrame(), "M", "id") == n.t("narrative.spread_none_title", "id")
    assert "minimal 3" in n.spread_text(pd.DataFrame(), coverage, "id")


# --------------------------------------------------------------------------- one figure, several sources


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), st.sampled_from([98.75, 99.54]), st.sampled_from([0, 10])),
                min_size=1, max_size=8), LANGS)
def test_a_figure_stated_by_several_sources_is_said_once_naming_every_source(items, lang):
    df = rows([(r, v, "exact", 2, d) for r, v, d in items])
    once = one_per_figure(df, ["region_code", "value", "as_of"], lang)
    assert len(once) == len(df.drop_duplicates(["region_code", "value", "as_of"]))
    for _, row in once.iterrows():
        same = df[(df["region_code"] == row["region_code"]) & (df["value"] == row["value"]) & (df["as_of"] == row["as_of"])]
        assert row["n_sources"] == len(same)
        assert all(source_name(r, lang) in row["sources_label"] for _, r in same.iterrows())
    lines = n.progress_text(df.assign(metric_label="M", target=None, target_year=None, inputs_label=""), "M", [], lang)
    assert len(lines.splitlines()) == len(once)


# --------------------------------------------------------------------------- formulas in words


METRIC_IDS = ["ktp_recorded", "ktp_required", "ktp_unrecorded", "ikd_activated", "ktp_recording_pct"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(METRIC_IDS), min_size=1, max_size=3), st.lists(st.sampled_from(["/", "−", "-", "+", "*", "×"]),
                                                                              min_size=2, max_size=2), LANGS)
def test_a_formula_is_said_by_its_shape_without_metric_ids(ids, ops, lang):
    formula = ids[0] + "".join(f" {op} {i}" for op, i in zip(ops, ids[1:])) + " × 100"
    operands = {i: f"Label{k} 1.234" for k, i in enumerate(ids)}
    text = formula_text(formula, operands, lang)
    assert not any(i in text for i in METRIC_IDS)
    assert not re.search(r" [/*-] ", text) and text.endswith("× 100")
    assert text.count("÷") == sum(op == "/" for op in ops[: len(ids) - 1])


def test_formulas_of_the_snapshot_read_as_a_reader_writes_them():
    ops = {"ktp_recorded": "Terekam 926.654", "ktp_required": "Wajib KTP 905.737", "ktp_unrecorded": "Belum 1"}
    assert formula_text("ktp_recorded / ktp_required × 100", ops, "id") == "Terekam 926.654 ÷ Wajib KTP 905.737 × 100"
    assert formula_text("(ktp_required − ktp_unrecorded) / ktp_required × 100", ops, "id") == (
        "(Wajib KTP 905.737 − Belum 1) ÷ Wajib KTP 905.737 × 100")
    assert formula_text("ikd_activation_pct / national IKD target × 100", {"ikd_activation_pct": "IKD 4,48 %"}, "en") == (
        "IKD 4,48 % ÷ national target × 100")


# --------------------------------------------------------------------------- targets and sources


@pytest.mark.parametrize("lang", ["id", "en"])
def test_intros_promise_no_target_and_the_note_names_only_stated_years(lang):
    intros = {k: v for k, v in catalogue(lang).items() if k.startswith("intro.") and not k.endswith("_title")
              and k not in ("intro.targets", "intro.no_targets")}
    assert not [k for k, v in intros.items() if "target" in v.lower()]
    note = n.targets_note(pd.DataFrame({"year": [2024, 2023, 2024]}), lang)
    assert "2023" in note and "2024" in note and "2022" not in note
    assert n.targets_note(pd.DataFrame({"year": []}), lang) == n.t("intro.no_targets", lang)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_untitled_source_is_called_so_in_the_page_language_and_not_as_its_title(lang):
    row = {"title": "Kaltim: perekaman KTP-el 99,54 persen (untitled as received)", "publisher": None,
           "place": "Kalimantan Timur"}
    title, remark = source_title_parts(row, lang)
    assert title is None and remark == n.word("untitled_source", lang) + ", Kalimantan Timur"
    assert "untitled as received" not in source_title(row, lang) and "perekaman" not in source_name(row, lang)
    assert "verbatim" not in n.cited_title(row, lang)
    headline = {"title": "Libur, Rekam e-KTP Terus Jalan (headline from the page address)"}
    assert n.cited_title(headline, lang).startswith('<cite class="verbatim">Libur, Rekam e-KTP Terus Jalan</cite> (')


def test_a_date_is_the_date_a_reader_sees_so_title_legend_and_lines_agree():
    """``Des 2012`` (one kabupaten/kota) and ``2012, tanggal disimpulkan`` (two) both end on 31 Dec 2012, but
    they are not one date: only the second is compared, coloured and counted."""
    local = _kk([("01", 58.23, 0), ("02", 88.03, 0), ("03", 89.83, 0)]).assign(
        as_of_label=["2012, tanggal disimpulkan", "2012, tanggal disimpulkan", "Des 2012"])
    shared = trends.dates_with(local)
    assert list(shared["as_of_label"]) == ["2012, tanggal disimpulkan"] and list(shared["n"]) == [2]
    assert trends.kabupaten_kota_title(local, "P", "id") == "P: 3 kabupaten/kota, dibandingkan pada 1 tanggal"
    chart = trends.kabupaten_kota_chart(local.assign(region_label=local["region_name"], kind_label="dinyatakan",
                                                     source_label="s", quote="q"), local.iloc[0:0], "id", "t", "")
    legend = chart.to_dict()["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert legend == ["2012, tanggal disimpulkan", n.t("trends.kk_other_dates", "id")]


def test_a_region_s_level_is_said_only_where_its_name_does_not_say_it():
    from helpers.analysis.figures import region_with_level

    assert region_with_level("Kota Batam", "kota") == "Kota Batam"
    assert region_with_level("Kota Batam", "city") == "Kota Batam (city)"
    assert region_with_level("Provinsi Kalimantan Timur", "provinsi") == "Provinsi Kalimantan Timur"
    assert region_with_level("Kotawaringin Barat", "kota") == "Kotawaringin Barat (kota)"

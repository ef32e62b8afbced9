"""Every generated sentence is a checked claim: unit tests of the narrative rules and property tests
(hypothesis) over synthetic series."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.analysis import narrative as n
from helpers.analysis.narrative import Figure, dated, direction, lowest, series_sentence, trend
from helpers.i18n import NBSP, format_percent, t


def fig(value: float, day: int, qualifier: str = "exact", decimals: int = 2, fid: str | None = None) -> Figure:
    return Figure(value, decimals, qualifier, "percent", date(2020, 1, 1) + timedelta(days=day), "day", fid)


def plain(text: str) -> str:
    """Markdown links as their text."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)


# --------------------------------------------------------------------------- unit tests


def test_a_rise_with_a_dip_is_not_called_a_rise_and_the_dip_is_named():
    series = [fig(99.46, 0), fig(104.38, 30), fig(98.07, 900), fig(99.54, 1500)]
    assert trend(series) == "mixed"
    text = plain(series_sentence("Kaltim", series, "id"))
    assert "naik dari" not in text and f"98,07{NBSP}%" in text and f"104,38{NBSP}%" in text
    assert "naik dari" in plain(series_sentence("Batam", [fig(44, 0), fig(60, 10), fig(100.1, 20)], "id"))


def test_an_approximate_figure_keeps_its_qualifier_and_makes_a_small_change_uncertain():
    series = [fig(98.71, 0), fig(98, 1500, "approx", 0)]
    assert direction(*series) is None and trend(series) == "uncertain"
    text = plain(series_sentence("Bangka Tengah", series, "id"))
    assert f"sekitar{NBSP}98{NBSP}%" in text and "98,00" not in text and "naik" not in text and "turun dari" not in text
    assert direction(fig(90, 0), fig(98, 1, "approx", 0)) == 1  # 97..99 is surely above 90


def test_lowest_is_named_only_when_it_is_surely_lowest():
    assert lowest([fig(98, 0, "approx", 0), fig(99.54, 1), fig(100.1, 2)]).value == 98
    assert lowest([fig(98, 0, "approx", 0), fig(98.5, 1)]) is None


def test_a_figure_repeated_by_a_second_source_counts_once():
    assert len(dated([fig(99.46, 0, fid="a"), fig(99.46, 0, fid="b"), fig(99.54, 5)])) == 2


def _latest(rows: list[tuple[str, float, str, int, str, date]]) -> pd.DataFrame:
    return pd.DataFrame([{"region_name": r, "region_label": r, "value": v, "qualifier": q, "decimals": d, "unit": "percent",
                          "as_of": a, "as_of_precision": "day", "fact_id": f"f{i}", "derived_value": None}
                         for i, (r, v, q, d, _, a) in enumerate(rows)])


def test_a_headline_comparing_different_dates_names_them_and_the_qualifier():
    latest = _latest([("Bangka Tengah", 98, "approx", 0, "", date(2022, 11, 22)),
                      ("Batam", 100.1, "exact", 2, "", date(2025, 1, 10))])
    title = n.comparison_title(latest, "Perekaman", "id")
    assert "22 Nov 2022" in title and "10 Jan 2025" in title and f"sekitar{NBSP}98{NBSP}%" in title
    assert "Semua" not in title and "≥" not in title
    same = _latest([("A", 98.5, "exact", 2, "", date(2024, 6, 13)), ("B", 99.5, "exact", 2, "", date(2024, 6, 13))])
    assert n.comparison_title(same, "Recording", "en") == f"Recording as of 13 Jun 2024: lowest was A, {format_percent(98.5, 'en')}"


def test_a_region_without_a_figure_is_named():
    latest = _latest([("Batam", 100.1, "exact", 2, "", date(2025, 1, 10))])
    text = n.comparison_text(latest, latest.iloc[0:0], "Perekaman", ["Kabupaten Bangka Tengah"], "id")
    assert "Tidak ada angka perekaman untuk Kabupaten Bangka Tengah dalam snapshot ini." in text
    assert n.comparison_title(latest.iloc[0:0], "Recording", "en") == "No recording figures"


def test_date_span_counts_undated_figures():
    df = _latest([("A", 1, "exact", 0, "", date(2024, 6, 13)), ("A", 2, "exact", 0, "", None)])
    assert n.date_span(df, "id") == "13 Jun 2024; 1 angka tanpa tanggal"


def test_profile_title_counts_stated_and_derived_apart():
    df = pd.DataFrame({"kind": ["stated"] * 9 + ["derived"] * 2, "source_id": ["a"] * 5 + ["b"] * 6})
    assert n.profile_title(df, "Kota Batam", "en") == "Kota Batam: 9 figures from 2 sources, 2 derived from their counts"


def test_spread_draws_nothing_and_says_why_when_no_province_is_complete():
    coverage = pd.DataFrame({"province_name": ["Kaltim"], "period_label": ["Apr 2022"], "n": [5], "total": [10]})
    text = n.spread_text(coverage.iloc[0:0], coverage, "id")
    assert "Tidak digambar" in text and "5 dari 10" in text
    assert n.spread_title(coverage.iloc[0:0], "Perekaman", "id") == t("narrative.spread_none_title", "id")


# --------------------------------------------------------------------------- property tests

values = st.floats(min_value=0, max_value=150, allow_nan=False).map(lambda v: round(v, 2))
series_st = st.lists(st.tuples(values, st.sampled_from(["exact", "exact", "approx"]), st.integers(0, 2)),
                     min_size=1, max_size=8)


def _build(items: list[tuple[float, str, int]]) -> list[Figure]:
    return [fig(round(v, d), i * 40, q, d, f"id{i}") for i, (v, q, d) in enumerate(items)]


@settings(max_examples=300, deadline=None)
@given(series_st, st.sampled_from(["id", "en"]))
def test_rise_only_without_a_fall_and_fall_only_without_a_rise(items, lang):
    figures = _build(items)
    text = plain(series_sentence("R", figures, lang))
    vals = [f.value for f in dated(figures)]
    steps = [direction(a, b) for a, b in zip(dated(figures), dated(figures)[1:])]
    rise_word, fall_word = ("naik dari", "turun dari") if lang == "id" else ("rose from", "fell from")
    if rise_word in text:
        assert all(b >= a for a, b in zip(vals, vals[1:])) and all(s is not None and s >= 0 for s in steps)
    if fall_word in text:
        assert all(b <= a for a, b in zip(vals, vals[1:])) and all(s is not None and s <= 0 for s in steps)
    if trend(figures) == "mixed":  # neither word; the dip (the lowest point after a fall) is named
        dip = min((b for a, b in zip(dated(figures), dated(figures)[1:]) if direction(a, b) == -1), key=lambda f: f.value)
        assert plain(dip.text(lang)) in text and rise_word not in text and fall_word not in text


@settings(max_examples=300, deadline=None)
@given(series_st, st.sampled_from(["id", "en"]))
def test_every_approximate_figure_in_a_sentence_carries_its_qualifier(items, lang):
    figures = _build(items)
    text = plain(series_sentence("R", figures, lang))
    word = "sekitar" if lang == "id" else "about"
    for f in figures:
        number = format_percent(f.value, lang, f.decimals)
        for m in re.finditer(re.escape(number), text):
            before = text[max(0, m.start() - len(word) - 1):m.start()]
            boundary = m.start() == 0 or not text[m.start() - 1].isdigit() and text[m.start() - 1] not in ",."
            if not boundary:
                continue
            exact_twin = any(g.qualifier == "exact" and format_percent(g.value, lang, g.decimals) == number for g in figures)
            if f.qualifier == "approx" and not exact_twin:
                assert before == f"{word}{NBSP}", (text, number)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), values, st.integers(0, 3000)), min_size=1, max_size=9),
       st.sampled_from(["id", "en"]))
def test_over_time_joins_only_figures_of_the_same_region(rows, lang):
    df = pd.DataFrame([{"region_name": r, "value": v, "qualifier": "exact", "decimals": 2, "unit": "percent",
                        "as_of": date(2015, 1, 1) + timedelta(days=d), "as_of_precision": "day", "fact_id": f"{r}{i}"}
                       for i, (r, v, d) in enumerate(rows)])
    for paragraph in n.over_time_text(df, "M", [], lang).split("\n\n"):
        region = paragraph.split(":")[0]
        ids = set(re.findall(r"#fact-([ABC])\d+", paragraph))
        assert ids <= {region}, paragraph


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B"]), values, st.sampled_from(["exact", "approx"]),
                          st.integers(0, 2000)), min_size=1, max_size=6))
def test_a_headline_over_different_dates_names_the_dates(rows):
    df = pd.DataFrame([{"region_name": r, "region_label": r, "value": v, "qualifier": q, "decimals": 2, "unit": "percent",
                        "as_of": date(2018, 1, 1) + timedelta(days=d), "as_of_precision": "day", "fact_id": f"f{i}"}
                       for i, (r, v, q, d) in enumerate(rows)])
    latest = df.sort_values("as_of").groupby("region_name").tail(1)
    title = n.comparison_title(latest, "M", "id")
    figs = [n.figure_of(r) for _, r in latest.iterrows()]
    if len({f.as_of for f in figs}) > 1:
        assert all(f.when("id") in title for f in (min(figs, key=lambda f: f.as_of), max(figs, key=lambda f: f.as_of)))
    for f in figs:
        if f.qualifier == "approx" and format_percent(f.value, "id", 2) in title:
            assert f"sekitar{NBSP}{format_percent(f.value, 'id', 2)}" in title

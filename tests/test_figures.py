"""Display helpers of the notebooks."""

from __future__ import annotations

import math

import pandas as pd

from helpers.analysis.figures import table


def test_table_localises_headers_marks_missing_values_and_links_numbers_to_facts():
    df = pd.DataFrame({"region_label": ["Kota Batam", "Kabupaten Bangka Tengah"], "value_label": ["100,10 %", "98 %"],
                       "fact_id": ["f1", None], "derived_label": ["102,31 %", math.nan], "hidden": [1, 2],
                       "quote": ["a", "b"]})
    shown = table(df, ["region_label", "value_label", "derived_label", "quote"], "id")
    assert list(shown.frame.columns) == ["Wilayah", "Nilai", "Dihitung dari angka sumber", "Kutipan"]
    assert shown.frame.iloc[1, 2] == "–" and shown.frame.iloc[0, 2] == "102,31 %"
    html = shown._repr_html_()
    assert '<td class="num"><a href="#fact-f1">100,10 %</a></td>' in html
    assert '<td class="num">98 %</td>' in html  # no fact id, no link
    assert '<td class="verbatim text">a</td>' in html and "<th" in html and ">1<" not in html  # no index column
    assert list(table(df, ["region_label", "quote"], "en").frame.columns) == ["Region", "Quote"]
    assert df["derived_label"].isna().sum() == 1  # the caller's frame is left as it was


def test_a_target_applies_to_its_own_year_only_and_says_when_its_year_is_estimated():
    from datetime import date

    from helpers.analysis.figures import attach_targets, used_targets

    targets = pd.DataFrame({"metric": ["m", "m"], "year": [2022, 2024], "year_is_estimate": [True, False],
                            "value": [100.0, 30.0]})
    rows = pd.DataFrame({"metric": ["m", "m", "m", "x"],
                         "as_of": [date(2022, 11, 22), date(2024, 10, 31), date(2025, 1, 10), date(2024, 1, 1)]})
    out = attach_targets(rows, targets, "id")
    assert out["target"].tolist()[:2] == [100.0, 30.0] and out["target"].iloc[2:].isna().all()
    assert out["target_label"].iloc[0] == "target 2022 (perkiraan): 100\u00a0%"
    assert out["target_label"].iloc[1] == "target 2024: 30\u00a0%" and pd.isna(out["target_label"].iloc[2])
    assert used_targets(out.iloc[[2, 3]], targets).empty  # no figure of 2022 or 2024: no target drawn
    assert used_targets(out, targets)["year"].tolist() == [2022, 2024]

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

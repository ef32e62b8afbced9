"""Display helpers of the notebooks."""

from __future__ import annotations

import math

import pandas as pd

from helpers.analysis.figures import table


def test_table_localises_headers_numbers_rows_and_marks_missing_values():
    df = pd.DataFrame({"region_label": ["Kota Batam", "Kabupaten Bangka Tengah"], "derived_label": ["102,31 %", math.nan],
                       "hidden": [1, 2], "quote": ["a", "b"]})
    shown = table(df, ["region_label", "derived_label", "quote"], "id")
    assert list(shown.columns) == ["Wilayah", "Dihitung dari angka sumber", "Kutipan"]
    assert list(shown.index) == [1, 2]
    assert shown.iloc[1, 1] == "–" and shown.iloc[0, 1] == "102,31 %"
    assert list(table(df, ["region_label", "quote"], "en").columns) == ["Region", "Quote"]
    assert df["derived_label"].isna().sum() == 1  # the caller's frame is left as it was

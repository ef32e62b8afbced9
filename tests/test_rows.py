"""helpers.rows: the one way rows are printed (ktpel facts/diff/propose, the batch summary)."""

from __future__ import annotations

import io
import json
from datetime import date

from helpers.rows import csv_cell, print_rows, text_table


def test_text_table_aligns_columns_and_cuts_long_cells():
    lines = text_table(["name", "n"], [["a", "1"], ["x" * 10, "200"]], max_width=6, right={1})
    assert lines == ["name      n",
                     "a         1",
                     "xxxxx…  200"]


def test_text_table_without_a_limit_keeps_cells_whole_and_trims_trailing_spaces():
    assert text_table(["a", "b"], [["long cell", ""]]) == ["a          b", "long cell"]


def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe():
    assert [csv_cell(v) for v in ("=1+1", "-5", "@x", "\uff1dA1", "plain", 5, date(2024, 6, 1))] == \
        ["'=1+1", "'-5", "'@x", "'\uff1dA1", "plain", 5, "2024-06-01"]


def test_print_rows_in_each_format():
    rows = [{"a": "=cmd", "b": None, "c": date(2024, 6, 1)}]
    out = io.StringIO()
    print_rows(rows, ["a", "b", "c"], "csv", out)
    assert out.getvalue() == "a,b,c\n'=cmd,,2024-06-01\n"
    out = io.StringIO()
    print_rows(rows, ["a", "b", "c"], "json", out)
    assert json.loads(out.getvalue()) == [{"a": "=cmd", "b": None, "c": "2024-06-01"}]
    out = io.StringIO()
    print_rows(rows, ["a", "b", "c"], "table", out)
    assert out.getvalue() == "a     b  c\n=cmd     2024-06-01\n"


def test_the_text_table_shows_floats_as_a_reader_writes_them():
    out = io.StringIO()
    rows = [{"old": 41.666666666666664, "new": 127051.0}]
    print_rows(rows, ["old", "new"], "table", out)
    assert out.getvalue().splitlines()[1].split() == ["41.66666667", "127051"]
    out = io.StringIO()
    print_rows(rows, ["old", "new"], "csv", out)  # a file keeps every digit
    assert out.getvalue().splitlines()[1] == "41.666666666666664,127051.0"

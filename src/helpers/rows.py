"""Rows for a terminal or a file: an aligned text table, formula-safe CSV, or JSON.

One way to print rows, used by the ``ktpel`` verbs (``facts``, ``diff``, ``propose``) and by the batch's
summary table."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, TextIO


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: dates and timestamps as ISO text, the rest unchanged."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


#: First characters that make a spreadsheet read a cell as a formula (``=HYPERLINK(...)``), tab and CR included.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell that spreadsheets will not run: text starting like a formula gets a leading
    apostrophe (OWASP's advice for CSV injection); numbers, dates and other text are unchanged."""
    value = jsonable(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def text_table(head: Sequence[str], cells: Sequence[Sequence[str]], max_width: int | None = None,
               right: Collection[int] = ()) -> list[str]:
    """``head`` and the rows of ``cells`` as aligned lines, columns two spaces apart, trailing spaces cut.

    Each column is as wide as its widest cell (or heading), or ``max_width`` at most (a longer cell is cut,
    ending in "…"); the columns whose positions are in ``right`` are aligned right."""
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(head)]
    if max_width is not None:
        widths = [min(max_width, w) for w in widths]

    def line(row: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    return [line(head)] + [line([v if len(v) <= w else v[: w - 1] + "…" for v, w in zip(row, widths)]) for row in cells]


def _shown(value: Any) -> str:
    """A cell of the text table: a float with at most 10 significant digits, ``127051.0`` as ``127051``."""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(jsonable(value))


def print_rows(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, out: TextIO | None = None) -> None:
    """Rows as csv (formula-safe, see :func:`csv_cell`), json or an aligned text table (cells cut at 60)."""
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([["" if r[c] is None else csv_cell(r[c]) for c in columns] for r in rows])
    elif fmt == "json":
        json.dump([{c: jsonable(r[c]) for c in columns} for r in rows], out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        cells = [[("" if r[c] is None else _shown(r[c])) for c in columns] for r in rows]
        for line in text_table(columns, cells, max_width=60):
            out.write(line + "\n")

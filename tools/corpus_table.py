"""The corpus by region and year, as a Markdown table for the README (from a snapshot, never by hand).

    python tools/corpus_table.py [--snapshot latest|ID]

A source counts once in each region it states a figure for (Indonesia, ``00``, for national figures), in the
year it was published (its publication date, else the day it is known to be published after, else before: such
a year is marked ``≤``).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from helpers.project import Project
from helpers.snapshot import connect

ROOT = Path(__file__).resolve().parents[1]

QUERY = """
SELECT DISTINCT f.region_code, r.name, s.source_id,
       year(coalesce(s.published_start, s.published_not_before, s.published_not_after)) AS year,
       s.published_start IS NULL AND s.published_not_before IS NULL AS upper_bound_only
FROM facts f JOIN sources s USING (source_id) JOIN regions r ON r.region_code = f.region_code
WHERE f.kind = 'stated'
ORDER BY f.region_code
"""


def table(project: Project, snapshot: str) -> str:
    con = connect(project, snapshot)
    try:
        rows = con.execute(QUERY).fetchall()
        total_sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    years = sorted({r[3] for r in rows})
    cells: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    bounded: set[tuple[str, int]] = set()
    for code, name, _, year, upper in rows:
        cells[(code, name)][year] += 1
        if upper:
            bounded.add((code, year))
    head = "| region | " + " | ".join(str(y) for y in years) + " | sources |"
    lines = [head, "|---|" + "---:|" * (len(years) + 1)]
    for (code, name), counts in cells.items():
        shown = [(("≤" if (code, y) in bounded else "") + str(counts[y])) if counts.get(y) else "" for y in years]
        lines.append(f"| {name} ({code}) | " + " | ".join(shown) + f" | {sum(counts.values())} |")
    lines.append(f"\n{total_sources} sources; a source that states figures for several regions counts in each. "
                 "≤: only a latest possible publication date is known.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snapshot", default="latest")
    args = parser.parse_args(argv)
    print(table(Project(ROOT), args.snapshot))
    return 0


if __name__ == "__main__":
    sys.exit(main())

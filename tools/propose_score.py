"""How well ``ktpel propose`` reads the articles whose facts were extracted by hand.

    python tools/propose_score.py            # the five seed articles (tests/fixtures/seed/raw)
    python tools/propose_score.py --corpus   # every source of data/raw
    python tools/propose_score.py --misses   # also list the facts it missed and the proposals that are wrong

Recall: the share of hand-made facts (facts.csv rows) that propose proposes with the same region, metric,
value and as_of (date and precision). Precision: the share of its proposals that are such a fact.
Each article is read with the publication date a user would type: the day of ``published_on`` when the
source gives one, else the day it is known to be published after or before (``published_not_before`` /
``published_not_after``) for ``(10/1)``-style dates, else its month or year, else ``unknown``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from helpers.project import Project
from helpers.raw.facts import FACT_COLUMNS, load_metrics, load_regions
from helpers.raw.propose import Published, propose
from helpers.raw.sources import Source, load_sources
from helpers.raw.tables import read_rows

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed"


def published_for(source: Source) -> Published:
    """The publication date a user would give for ``source``."""
    period = source.published
    if period.precision == "day" and period.start:
        return Published(period.start.isoformat(), "day", period.start)
    if source.published_not_before is not None:
        return Published(source.published_not_before.isoformat(), "day", source.published_not_before)
    if period.start:
        return Published(str(source.published_on), period.precision, period.start)
    return Published("", "unknown", None)


def key(region: str, metric: str, value: str, as_of: str) -> tuple[str, str, Decimal, str]:
    return region, metric, Decimal(value), as_of


def score(project: Project, show: bool, dictionary: Project) -> tuple[int, int, int, int]:
    sources, problems = load_sources(project)
    regions, _ = load_regions(dictionary)  # today's region list (aliases) and metrics
    metrics, _ = load_metrics(dictionary)
    rows, _ = read_rows(project.raw / "facts.csv", "facts.csv", FACT_COLUMNS, frozenset({"note"}))
    if problems:
        sys.exit("\n".join(map(str, problems)))
    facts_found = facts_total = proposals_right = proposals_total = 0
    for sid, source in sorted(sources.items()):
        wanted = {key(r["region_code"], r["metric"], r["value"], r["as_of"]) for _, r in rows if r["source_id"] == sid}
        candidates, _ = propose(source.text, published_for(source), regions, metrics)
        got = {key(c.region_code, c.metric, c.value, c.as_of) for c in candidates}
        facts_found += len(wanted & got)
        facts_total += len(wanted)
        proposals_right += len(wanted & got)
        proposals_total += len(got)
        if show:
            for k in sorted(wanted - got, key=str):
                print(f"{sid}: missed {k}")
            for c in candidates:
                if key(c.region_code, c.metric, c.value, c.as_of) not in wanted:
                    print(f"{sid}: wrong  {c.region_code} {c.metric} {c.value} {c.as_of} [{c.quote}] ({c.reason})")
    return facts_found, facts_total, proposals_right, proposals_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", action="store_true", help="every source of data/raw, not the five seeds")
    parser.add_argument("--misses", action="store_true", help="list missed facts and wrong proposals")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus:
            project = Project(ROOT)
        else:  # the seed raw layer, laid out as a workspace
            shutil.copytree(SEED / "raw", Path(tmp) / "data" / "raw")
            project = Project(Path(tmp))
        found, total, right, proposed = score(project, args.misses, Project(ROOT))
    what = "corpus (data/raw)" if args.corpus else "seed articles (tests/fixtures/seed/raw)"
    print(f"{what}: recall {found}/{total} = {found / total:.0%} of facts proposed with the right region, "
          f"metric, value and as_of; precision {right}/{proposed} = {right / max(proposed, 1):.0%} of proposals")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make reliability`: the reliability figures of the README, from the test suite's own results.

Runs the tests that feed bad input, kill builds and runs, and overlap builds with readers (or reads the
JUnit XML of a run that already happened, ``--junit FILE``), and prints, for each kind of trial, how many
were tried and how many behaved: refused cleanly (non-zero exit, a `file:line: field:` message, nothing
written), accepted, survived, succeeded. Exits 1 unless every figure is 100 %.

    .venv/bin/python tools/reliability.py              # runs the tests (about three minutes on 2 cores)
    .venv/bin/python tools/reliability.py --junit .pytest-results/junit.xml
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["tests/test_validation.py", "tests/test_bulk.py", "tests/test_reliability.py", "tests/test_report.py",
         "tests/test_snapshot.py", "tests/test_unsafe_text.py"]
#: (figure, what "behaved" means, pattern of the test ids that are one trial each)
KINDS = [
    ("bad inputs", "refused cleanly", re.compile(
        r"test_validation::test_build_refuses_and_names_the_line\[|test_validation::test_check_on_bad_data"
        r"|test_bulk::test_bad_bulk|test_report::test_bad_config_is_refused|test_report::test_output_names_cannot_leave"
        r"|test_report::test_bad_parameters_are_refused|test_snapshot::test_sql_injection|test_snapshot::test_unknown_region"
        r"|test_bulk::test_synthetic_regions_may_not_repeat|test_reliability::test_coverage_over_time_refuses"
        r"|test_unsafe_text::test_a_run_cannot_be_named_index|test_unsafe_text::test_a_report_named_index")),
    ("unsafe text in the data", "shown as text, never run", re.compile(
        r"test_unsafe_text::test_no_data_string|test_unsafe_text::test_chromium|test_snapshot::test_facts_csv_neutralises")),
    ("damaged or unwritable stores", "reported in words, previous state kept, repaired", re.compile(
        r"test_snapshot::test_a_(truncated|damaged_catalog|deleted_latest|noop_build|full_disk|build_failing_midway)"
        r"|test_unsafe_text::test_exports_made_with_other")),
    ("random inputs (hypothesis)", "accepted or refused cleanly", re.compile(
        r"test_reliability::test_(numeral_parser|validator|catalog_reader)_")),
    ("harmless variants", "accepted", re.compile(
        r"test_validation::test_harmless_variants|test_bulk::test_bom_and_crlf_are_accepted|test_report::test_plain_output_names")),
    ("failed or killed report runs", "previous output kept, run marked failed", re.compile(
        r"test_report::test_failed_and_killed_runs")),
]
PROPERTIES = [("kill trials", "survived", "kill_trials", "kill_survived"),
              ("concurrent runs and builds", "succeeded", "concurrent_runs", "concurrent_succeeded")]


@dataclass
class Case:
    name: str
    passed: bool
    properties: dict[str, int]


def read_junit(path: Path) -> list[Case]:
    cases = []
    for tc in ET.parse(path).getroot().iter("testcase"):
        module = (tc.get("classname") or "").rsplit(".", 1)[-1]
        passed = not any(child.tag in ("failure", "error", "skipped") for child in tc)
        props = {p.get("name", ""): int(p.get("value", "0")) for p in tc.iter("property")
                 if (p.get("value") or "").isdigit()}
        cases.append(Case(f"{module}::{tc.get('name')}", passed, props))
    return cases


def figures(cases: list[Case]) -> list[tuple[str, str, int, int]]:
    rows = []
    for label, behaved, pattern in KINDS:
        chosen = [c for c in cases if pattern.search(c.name)]
        rows.append((label, behaved, len(chosen), sum(c.passed for c in chosen)))
    for label, behaved, tried_key, ok_key in PROPERTIES:
        chosen = [c for c in cases if tried_key in c.properties]
        rows.append((label, behaved, sum(c.properties[tried_key] for c in chosen),
                     sum(c.properties.get(ok_key, 0) for c in chosen if c.passed)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--junit", type=Path, help="read this JUnit XML instead of running the tests")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        junit = args.junit
        if junit is None:
            junit = Path(tmp) / "junit.xml"
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                            f"--junitxml={junit}", *[f for f in FILES if (ROOT / f).exists()]], cwd=ROOT)
        rows = figures(read_junit(junit))
    print(f"\n{'trial':30} {'tried':>6} {'ok':>6} {'share':>7}  ok means")
    for label, behaved, tried, ok in rows:
        share = f"{100 * ok / tried:.0f} %" if tried else "-"
        print(f"{label:30} {tried:6} {ok:6} {share:>7}  {behaved}")
    return 0 if all(tried and ok == tried for _, _, tried, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

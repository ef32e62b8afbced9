"""`ktpel report`: the Papermill batch of reports.yaml, run for real in a copy of the workspace.

Real notebooks of the project for the happy path; the probe notebook of conftest (it can succeed, raise
or kill its kernel, as a parameter says) for failures, so those cost a kernel start, not a report."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import PROBE_CONFIG, cells_run, run_ktpel
from helpers.batch.config import check_name, parse_overrides
from helpers.problems import UsageError

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("report")]

CRASH_CONFIG = PROBE_CONFIG + """\
  - name: profile-batam
    notebook: notebooks/06_region_profile.ipynb
    parameters: {region: "21.71"}
"""


@pytest.fixture(scope="module")
def ws(probe_workspace) -> SimpleNamespace:
    return probe_workspace("report")


def _meta(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["metadata"]


def test_batch_runs_real_notebooks_reports_progress_and_exports(ws):
    done = run_ktpel(ws.root, "report", "--only", "region-comparison", "profile-kaltim", "-p", "lang=en",
                     "--jobs", "2", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "running 2 of 2 notebook(s), 2 at a time" in out
    cells = cells_run("06_region_profile.ipynb")
    assert "region-comparison.en: started" in out and f"profile-kaltim.en: {cells}/{cells} cells" in out
    assert "[2/2]" in out and "2 ok, 0 failed, 0 up to date" in out
    summary = out[out.index("name "):].splitlines()
    rows = {line.split()[0]: line.split() for line in summary[1:] if line.split() and line.split()[0] in
            ("region-comparison.en", "profile-kaltim.en")}
    assert [rows[n][1] for n in ("region-comparison.en", "profile-kaltim.en")] == ["ok", "ok"], summary
    assert rows["profile-kaltim.en"][3] == f"reports/{ws.sid}/profile-kaltim.en.ipynb"  # never replaces the Indonesian one
    assert str(ws.root) not in out
    for name in ("region-comparison.en", "profile-kaltim.en"):
        meta = _meta(ws.out / f"{name}.ipynb")
        assert meta["ktpel"]["status"] == "ok" and meta["ktpel"]["snapshot_id"] == ws.sid
        assert meta["papermill"]["parameters"]["lang"] == "en"
        assert meta["papermill"]["parameters"]["snapshot"] == ws.sid
        assert meta["papermill"]["input_path"].startswith("notebooks/")  # no machine path inside
        assert (ws.out / f"{name}.html").is_file()
    assert (ws.out / "index.html").is_file() and (ws.out / "slides-en.pptx").is_file()
    assert not list(ws.out.glob(".tmp-*"))

    seconds = json.loads((ws.root / "reports" / ".run-seconds.json").read_text(encoding="utf-8"))
    assert {"region-comparison.en", "profile-kaltim.en"} <= seconds.keys()  # each run's cells, for the next order
    assert all(0 < seconds[n] < 300 for n in ("region-comparison.en", "profile-kaltim.en")), seconds

    again = run_ktpel(ws.root, "report", "--only", "region-comparison", "profile-kaltim", "-p", "lang=en")
    assert again.returncode == 0 and "0 ok, 0 failed, 2 up to date" in again.stdout
    assert "exports up to date" in again.stdout

    forced = run_ktpel(ws.root, "report", "--only", "region-comparison", "-p", "lang=en", "--force",
                       "--no-export", timeout=300)
    assert forced.returncode == 0 and "1 ok, 0 failed, 0 up to date" in forced.stdout
    assert "exported" not in forced.stdout


def test_changed_parameters_rerun_and_regions_by_name_or_code(ws):
    done = run_ktpel(ws.root, "report", "--only", "region-comparison", "-p", 'regions=["Batam", "64"]',
                     "--no-export", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 ok" in done.stdout
    assert _meta(ws.out / "region-comparison.ipynb")["papermill"]["parameters"]["regions"] == ["Batam", "64"]


def _crash_config(ws: SimpleNamespace, mode: str) -> str:
    path = ws.root / "crash.yaml"
    path.write_text(CRASH_CONFIG.replace("MODE", mode), encoding="utf-8")
    return str(path)


def test_failed_and_killed_runs_keep_the_previous_output(ws):
    first = run_ktpel(ws.root, "report", "--config", _crash_config(ws, "ok"), "--no-export", timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    good = (ws.out / "probe.ipynb").read_bytes()
    for mode, error, start in (("raise", "ValueError: probe asked to fail", "spawn"), ("kill", "DeadKernelError", "fork")):
        done = run_ktpel(ws.root, "report", "--config", _crash_config(ws, mode), "--no-export", "--force",
                         "--kernel-start", start, timeout=300)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "FAILED" in done.stdout and error in done.stdout
        assert "1 ok, 1 failed, 0 up to date" in done.stdout  # the other run went on and succeeded
        assert (ws.out / "probe.ipynb").read_bytes() == good  # the previous good output is untouched
        failed = ws.out / "probe.failed.ipynb"
        if mode == "raise":
            assert _meta(failed)["ktpel"]["status"] == "failed"
            assert f"reports/{ws.sid}/probe.failed.ipynb" in done.stdout
        assert not list(ws.out.glob(".tmp-*"))
    fixed = run_ktpel(ws.root, "report", "--config", _crash_config(ws, "ok"), "--no-export", timeout=300)
    assert fixed.returncode == 0 and "2 up to date" in fixed.stdout  # the good output was never replaced
    assert not (ws.out / "probe.failed.ipynb").exists()  # the failure it superseded is gone


def test_bad_parameters_are_refused_before_anything_runs(ws):
    before = sorted(p.name for p in ws.out.iterdir()) if ws.out.exists() else []
    cases = [
        (["-p", "colour=red"], "(run region-comparison) has no parameter 'colour'; valid names: snapshot, "),
        (["-p", "snapshot=abc"], "choose the snapshot with --snapshot"),
        (["-p", "lang"], "write key=value"),
        (["--only", "nope"], "--only nope: no such run in reports.yaml; runs: region-comparison"),
        (["--kernel-start", "thread"], "argument --kernel-start: invalid choice: 'thread'"),
        (["--snapshot", "000000000000"], "000000000000"),
    ]
    for args, message in cases:
        done = run_ktpel(ws.root, "report", *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)
    assert (sorted(p.name for p in ws.out.iterdir()) if ws.out.exists() else []) == before


def test_a_wrong_parameter_value_fails_the_run_naming_the_valid_choices(ws):
    done = run_ktpel(ws.root, "report", "--only", "coverage-over-time", "-p", "metric=coverage", "--no-export",
                     timeout=300)
    assert done.returncode == 1
    assert "ParameterError: metric 'coverage' is not known. Valid choices: " in done.stdout


BAD_CONFIGS = [
    ("runs:\n  - name: ../escape\n    notebook: notebooks/01_region_comparison.ipynb\n", 2, "name",
     "contains a path separator"),
    ("runs:\n  - name: /etc/passwd\n    notebook: notebooks/01_region_comparison.ipynb\n", 2, "name",
     "path separator"),
    ("runs:\n  - name: 'a b;rm'\n    notebook: notebooks/01_region_comparison.ipynb\n", 2, "name",
     "characters other than"),
    ("runs:\n  - name: .hidden\n    notebook: notebooks/01_region_comparison.ipynb\n", 2, "name", "starts with a dot"),
    ("runs:\n  - name: ok\n    notebook: ../outside.ipynb\n", 3, "notebook", "must be a path inside the project"),
    ("runs:\n  - name: ok\n    notebook: notebooks/nope.ipynb\n", 3, "notebook", "does not exist"),
    ("runs:\n  - name: ok\n    notebook: notebooks/01_region_comparison.ipynb\n    parameters:\n"
     "      region: Batam\n", 5, "parameters.region", "has no parameter 'region'"),
    ("runs:\n  - name: ok\n    notebook: notebooks/01_region_comparison.ipynb\n"
     "  - name: ok\n    notebook: notebooks/02_coverage_over_time.ipynb\n", 4, "name", "is used twice"),
    ("runs:\n  - name: ok\n    notebook: notebooks/01_region_comparison.ipynb\n    colour: red\n", 4,
     "colour", "unknown field"),
    ("runs: [\n", 2, "yaml", "not valid YAML"),
    ("", 1, "runs", "the file is empty"),
]


@pytest.mark.parametrize(("text", "line", "field", "message"), BAD_CONFIGS)
def test_bad_config_is_refused_with_file_line_and_field(ws, text, line, field, message):
    (ws.root / "bad.yaml").write_text(text, encoding="utf-8")
    done = run_ktpel(ws.root, "report", "--config", str(ws.root / "bad.yaml"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"bad.yaml:{line}: {field}:" in done.stderr and message in done.stderr, done.stderr
    assert not (ws.root / "escape.ipynb").exists() and not (ws.root / "reports" / "escape.ipynb").exists()


@pytest.mark.parametrize("name", ["../x", "/abs", "a/b", "..", ".x", "a b", "x\x00", "ünï", "name.failed", ""])
def test_output_names_cannot_leave_the_batch_directory(name):
    assert check_name(name) is not None


@pytest.mark.parametrize("name", ["profile-batam", "a_b.c", "X1"])
def test_plain_output_names_are_accepted(name):
    assert check_name(name) is None


def test_overrides_are_yaml_with_dates_kept_as_text():
    assert parse_overrides(["regions=[Batam, '64']", "until=2024-12-31", "lang=no"]) == {
        "regions": ["Batam", "64"], "until": "2024-12-31", "lang": "no"}
    with pytest.raises(UsageError, match="not valid YAML"):
        parse_overrides(["regions=[Batam"])


def test_the_runs_that_took_longest_last_time_start_first(tmp_path):
    from helpers.batch.run import longest_first, read_run_seconds, record_run_seconds
    from helpers.batch.tasks import RunOutcome
    from helpers.project import Project

    project = Project(tmp_path)
    assert read_run_seconds(project) == {}  # never run: the config order
    project.reports_dir.mkdir()
    runs = [SimpleNamespace(name=n) for n in ("a", "b", "c", "d")]
    record_run_seconds(project, [RunOutcome("a", "ok", 9.0, None, phases={"cells": 0.5}),
                                 RunOutcome("b", "ok", 2.0, None, phases={"cells": 2.0}),
                                 RunOutcome("c", "failed", 5.0, None, "boom", phases={"cells": 5.0}),
                                 RunOutcome("d", "up to date", 0.0, None)])
    assert read_run_seconds(project) == {"a": 0.5, "b": 2.0}  # cells, not the kernel start; no failed run
    assert [r.name for r in longest_first(runs, read_run_seconds(project))] == ["c", "d", "b", "a"]
    (tmp_path / "reports" / ".run-seconds.json").write_text("{ half", encoding="utf-8")
    assert read_run_seconds(project) == {}  # unreadable: only the order is lost

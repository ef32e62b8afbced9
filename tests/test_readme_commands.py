"""The README's commands run as written.

Every ``sh`` block of README.md that follows the line ``<!-- readme-test: run -->`` is run line by line, in README
order, in a copy of the workspace (``.venv`` there points at this environment): real ``ktpel`` and Papermill runs.
Every other ``ktpel`` or Papermill line of the README must be a synopsis, with a placeholder (``ID``, ``<id>``,
``[--only NAME ...]``) that nobody would type as is.  The "Add a source" checklist names every field of
``sources.yaml`` and every column of ``facts.csv``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, copy_raw_layer, run_ktpel
from helpers.raw.facts import FACT_COLUMNS
from helpers.raw.sources import FIELDS, REQUIRED

README = ROOT / "README.md"
RUN_MARK = "<!-- readme-test: run -->"
TOOL = re.compile(r"(?:^|[\s&;|(])(?:\.venv/bin/)?(?:ktpel|papermill)\s")
PLACEHOLDER = re.compile(r"<[^>]+>|\[[^\]]*\]|\b[A-Z][A-Z_]*\b")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("readme")]


def shell_blocks(text: str) -> list[tuple[bool, int, list[str]]]:
    """(marked to run, line number of the fence, command lines) of every ``sh`` block."""
    lines = text.splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if lines[index].strip() in ("```sh", "```bash", "```console"):
            previous = next((lines[i].strip() for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            end = next(i for i in range(index + 1, len(lines)) if lines[i].strip().startswith("```"))
            commands = [c for c in (_strip_comment(x) for x in lines[index + 1:end]) if c]
            blocks.append((previous == RUN_MARK, index + 1, commands))
            index = end
        index += 1
    return blocks


def _strip_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


def test_every_ktpel_and_papermill_line_is_run_or_a_synopsis():
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    marked = [c for run, _, commands in blocks if run for c in commands]
    assert sum(bool(TOOL.search(f"{c} ")) for c in marked) >= 8
    for run, line, commands in blocks:
        for command in commands:
            if not TOOL.search(f"{command} "):
                continue
            assert run or PLACEHOLDER.search(command), f"README.md:{line}: {command!r} is neither run by this " \
                                                       f"test (mark its block {RUN_MARK}) nor a synopsis"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workspace as a user has it after cloning: sources, notebooks, reports.yaml, tools; no
    snapshot and no reports; ``.venv`` is this environment."""
    root = tmp_path_factory.mktemp("readme") / "ws"
    root.mkdir()
    for name in ("data/raw", "notebooks", "tools"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for name in ("reports.yaml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, root / name)
    (root / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return root


def test_readme_commands_run_as_written(workspace: Path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    env.pop("KTPEL_PROJECT", None)
    ran = []
    for run, line, commands in shell_blocks(README.read_text(encoding="utf-8")):
        for command in commands if run else []:
            done = subprocess.run(["bash", "-c", command], cwd=workspace, env=env, capture_output=True, text=True,
                                  timeout=600)
            assert done.returncode == 0, f"README.md:{line}: {command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            assert "Traceback" not in done.stderr, f"README.md:{line}: {command}\n{done.stderr[-3000:]}"
            ran.append(command)
    assert any("papermill" in c and "'[\"Batam\",\"64\"]'" in c for c in ran)  # the list form of issue 11
    [batch] = [p for p in (workspace / "reports").iterdir() if p.is_dir()]
    assert (batch / "profile-batam.en.ipynb").is_file() and not (batch / "profile-batam.ipynb").exists()
    assert (batch / "slides-en.pptx").is_file() and not (batch / "slides.pptx").exists()
    out = nbformat.read(workspace / "out.ipynb", as_version=4)  # the last run of out.ipynb: Kaltim and Bateng
    assert "Kabupaten Bangka Tengah" in str(out.cells) and "Provinsi Kalimantan Timur" in str(out.cells)
    profile = nbformat.read(workspace / "profile.ipynb", as_version=4)
    assert "Kota Balikpapan" in str(profile.cells)
    assert (workspace.parent / "ws-copy" / "data" / "raw" / "bulk" / "synthetic.csv").is_file()


def test_add_a_source_checklist_names_every_field():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Add a source"):]
    section = section[:section.index("\n## ")]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\s*\|((?: ?`[a-z0-9_]+`,?)+) \|.*$", section, re.M)}
    by_field = {f.strip(" `"): row for names, row in rows.items() for f in names.split(",")}
    assert set(by_field) == set(FIELDS)
    for field in FIELDS:
        assert by_field[field].split("|")[2].strip() == ("yes" if field in REQUIRED else "no"), field
    for column in FACT_COLUMNS:
        assert column in section


def test_corpus_table_is_the_one_the_data_gives(tmp_path: Path) -> None:
    """ "What the corpus holds" shows the table ``tools/corpus_table.py`` prints for a build of data/raw."""
    import importlib.util

    project = copy_raw_layer(tmp_path / "ws")
    built = run_ktpel(project, "build")
    assert built.returncode == 0, built.stderr
    spec = importlib.util.spec_from_file_location("corpus_table", ROOT / "tools" / "corpus_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = README.read_text(encoding="utf-8")
    section = text.split("## What the corpus holds", 1)[1].split("\n## ", 1)[0]
    assert module.table(project, "latest") in section, "rerun python tools/corpus_table.py and paste its table"

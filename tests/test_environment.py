"""environment.yml (conda) and pyproject.toml (pip) describe the same environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
#: conda-forge names that differ from the PyPI ones
CONDA_TO_PIP = {"python-xxhash": "xxhash"}


def _requirements(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(>=\s*[\w.]+(?:,\s*<\s*[\w.]+)?)?", item.strip())
        assert m, f"unexpected requirement {item!r}"
        out[m[1].lower().replace("_", "-")] = (m[3] or "").replace(" ", "")
    return out


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = _requirements(project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = _requirements([d for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python=", "pip"))])
    conda = {CONDA_TO_PIP.get(name, name): version for name, version in conda.items()}
    assert conda == pip
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert project["requires-python"] == ">=" + python.split("=")[1]

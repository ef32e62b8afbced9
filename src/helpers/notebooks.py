"""The one reader of a notebook's ``parameters`` cell (the names it sets and their literal defaults)."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NotebookInfo:
    path: Path
    label: str
    data: bytes
    kernel_name: str
    parameters: tuple[str, ...]


def parameter_names(source: str) -> list[str]:
    """The names a ``parameters`` cell assigns at top level (``x = 1``, ``x: int = 1``, ``a = b = 1``)."""
    names: list[str] = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id not in names:
                    names.append(leaf.id)
    return names


def inspect_notebook(path: Path, label: str) -> NotebookInfo:
    """Check that Papermill can run ``path`` with our kernel and read its parameters; ValueError says why not."""
    data = path.read_bytes()
    try:
        nb = json.loads(data)
        meta, cells = nb.get("metadata") or {}, nb["cells"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{label} is not a notebook ({type(exc).__name__}: {exc})") from None
    kernelspec, language_info = meta.get("kernelspec") or {}, meta.get("language_info") or {}
    if not kernelspec.get("name"):
        raise ValueError(f"{label} has no kernelspec metadata (metadata.kernelspec.name, e.g. python3): "
                         "Papermill needs it; open the notebook in Jupyter, choose the Python kernel and save")
    if not language_info.get("name"):
        raise ValueError(f"{label} has no language_info metadata (metadata.language_info.name): "
                         "Papermill needs it; open the notebook in Jupyter, run it once and save")
    language = str(kernelspec.get("language") or language_info["name"]).lower()
    if language != "python":
        raise ValueError(f"{label} is a {language} notebook; reports run with this environment's Python kernel")
    source = parameters_source(cells)
    if source is None:
        raise ValueError(f"{label} has no cell tagged 'parameters'; tag the cell that sets the parameters' "
                         "defaults (JupyterLab: Property Inspector > Cell Tags)")
    try:
        names = parameter_names(source)
    except SyntaxError as exc:
        raise ValueError(f"{label}: its parameters cell is not plain Python (line {exc.lineno}: {exc.msg})") from None
    return NotebookInfo(path, label, data, str(kernelspec["name"]), tuple(names))


def parameters_source(cells: list[dict[str, Any]]) -> str | None:
    """The source of the first code cell tagged ``parameters`` (None if there is none)."""
    for cell in cells:
        if cell.get("cell_type", "code") == "code" and "parameters" in ((cell.get("metadata") or {}).get("tags") or []):
            source = cell.get("source") or ""
            return "".join(source) if isinstance(source, list) else source
    return None


def parameter_defaults(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The literal values the ``parameters`` cell assigns (``x = 1``); names set to other expressions are left out."""
    source = parameters_source(cells)
    out: dict[str, Any] = {}
    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        return out
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if value is None:
            continue
        try:
            literal = ast.literal_eval(value)
        except ValueError:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                out[target.id] = literal
    return out

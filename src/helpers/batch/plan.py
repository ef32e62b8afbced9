"""Plan a batch: ``reports.yaml`` runs -> checked :class:`PlannedRun` values with their fingerprints.

A run's fingerprint is sha256 of the notebook's bytes, this package's code (:mod:`helpers.codehash`), the merged
parameters (canonical JSON), the snapshot id and the caller's export settings.  It is stored in the output
notebook (``metadata.ktpel.fingerprint``), which is only replaced by an atomic rename, so the output and its
fingerprint cannot disagree; a run whose output carries the current fingerprint is skipped as ``up to date``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.batch.config import RUNNER_VERSION, ReportConfig
from helpers.codehash import package_files
from helpers.notebooks import NotebookInfo, inspect_notebook
from helpers.problems import Problem, UsageError, ValidationFailed
from helpers.project import Project


@dataclass(frozen=True)
class PlannedRun:
    name: str
    notebook: NotebookInfo
    parameters: dict[str, Any]  # merged: defaults < run < -p < snapshot
    output: Path
    failed_output: Path
    fingerprint: str


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def fingerprint(notebook: bytes, sources: Sequence[tuple[str, bytes]], parameters: Mapping[str, Any],
                snapshot_id: str, export_settings: Mapping[str, Any] | None = None) -> str:
    h = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)

    part("runner", RUNNER_VERSION.encode())
    part("notebook", notebook)
    for name, data in sources:
        part(f"helpers/{name}", data)
    part("parameters", _canonical(dict(parameters)))
    part("snapshot", snapshot_id.encode())
    part("export", _canonical(dict(export_settings or {})))
    return h.hexdigest()


def plan(project: Project, config: ReportConfig, snapshot_id: str, *, only: Sequence[str] = (),
         overrides: Mapping[str, Any] | None = None, export_settings: Mapping[str, Any] | None = None) -> list[PlannedRun]:
    """The runs to make, checked; raises :class:`ValidationFailed` (config problems) or :class:`UsageError`."""
    overrides = dict(overrides or {})
    by_name = {spec.name: spec for spec in config.runs}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        raise UsageError(f"--only {' '.join(unknown)}: no such run in {config.label}; runs: {', '.join(by_name)}")
    specs = [s for s in config.runs if s.name in set(only)] if only else list(config.runs)
    problems: list[Problem] = []
    usage: list[str] = []
    infos: dict[str, NotebookInfo | None] = {}
    sources = package_files()
    out_dir = project.reports_dir / snapshot_id
    runs = []
    for spec in specs:
        if spec.notebook not in infos:
            try:
                infos[spec.notebook] = inspect_notebook(project.root / spec.notebook, spec.notebook)
            except ValueError as exc:
                infos[spec.notebook] = None
                problems.append(Problem(config.label, spec.notebook_line, "notebook", str(exc)))
        info = infos[spec.notebook]
        if info is None:
            continue
        valid = ", ".join(info.parameters)
        if "snapshot" not in info.parameters:
            problems.append(Problem(config.label, spec.notebook_line, "notebook",
                                    f"{info.label} has no `snapshot` parameter; the runner passes the snapshot id to "
                                    f"every run (its parameters: {valid})"))
            continue
        sourced = [(config.default_lines, config.defaults, "defaults"), (spec.parameter_lines, spec.parameters, "parameters")]
        for lines, values, where in sourced:
            for key in values:
                if key not in info.parameters:
                    problems.append(Problem(config.label, lines.get(key, spec.line), f"{where}.{key}",
                                            f"{info.label} (run {spec.name}) has no parameter {key!r}; "
                                            f"valid names: {valid}"))
        for key in overrides:
            if key not in info.parameters:
                usage.append(f"-p {key}: {info.label} (run {spec.name}) has no parameter {key!r}; valid names: {valid}")
        parameters = {**config.defaults, **spec.parameters, **overrides, "snapshot": snapshot_id}
        runs.append(PlannedRun(spec.name, info, parameters, out_dir / f"{spec.name}.ipynb",
                               out_dir / f"{spec.name}.failed.ipynb",
                               fingerprint(info.data, sources, parameters, snapshot_id, export_settings)))
    if problems:
        raise ValidationFailed(problems)
    if usage:
        raise UsageError("\n".join(dict.fromkeys(usage)))
    return runs


def stored_fingerprint(output: Path) -> str | None:
    try:
        meta = json.loads(output.read_bytes()).get("metadata", {}).get("ktpel", {})
    except (OSError, ValueError, AttributeError):
        return None
    return meta.get("fingerprint") if isinstance(meta, dict) else None



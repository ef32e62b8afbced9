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

import duckdb

from helpers.batch.config import RUNNER_VERSION, GridSources, ReportConfig, RunSpec
from helpers.codehash import package_digest
from helpers.i18n import LANGS
from helpers.notebooks import NotebookInfo, inspect_notebook, parameter_defaults
from helpers.problems import Problem, UsageError, ValidationFailed
from helpers.project import Project
from helpers.snapshot import resolve
from helpers.snapshot.regions import REGION_PARAMETERS, RegionError, RegionIndex, kabupaten_kota_of, region_items

#: Runs in this language write ``<name>.ipynb``; in any other, ``<name>.<lang>.ipynb``.
DEFAULT_LANG = LANGS[0]


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


def fingerprint(notebook: bytes, code: str, parameters: Mapping[str, Any], snapshot_id: str,
                export_settings: Mapping[str, Any] | None = None) -> str:
    """``code``: :func:`helpers.codehash.package_digest` of the package the run uses."""
    h = hashlib.sha256()

    def part(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)

    part("runner", RUNNER_VERSION.encode())
    part("notebook", notebook)
    part("helpers", code.encode())
    part("parameters", _canonical(dict(parameters)))
    part("snapshot", snapshot_id.encode())
    part("export", _canonical(dict(export_settings or {})))
    return h.hexdigest()


def plan(project: Project, config: ReportConfig, snapshot_id: str, *, only: Sequence[str] = (),
         overrides: Mapping[str, Any] | None = None, export_settings: Mapping[str, Any] | None = None) -> list[PlannedRun]:
    """The runs to make, checked; raises :class:`ValidationFailed` (config problems) or :class:`UsageError`.

    Besides names: a ``lang`` must be one of :data:`helpers.i18n.LANGS`, and region parameters must name
    regions of the snapshot (numbers such as ``64.71`` are passed on as the code text ``"64.71"``).  A run in
    another language than the default writes ``<name>.<lang>.ipynb``, so it never replaces the default one."""
    overrides = dict(overrides or {})
    by_name = {spec.name: spec for spec in config.runs}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        raise UsageError(f"--only {' '.join(unknown)}: no such run in {config.label}; runs: {', '.join(by_name)}")
    specs = [s for s in config.runs if s.name in set(only)] if only else list(config.runs)
    checker = _ValueChecker(project, snapshot_id, config.label)
    infos: dict[str, NotebookInfo | None] = {}
    code = package_digest()
    out_dir = project.reports_dir / snapshot_id
    runs: list[PlannedRun] = []
    outputs: dict[str, RunSpec] = {}
    for spec in specs:
        if spec.notebook not in infos:
            try:
                infos[spec.notebook] = inspect_notebook(project.root / spec.notebook, spec.notebook)
            except ValueError as exc:
                infos[spec.notebook] = None
                checker.problems.append(Problem(config.label, spec.notebook_line, "notebook", str(exc)))
        info = infos[spec.notebook]
        if info is None:
            continue
        valid = ", ".join(info.parameters)
        if "snapshot" not in info.parameters:
            checker.problems.append(Problem(config.label, spec.notebook_line, "notebook",
                                            f"{info.label} has no `snapshot` parameter; the runner passes the snapshot "
                                            f"id to every run (its parameters: {valid})"))
            continue
        sourced = [(config.default_lines, config.defaults, "defaults"), (spec.parameter_lines, spec.parameters, "parameters")]
        for lines, values, where in sourced:
            for key in values:
                if key not in info.parameters:
                    checker.problems.append(Problem(config.label, lines.get(key, spec.line), f"{where}.{key}",
                                                    f"{info.label} (run {spec.name}) has no parameter {key!r}; "
                                                    f"valid names: {valid}"))
        for key in overrides:
            if key not in info.parameters:
                checker.usage.append(f"-p {key}: {info.label} (run {spec.name}) has no parameter {key!r}; "
                                     f"valid names: {valid}")
        parameters: dict[str, Any] = {}
        for lines, values, where in (*sourced, ({}, overrides, "-p")):
            for key, value in values.items():
                if key in info.parameters:
                    parameters[key] = checker.value(key, value, where, lines.get(key, spec.line))
        parameters["snapshot"] = snapshot_id
        lang = parameters.get("lang", _notebook_defaults(info).get("lang", DEFAULT_LANG))
        name = spec.name if lang == DEFAULT_LANG or not isinstance(lang, str) else f"{spec.name}.{lang}"
        if (first := outputs.get(name.lower())) is not None:
            checker.problems.append(Problem(config.label, spec.line, "name",
                                            f"run {spec.name} would write {name}.ipynb, as run {first.name} (line "
                                            f"{first.line}) does; give one of them another name"))
        outputs.setdefault(name.lower(), spec)
        runs.append(PlannedRun(name, info, parameters, out_dir / f"{name}.ipynb", out_dir / f"{name}.failed.ipynb",
                               fingerprint(info.data, code, parameters, snapshot_id, export_settings)))
    checker.close()
    if checker.problems:
        raise ValidationFailed(checker.problems)
    if checker.usage:
        raise UsageError("\n".join(dict.fromkeys(checker.usage)))
    return runs


def grid_sources(project: Project, snapshot_id: str) -> GridSources:
    """The grid value sources of ``reports.yaml`` on this snapshot: ``kabupaten_kota_of`` (a province, a list
    of them, or ``all``: every kabupaten/kota of the snapshot's regions, by code)."""

    def of(value: Any) -> list[Any]:
        _, path = resolve(project, snapshot_id)
        con = duckdb.connect(str(path), read_only=True)
        try:
            return list(kabupaten_kota_of(con, value))
        finally:
            con.close()

    return {"kabupaten_kota_of": of}


def _notebook_defaults(info: NotebookInfo) -> dict[str, Any]:
    return parameter_defaults(json.loads(info.data)["cells"])


class _ValueChecker:
    """Checks the values of ``lang`` and of region parameters against the snapshot, before anything runs;
    collects problems (reports.yaml) and usage errors (``-p``)."""

    def __init__(self, project: Project, snapshot_id: str, label: str):
        self.project, self.snapshot_id, self.label = project, snapshot_id, label
        self.problems: list[Problem] = []
        self.usage: list[str] = []
        self._con: duckdb.DuckDBPyConnection | None = None
        self._regions: RegionIndex | None = None

    @property
    def regions(self) -> RegionIndex:
        if self._regions is None:
            _, path = resolve(self.project, self.snapshot_id)
            self._con = duckdb.connect(str(path), read_only=True)
            self._regions = RegionIndex.from_connection(self._con)
        return self._regions

    def close(self) -> None:
        if self._con is not None:
            self._con.close()

    def value(self, key: str, value: Any, where: str, line: int) -> Any:
        """``value``, with numbers of region parameters turned into code text; a problem is recorded."""
        try:
            if key == "lang" and value not in LANGS:
                raise RegionError(f"lang {value!r} is not supported. Valid choices: {', '.join(LANGS)}")
            if key in REGION_PARAMETERS:
                return self.region_value(key, value)
        except RegionError as exc:
            if where == "-p":
                self.usage.append(f"-p {key}: {exc}")
            else:
                self.problems.append(Problem(self.label, line, f"{where}.{key}", str(exc)))
        return value

    def region_value(self, key: str, value: Any) -> Any:
        """``value`` checked; a number (or a number in a list) becomes its code text, the rest is kept."""
        if key != "regions" and isinstance(value, (list, tuple)):
            raise RegionError(f"{key} takes one region, not a list ({value!r})")
        items = region_items(value, key) if key == "regions" else [value]
        codes = [self.regions.resolve(item, key if key != "regions" else "region") for item in items]
        if isinstance(value, (list, tuple)):
            return [code if isinstance(item, (int, float)) else item for item, code in zip(items, codes)]
        return codes[0] if isinstance(value, (int, float)) else value


def stored_fingerprint(output: Path) -> str | None:
    try:
        meta = json.loads(output.read_bytes()).get("metadata", {}).get("ktpel", {})
    except (OSError, ValueError, AttributeError):
        return None
    return meta.get("fingerprint") if isinstance(meta, dict) else None



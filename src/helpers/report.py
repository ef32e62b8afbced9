"""The report batch: ``reports.yaml`` -> checked, fingerprinted runs -> Papermill -> ``reports/<snapshot>/``.

``reports.yaml`` (at the project root)::

    defaults:                 # parameters of every run; a run's own win, then `-p key=value`
      lang: id
    runs:
      - name: profile-batam   # output: reports/<snapshot_id>/profile-batam.ipynb
        notebook: notebooks/06_region_profile.ipynb
        parameters: {region: "Kota Batam"}
      - name: profile-{region}            # optional grid: one run per value (per combination)
        notebook: notebooks/06_region_profile.ipynb
        grid: {region: ["21.71", "19.04"]}

Values are YAML with two safety changes: dates stay text (``until: 2024-12-31`` is
the string, as the notebooks expect) and only ``true``/``false`` are booleans
(``lang: no`` stays ``"no"``).  The runner passes ``snapshot=<snapshot id>`` to
every run, so each output records the exact snapshot it was made from.

Before anything runs, every run is checked and the whole batch is refused on any
problem, each printed as ``reports.yaml:<line>: <field>: <problem>``: output
names must be plain file names (``[A-Za-z0-9._-]``, no leading dot); a notebook
must have ``kernelspec`` and ``language_info`` metadata and a cell tagged
``parameters``; every parameter given must be one that cell sets (Papermill
itself only warns about unknown ones).

Each run has a fingerprint: sha256 of the notebook's bytes, the source of every
module of this package, the merged parameters (canonical JSON), the snapshot id
and the caller's export settings.  It is stored in the output notebook
(``metadata.ktpel.fingerprint``), which is only ever replaced by an atomic
rename, so the output and its fingerprint cannot disagree; a run whose output
carries the current fingerprint is skipped as ``up to date`` (``--force`` runs
it anyway).  A failing run leaves ``<name>.failed.ipynb`` and does not touch
the previous ``<name>.ipynb``.

Execution is delegated to an executor (:mod:`helpers.runner`: a local process
pool by default, or a Dask cluster); a single run is executed by :mod:`helpers.nbengine`.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import itertools
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

from .problems import Problem, ValidationFailed
from .project import Project
from .runner import EXECUTORS, Event, Executor, RunOutcome, RunTask, default_jobs, default_kernel_start

CONFIG_NAME = "reports.yaml"
#: How kernels start: forked from a worker's zygote (helpers.forkkernel) or spawned as new processes.
KERNEL_STARTS = ("fork", "spawn")
#: Bump when the runner changes what it writes: it is part of every fingerprint.
RUNNER_VERSION = "1"
NAME_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
RUN_FIELDS = ("name", "notebook", "parameters", "grid")
TOP_FIELDS = ("defaults", "runs")
RESERVED = {"snapshot": "the runner sets it; choose the snapshot with --snapshot"}


class UsageError(ValueError):
    """A bad command-line request (``-p``, ``--only``, ``--jobs``)."""


# --- YAML ---------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """SafeLoader without timestamps, and with only true/false as booleans (YAML 1.2 style)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a notebook parameter (JSON-like data only), or None."""
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} is not a finite number"
    if isinstance(value, list):
        return next((p for p in map(_value_problem, value) if p), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "mapping keys must be text"
        return next((p for p in map(_value_problem, value.values()) if p), None)
    return f"a {type(value).__name__} is not a parameter value (use text, numbers, true/false, null, lists, mappings)"


def parse_value(text: str) -> Any:
    """A ``-p`` value: YAML (``[a, b]`` is a list, ``3`` a number, ``2024-12-31`` text, empty is null)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``["key=value", ...]`` from ``-p`` options, values parsed as YAML."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise UsageError(f"-p {item!r}: write key=value, e.g. -p lang=en or -p regions='[\"Batam\", \"64\"]'")
        try:
            value = parse_value(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"-p {key}: {text!r} is not valid YAML ({getattr(exc, 'problem', exc)})") from None
        if (problem := _value_problem(value)) is not None:
            raise UsageError(f"-p {key}: {problem}")
        if key in RESERVED:
            raise UsageError(f"-p {key}: {RESERVED[key]}")
        out[key] = value
    return out


def check_name(name: Any) -> str | None:
    """Why ``name`` cannot be an output name (``reports/<snapshot>/<name>.ipynb``), or None."""
    if not isinstance(name, str) or not name:
        return "is empty; give a file name such as profile-batam"
    if "/" in name or "\\" in name:
        return f"{name!r} contains a path separator; an output name is a plain file name such as profile-batam"
    if name in (".", "..") or name.startswith("."):
        return f"{name!r} starts with a dot; an output name is a plain file name such as profile-batam"
    if not NAME_RE.fullmatch(name):
        bad = "".join(sorted({c for c in name if not re.fullmatch(r"[A-Za-z0-9._-]", c)}))
        return f"{name!r} has characters other than letters, digits, '.', '_' and '-' ({bad!r})"
    if name.endswith(".failed") or len(name) > 100:
        return f"{name!r} is reserved or too long (names ending in .failed mark failed runs; at most 100 characters)"
    return None


# --- reports.yaml -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunSpec:
    """One run of ``reports.yaml`` (a grid entry gives several), with the lines its parts came from."""

    name: str
    notebook: str  # project-relative, as written
    parameters: dict[str, Any]
    line: int  # of the run's `name`
    notebook_line: int
    parameter_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportConfig:
    path: Path
    label: str  # the config file, project-relative, for messages
    defaults: dict[str, Any]
    default_lines: dict[str, int]
    runs: list[RunSpec]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _ConfigReader:
    def __init__(self, label: str, text: str, project: Project):
        self.label, self.project, self.problems = label, project, []
        self.loader = _Loader(text)

    def problem(self, node: yaml.Node | int, field: str, message: str) -> None:
        self.problems.append(Problem(self.label, node if isinstance(node, int) else _line(node), field, message))

    def mapping(self, node: yaml.Node, field: str, allowed: Sequence[str] | None = None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, field, "must be a mapping (key: value lines)")
            return {}
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node)
            name = f"{field}.{key}" if field else str(key)
            if not isinstance(key, str):
                self.problem(key_node, field or "key", f"{key!r} is not a text key")
            elif key in out:
                self.problem(key_node, name, f"appears twice (first on line {_line(out[key][0])})")
            elif allowed is not None and key not in allowed:
                self.problem(key_node, name, f"unknown field; valid fields: {', '.join(allowed)}")
            else:
                out[key] = (key_node, value_node)
        return out

    def parameters(self, node: yaml.Node, field: str) -> tuple[dict[str, Any], dict[str, int]]:
        values, lines = {}, {}
        for key, (key_node, value_node) in self.mapping(node, field).items():
            name = f"{field}.{key}"
            value = self.loader.construct_object(value_node, deep=True)
            if not key.isidentifier():
                self.problem(key_node, name, "is not a valid parameter name (a Python identifier)")
            elif key in RESERVED:
                self.problem(key_node, name, RESERVED[key])
            elif (why := _value_problem(value)) is not None:
                self.problem(value_node, name, why)
            else:
                values[key], lines[key] = value, _line(key_node)
        return values, lines

    def text(self, fields: Mapping[str, tuple[yaml.Node, yaml.Node]], key: str, where: yaml.Node) -> tuple[str | None, int]:
        if key not in fields:
            self.problem(where, key, "is missing")
            return None, _line(where)
        value = self.loader.construct_object(fields[key][1])
        if not isinstance(value, str):
            self.problem(fields[key][1], key, f"must be text, not {value!r}")
            return None, _line(fields[key][1])
        return value, _line(fields[key][1])

    def notebook(self, path: str, line: int) -> None:
        target = (self.project.root / path).resolve()
        if Path(path).is_absolute() or "\\" in path or not target.is_relative_to(self.project.root.resolve()):
            self.problem(line, "notebook", f"{path!r} must be a path inside the project, relative to its root "
                                           "(e.g. notebooks/01_region_comparison.ipynb)")
        elif not path.endswith(".ipynb"):
            self.problem(line, "notebook", f"{path!r} is not a .ipynb file")
        elif not target.is_file():
            choices = sorted(self.project.rel(p) for p in self.project.notebooks_dir.glob("*.ipynb"))
            self.problem(line, "notebook", f"{path!r} does not exist; notebooks: {', '.join(choices) or 'none'}")

    def run(self, index: int, node: yaml.Node) -> list[RunSpec]:
        fields = self.mapping(node, "", RUN_FIELDS)
        if not fields:
            if isinstance(node, yaml.MappingNode):
                self.problem(node, "name", f"run {index} is empty; it needs a name and a notebook")
            return []
        name, name_line = self.text(fields, "name", node)
        notebook, notebook_line = self.text(fields, "notebook", node)
        if notebook is not None:
            self.notebook(notebook, notebook_line)
        params, lines = self.parameters(fields["parameters"][1], "parameters") if "parameters" in fields else ({}, {})
        grid = self.grid(fields["grid"][1]) if "grid" in fields else {}
        if name is None or notebook is None:
            return []
        specs = []
        for combo in itertools.product(*grid.values()) if grid else [()]:
            values = dict(zip(grid, combo))
            try:
                run_name = name.format(**values) if grid else name
            except (KeyError, IndexError, ValueError) as exc:
                self.problem(name_line, "name", f"{name!r}: cannot fill in {exc} (the grid has: {', '.join(grid)})")
                return []
            if (why := check_name(run_name)) is not None:
                self.problem(name_line, "name", why + (f" (from the grid values {values})" if grid else ""))
                continue
            grid_lines = {k: _line(fields["grid"][1]) for k in values}
            specs.append(RunSpec(run_name, notebook, {**params, **values}, name_line, notebook_line,
                                 {**lines, **grid_lines}))
        if grid and not all(f"{{{k}}}" in name for k in grid):
            self.problem(name_line, "name", f"{name!r} must contain {', '.join('{' + k + '}' for k in grid)} "
                                            "so that every grid run has its own output")
        return specs

    def grid(self, node: yaml.Node) -> dict[str, list[Any]]:
        values, _ = self.parameters(node, "grid")
        out = {}
        for key, value in values.items():
            if not isinstance(value, list) or not value:
                self.problem(node, f"grid.{key}", "must be a non-empty list of values, one run each")
            else:
                out[key] = value
        return out


def load_config(project: Project, path: Path | None = None) -> ReportConfig:
    """Read and check ``reports.yaml``; raises :class:`ValidationFailed` with every problem found."""
    path = path or project.root / CONFIG_NAME
    label = project.rel(path) if path.is_absolute() else path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileNotFoundError(f"{label} not found; it lists the report runs (see `ktpel report --help`)") from None
    reader = _ConfigReader(label, text, project)
    try:
        root = reader.loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ValidationFailed([Problem(label, (mark.line + 1) if mark else 1, "yaml",
                                        f"not valid YAML: {exc.problem or exc}")]) from None
    if root is None:
        raise ValidationFailed([Problem(label, 1, "runs", "the file is empty; it needs a `runs:` list")])
    top = reader.mapping(root, "", TOP_FIELDS)
    defaults, default_lines = reader.parameters(top["defaults"][1], "defaults") if "defaults" in top else ({}, {})
    runs: list[RunSpec] = []
    if "runs" not in top:
        if isinstance(root, yaml.MappingNode):
            reader.problem(root, "runs", "is missing; list the runs under `runs:`")
    elif not isinstance(top["runs"][1], yaml.SequenceNode) or not top["runs"][1].value:
        reader.problem(top["runs"][1], "runs", "must be a non-empty list of runs (`- name: ...` items)")
    else:
        for index, node in enumerate(top["runs"][1].value, start=1):
            runs += reader.run(index, node)
    seen: dict[str, RunSpec] = {}
    for spec in runs:
        if (first := seen.get(spec.name.lower())) is not None:
            reader.problem(spec.line, "name", f"{spec.name!r} is used twice (also on line {first.line}); "
                                              "every run needs its own output name")
        seen.setdefault(spec.name.lower(), spec)
    if reader.problems:
        raise ValidationFailed(reader.problems)
    return ReportConfig(path, label, defaults, default_lines, runs)


# --- notebooks ----------------------------------------------------------------------------------

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
    tagged = [c for c in cells if "parameters" in ((c.get("metadata") or {}).get("tags") or [])]
    if not tagged:
        raise ValueError(f"{label} has no cell tagged 'parameters'; tag the cell that sets the parameters' "
                         "defaults (JupyterLab: Property Inspector > Cell Tags)")
    source = tagged[0].get("source") or ""
    source = "".join(source) if isinstance(source, list) else source
    try:
        names = parameter_names(source)
    except SyntaxError as exc:
        raise ValueError(f"{label}: its parameters cell is not plain Python (line {exc.lineno}: {exc.msg})") from None
    return NotebookInfo(path, label, data, str(kernelspec["name"]), tuple(names))


# --- planning -----------------------------------------------------------------------------------

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


def helpers_sources() -> list[tuple[str, bytes]]:
    """Every module of this package (the code the notebooks and the runner use), by name."""
    return [(p.name, p.read_bytes()) for p in sorted(Path(__file__).parent.glob("*.py"))]


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
    sources = helpers_sources()
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


# --- the batch ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunResult:
    name: str
    status: str  # "ok" | "failed" | "up to date"
    seconds: float
    output: Path | None  # the notebook to look at: <name>.ipynb, or <name>.failed.ipynb
    error: str | None = None
    attempts: int = 0
    started: float = 0.0
    finished: float = 0.0


def _echo(line: str) -> None:
    print(line, flush=True)


def _task(project: Project, run: PlannedRun, snapshot_id: str, start_timeout: float, kernel_start: str) -> RunTask:
    return RunTask(
        name=run.name, notebook=run.notebook.path.resolve(), output_dir=run.output.parent.resolve(),
        parameters=run.parameters, cwd=run.notebook.path.parent.resolve(),
        env={"KTPEL_PROJECT": str(project.root.resolve())}, kernel_name=run.notebook.kernel_name,
        input_label=run.notebook.label, output_dir_label=project.rel(run.output.parent),
        metadata={"name": run.name, "fingerprint": run.fingerprint, "snapshot_id": snapshot_id,
                  "notebook": run.notebook.label, "parameters": run.parameters, "runner_version": RUNNER_VERSION},
        start_timeout=start_timeout, kernel_start=kernel_start)


def _first_line(text: str | None, limit: int = 300) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_batch(project: Project, snapshot: str = "latest", *, config: Path | None = None, only: Sequence[str] = (),
              overrides: Mapping[str, Any] | None = None, jobs: int | None = None, force: bool = False,
              export_settings: Mapping[str, Any] | None = None, executor: Executor | None = None,
              start_timeout: float = 60.0, kernel_start: str | None = None,
              echo: Callable[[str], None] = _echo) -> list[RunResult]:
    """Run the batch of ``reports.yaml`` (or ``config``) on ``snapshot``; one result per run, in config order.

    Refuses the whole batch (:class:`ValidationFailed`, :class:`UsageError`) before running anything
    if a run is bad; otherwise never raises for a failing run: see each result's ``status``."""
    from filelock import FileLock

    from .snapshot import resolve

    t0 = time.monotonic()
    kernel_start = kernel_start or default_kernel_start()
    if kernel_start not in KERNEL_STARTS:
        raise UsageError(f"unknown kernel start {kernel_start!r}; choose one of {', '.join(KERNEL_STARTS)}")
    snapshot_id, _ = resolve(project, snapshot)
    runs = plan(project, load_config(project, config), snapshot_id, only=only, overrides=overrides,
                export_settings=export_settings)
    out_dir = project.reports_dir / snapshot_id
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, RunResult] = {}
    total, counter = len(runs), itertools.count(1)
    lock = FileLock(str(out_dir / ".report.lock"))
    if not _try_lock(lock):
        echo(f"waiting for another `ktpel report` on {project.rel(out_dir)} to finish ...")
        lock.acquire()
    try:
        for leftover in out_dir.glob(".tmp-*.ipynb"):  # from runs that died; we hold the lock
            leftover.unlink(missing_ok=True)
        todo = []
        for run in runs:
            if not force and run.output.exists() and stored_fingerprint(run.output) == run.fingerprint:
                results[run.name] = RunResult(run.name, "up to date", 0.0, run.output)
                run.failed_output.unlink(missing_ok=True)  # a failure of other inputs, now superseded
                echo(f"[{next(counter)}/{total}] {run.name} up to date")
            else:
                todo.append(run)
        if todo:
            n_jobs = max(1, min(jobs or default_jobs(), len(todo)))
            where = f"{n_jobs} at a time" if executor is None else f"on {getattr(executor, 'label', type(executor).__name__)}"
            echo(f"snapshot {snapshot_id}: running {len(todo)} of {total} notebook(s), {where}")
            own = executor is None
            ex = executor or EXECUTORS["local"](jobs=n_jobs)
            finished: set[str] = set()

            def on_event(event: Event) -> None:
                kind, name, *rest = event
                if name in finished:
                    return
                if kind == "start":
                    echo(f"      {name}: started" + (f" (attempt {rest[0]})" if rest[0] > 1 else ""))
                elif kind == "cells":
                    echo(f"      {name}: {rest[0]}/{rest[1]} cells")
                elif kind == "retry":
                    echo(f"      {name}: {rest[0]}; retrying once")

            try:
                tasks = [_task(project, run, snapshot_id, start_timeout, kernel_start) for run in todo]
                for outcome in ex.run(tasks, on_event):
                    finished.add(outcome.name)
                    results[outcome.name] = _result(outcome)
                    status = "ok" if outcome.ok else f"FAILED ({_first_line(outcome.error, 120)})"
                    echo(f"[{next(counter)}/{total}] {outcome.name} {status} {outcome.seconds:.1f}s")
            finally:
                if own:
                    ex.close()
    finally:
        lock.release()
    ordered = [results[run.name] for run in runs]
    for line in summary_lines(project, ordered, time.monotonic() - t0):
        echo(line)
    return ordered


def _try_lock(lock: Any) -> bool:
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
        return True
    except Timeout:
        return False


def _result(outcome: RunOutcome) -> RunResult:
    return RunResult(outcome.name, "ok" if outcome.ok else "failed", outcome.seconds, outcome.output,
                     outcome.error, outcome.attempts, outcome.started, outcome.finished)


def summary_lines(project: Project, results: Sequence[RunResult], seconds: float) -> list[str]:
    """An aligned table (name, status, seconds, output), each failure's error under its row, and a total."""
    rows = [(r.name, r.status, "-" if r.status == "up to date" else f"{r.seconds:.1f}",
             project.rel(r.output) if r.output else "-") for r in results]
    head = ("name", "status", "seconds", "output")
    widths = [max(len(x) for x in col) for col in zip(head, *rows)]

    def fmt(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3]]
        return "  ".join(cells).rstrip()

    lines = ["", fmt(head)]
    for result, row in zip(results, rows):
        lines.append(fmt(row))
        if result.error:
            lines += [f"    {line}" for line in result.error.strip().splitlines()[:12]]
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "failed", "up to date")}
    lines.append(f"{counts['ok']} ok, {counts['failed']} failed, {counts['up to date']} up to date "
                 f"in {seconds:.1f} s")
    return lines


# --- command line -------------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def cmd_report(project: Project, args: argparse.Namespace) -> int:
    try:
        overrides = parse_overrides(args.parameters)
        if args.executor == "dask" and not args.scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS, the Dask scheduler to run on "
                             "(e.g. --scheduler tcp://scheduler-host:8786)")
        if args.scheduler and args.executor != "dask":
            raise UsageError(f"--scheduler is only used with --executor dask (not --executor {args.executor})")
        options = {"scheduler": args.scheduler} if args.executor == "dask" else {}
        executor = None if args.executor == "local" else EXECUTORS[args.executor](jobs=args.jobs, **options)
        results = run_batch(project, args.snapshot, config=args.config, only=args.only, overrides=overrides,
                            jobs=args.jobs, force=args.force, executor=executor, start_timeout=args.start_timeout,
                            kernel_start=args.kernel_start)
    except UsageError as exc:
        print(f"ktpel report: {exc}", file=sys.stderr)
        return 2
    if args.export:
        export_results(project, results)
    return 1 if any(r.status == "failed" for r in results) else 0


def export_results(project: Project, results: Sequence[RunResult], echo: Callable[[str], None] = _echo) -> None:
    """Export (HTML, chart files, decks, index) the runs that just ran, and those never exported;
    nothing when the whole batch was up to date and exported already."""
    good = [r for r in results if r.status != "failed" and r.output is not None]
    if not good:
        return
    directory = good[0].output.parent
    names = [r.name for r in good if r.status == "ok" or not (directory / f"{r.name}.html").is_file()]
    if not names and (directory / "index.html").is_file():
        echo("exports up to date")
        return
    from .export import INDEX, export_batch  # duckdb, pandas, nbformat: only when there is work

    t0 = time.monotonic()
    written = export_batch(project, directory.name, names).written
    echo(f"exported {len(names)} report(s): {len(written)} files (HTML, charts, slides, "
         f"{project.rel(directory / INDEX)}) in {time.monotonic() - t0:.1f} s")


def add_parser(sub: Any) -> None:
    """Register ``ktpel report`` (called by :mod:`helpers.cli`)."""
    p = sub.add_parser(
        "report", help="run the report notebooks of reports.yaml with Papermill",
        description="Run every run of reports.yaml (or those named with --only) on a snapshot with Papermill, "
                    "into reports/<snapshot_id>/<name>.ipynb, several at once; runs whose notebook, helpers, "
                    "parameters and snapshot are unchanged are skipped as up to date.",
        epilog="examples:  ktpel report  |  ktpel report --only profile-batam -p lang=en  |  "
               "ktpel report -p regions='[\"Batam\", \"64\"]' --only region-comparison --force")
    p.add_argument("--snapshot", default="latest", help="'latest' (default) or a snapshot id")
    p.add_argument("--only", nargs="+", action="extend", default=[], metavar="NAME", help="run only these runs")
    p.add_argument("-p", "--parameter", dest="parameters", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter for every run, VALUE read as YAML (repeatable; wins over reports.yaml)")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None,
                   help=f"notebooks run at once (default: the number of cores, here {default_jobs()})")
    p.add_argument("--force", action="store_true", help="re-run runs that are up to date")
    p.add_argument("--no-export", dest="export", action="store_false",
                   help="skip the exports (HTML, chart files, slides, index); `ktpel export` makes them later")
    p.add_argument("--config", type=Path, default=None, help=f"the runs file (default: {CONFIG_NAME} at the project root)")
    p.add_argument("--executor", choices=sorted(EXECUTORS), default="local", help="where runs execute (default: local)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --executor dask: the Dask scheduler, e.g. tcp://scheduler-host:8786 (the workers "
                        "need this package and the project at the same path)")
    p.add_argument("--start-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="how long a kernel may take to start before the run is retried once (default: 60)")
    p.add_argument("--kernel-start", choices=KERNEL_STARTS, default=default_kernel_start(),
                   help="fork each kernel from a worker's warm process that has imported pandas, Altair, DuckDB and "
                        f"the helpers once, or spawn a new Python per run as Papermill does (default here: "
                        f"{default_kernel_start()})")
    p.set_defaults(func=cmd_report)

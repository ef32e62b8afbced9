"""The batch configuration: ``reports.yaml`` read and checked into :class:`ReportConfig`.

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
      - name: profile-{region}            # a grid from the snapshot's regions: every kabupaten/kota of
        notebook: notebooks/06_region_profile.ipynb   # a province (code, name or alias; a list for
        grid: {region: {kabupaten_kota_of: "64"}}     # several) or of the country (`all`)

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

Planning and fingerprints: :mod:`helpers.batch.plan`; running: :mod:`helpers.batch.run`.
"""

from __future__ import annotations

import itertools
import math
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpers.problems import Problem, UsageError, ValidationFailed
from helpers.project import Project

CONFIG_NAME = "reports.yaml"
#: How kernels start: forked from a worker's zygote (helpers.batch.kernels) or spawned as new processes.
KERNEL_STARTS = ("fork", "spawn")
#: Bump when the runner changes what it writes: it is part of every fingerprint.
RUNNER_VERSION = "1"
NAME_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
RUN_FIELDS = ("name", "notebook", "parameters", "grid")
TOP_FIELDS = ("defaults", "runs", "slides")
RESERVED = {"snapshot": "the runner sets it; choose the snapshot with --snapshot"}
#: Grid value sources (``grid: {region: {kabupaten_kota_of: "64"}}``): a source name -> a function from the
#: value written to the list of values (raising ValueError with a message); the runner builds them from
#: the snapshot (:func:`helpers.batch.plan.grid_sources`).
GridSources = Mapping[str, Callable[[Any], list[Any]]]


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


#: The most YAML nodes a document may hold once its aliases are expanded (an alias bomb expands to billions).
MAX_YAML_NODES = 100_000
#: The most runs a batch may have (a grid multiplies), and the widest ``{key:...}`` field in a grid name.
MAX_RUNS = 10_000
MAX_FIELD_WIDTH = 99


class TooLarge(ValueError):
    """A YAML document too large once expanded, too deeply nested or referring to itself."""


def check_size(node: yaml.Node | None) -> None:
    """Raise :class:`TooLarge` if ``node`` expands to more than :data:`MAX_YAML_NODES` nodes (aliases are
    counted each time they are used, in time linear in the document) or contains itself."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)] if node is not None else []
    open_: set[int] = set()
    while stack:
        current, children_done = stack.pop()
        kids = ([x for pair in current.value for x in pair] if isinstance(current, yaml.MappingNode)
                else list(current.value) if isinstance(current, yaml.SequenceNode) else [])
        if children_done:
            open_.discard(id(current))
            sizes[id(current)] = 1 + sum(sizes[id(k)] for k in kids)
            if sizes[id(current)] > MAX_YAML_NODES:
                raise TooLarge(f"expands to more than {MAX_YAML_NODES:,} values (YAML aliases repeat what they "
                               "refer to); write the values out")
            continue
        if id(current) in sizes:
            continue
        if id(current) in open_:
            raise TooLarge("contains itself through an alias")
        open_.add(id(current))
        stack.append((current, True))
        stack += [(k, False) for k in kids if id(k) not in sizes]


def compose(loader: yaml.SafeLoader) -> yaml.Node | None:
    """The loader's single document as nodes, checked by :func:`check_size` (or :class:`TooLarge`)."""
    try:
        node = loader.get_single_node()
    except RecursionError:
        raise TooLarge("is nested too deeply") from None
    check_size(node)
    return node


def parse_value(text: str) -> Any:
    """A ``-p`` value: YAML (``[a, b]`` is a list, ``3`` a number, ``2024-12-31`` text, empty is null);
    :class:`TooLarge` for an alias bomb or a value nested too deeply."""
    loader = _Loader(text)
    try:
        node = compose(loader)
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


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
        except TooLarge as exc:
            raise UsageError(f"-p {key}: the value {exc}") from None
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
    if name.casefold() == "index":
        return f"{name!r} is reserved: the batch's index.html lists every report; choose another name"
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
    #: ``slides:``, run names in the order their charts go into the decks (the runs not named follow, in the
    #: order of ``runs:``); empty: the order of ``runs:``.
    slides: list[str] = field(default_factory=list)

    def slide_order(self) -> list[str]:
        """Every run name, in the order of the decks."""
        named = [n for n in self.slides if any(r.name == n for r in self.runs)]
        return named + [r.name for r in self.runs if r.name not in named]


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _ConfigReader:
    def __init__(self, label: str, text: str, project: Project, sources: GridSources | None = None):
        self.label, self.project = label, project
        self.problems: list[Problem] = []
        self.sources = sources
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

    def slides(self, node: yaml.Node, names: set[str]) -> list[str]:
        """``slides:``: a list of run names (after grid expansion), each once."""
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, "slides", "must be a list of run names (`- region-comparison` items)")
            return []
        out: list[str] = []
        for item in node.value:
            name = self.loader.construct_object(item)
            if not isinstance(name, str):
                self.problem(item, "slides", f"{name!r} is not a run name")
            elif name in out:
                self.problem(item, "slides", f"{name!r} is listed twice")
            elif name not in names:
                self.problem(item, "slides", f"{name!r} is not a run of `runs:`")
            else:
                out.append(name)
        return out

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
        problems_before_grid = len(self.problems)
        grid = self.grid(fields["grid"][1]) if "grid" in fields else {}
        if name is None or notebook is None or len(self.problems) > problems_before_grid:
            return []
        if grid and (why := _grid_problem(name, grid)) is not None:
            self.problem(name_line if why.startswith("name") else fields["grid"][1], why.split(":")[0],
                         why.split(": ", 1)[1])
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
            if isinstance(value, dict):
                value = self.grid_source(node, key, value)
                if value is None:
                    continue
            if not isinstance(value, list) or not value:
                self.problem(node, f"grid.{key}", "must be a non-empty list of values, one run each")
            else:
                out[key] = value
        return out


    def grid_source(self, node: yaml.Node, key: str, value: dict[str, Any]) -> list[Any] | None:
        """The values of a grid source such as ``{kabupaten_kota_of: "64"}``; None (and a problem) if bad."""
        names = ", ".join(self.sources or ("kabupaten_kota_of",))
        if len(value) != 1:
            self.problem(node, f"grid.{key}", f"give a list of values or one source ({names}), e.g. "
                                              "{kabupaten_kota_of: \"64\"}")
            return None
        (source, argument), = value.items()
        if self.sources is None:
            self.problem(node, f"grid.{key}.{source}", "grid sources are resolved from a snapshot; this reader "
                                                       "was given none (use `ktpel report`)")
            return None
        if source not in self.sources:
            self.problem(node, f"grid.{key}.{source}", f"unknown grid source; valid sources: {names}")
            return None
        try:
            return self.sources[source](argument)
        except ValueError as exc:
            self.problem(node, f"grid.{key}.{source}", str(exc))
            return None


def _grid_problem(name: str, grid: Mapping[str, list[Any]]) -> str | None:
    """``"field: why"`` if the grid is too large or its name template asks for an unreasonable format."""
    runs = math.prod(len(values) for values in grid.values())
    if runs > MAX_RUNS:
        sizes = " x ".join(str(len(values)) for values in grid.values())
        return f"grid: makes {runs:,} runs ({sizes}); a batch has at most {MAX_RUNS:,}"
    try:
        fields = [(key, spec) for _, key, spec, _ in string.Formatter().parse(name) if key is not None]
    except ValueError as exc:
        return f"name: {name!r} is not a valid template ({exc})"
    for key, spec in fields:
        if "{" in (spec or ""):
            return f"name: {{{key}:{spec}}} has a nested field; write a plain width such as {{{key}:>3}}"
        if any(int(width) > MAX_FIELD_WIDTH for width in re.findall(r"\d+", spec or "")):
            return f"name: {{{key}:{spec}}} asks for a width over {MAX_FIELD_WIDTH}"
    return None


def load_config(project: Project, path: Path | None = None, sources: GridSources | None = None) -> ReportConfig:
    """Read and check ``reports.yaml``; raises :class:`ValidationFailed` with every problem found.
    ``sources``: the grid value sources (from the snapshot the batch runs on)."""
    path = path or project.root / CONFIG_NAME
    label = project.rel(path) if path.is_absolute() else path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileNotFoundError(f"{label} not found; it lists the report runs (see `ktpel report --help`)") from None
    reader = _ConfigReader(label, text, project, sources)
    try:
        root = compose(reader.loader)
    except TooLarge as exc:
        raise ValidationFailed([Problem(label, 1, "yaml", f"the file {exc}")]) from None
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
    if len(runs) > MAX_RUNS:
        reader.problem(top["runs"][1], "runs", f"makes {len(runs):,} runs; a batch has at most {MAX_RUNS:,}")
        runs = []
    seen: dict[str, RunSpec] = {}
    for spec in runs:
        if (first := seen.get(spec.name.lower())) is not None:
            reader.problem(spec.line, "name", f"{spec.name!r} is used twice (also on line {first.line}); "
                                              "every run needs its own output name")
        seen.setdefault(spec.name.lower(), spec)
    slides = reader.slides(top["slides"][1], {spec.name for spec in runs}) if "slides" in top else []
    if reader.problems:
        raise ValidationFailed(reader.problems)
    return ReportConfig(path, label, defaults, default_lines, runs, slides)



"""The source texts and their metadata (``data/raw/sources.yaml``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import Any, cast

import yaml

from helpers.problems import Problem
from helpers.project import Project
from helpers.raw.dates import Period, parse_period
from helpers.raw.tables import control_problem

FIELDS = ("id", "title", "publisher", "place", "published_on", "published_precision", "published_not_before",
          "published_not_after", "date_note", "file", "original_file", "sha256", "language", "url", "excerpt", "notes")
#: Fields written true/false (every other field is text).
BOOLEAN_FIELDS = ("excerpt",)
REQUIRED = ("id", "title", "published_precision", "file", "sha256", "language")
LANGUAGES = ("id", "en")
DATE_FIELDS = ("published_on", "published_not_before", "published_not_after")
#: sources.yaml is hand-written metadata: a file larger than this is refused before parsing.
MAX_YAML_BYTES = 4 * 2**20


#: libyaml's loader when available (ten times faster than the pure-Python one).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``text`` parsed as YAML without anchors and aliases: sources.yaml needs none, and aliases nested in
    aliases (a "billion laughs" bomb) would expand to gigabytes once the values are used.  Raises
    :class:`yaml.YAMLError` (with the alias's line) for an alias."""
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            mark = cast("yaml.Mark | None", event.start_mark)  # libyaml's Mark has the same fields
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here; write the value out",
                                              mark)
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'",
                         "\u00a0": " ", "\u2013": "-", "\u2014": "-"})


def normalise_text(text: str) -> str:
    """Fold what differs between a source and a quote typed by hand: Unicode
    form, curly quotes, no-break spaces, dashes and runs of white space."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str | None
    place: str | None
    published: Period
    published_on: str | None
    published_not_before: date | None
    published_not_after: date | None
    date_note: str | None
    file: str
    original_file: str | None
    sha256: str
    language: str
    notes: str | None
    line: int
    text: str

    @property
    def latest_as_of(self) -> date | None:
        """The latest date a figure of this source can describe: the end of its
        publication period, else the day it is known to be published after, else
        the day it is known to be published before."""
        return self.published.end or self.published_not_before or self.published_not_after


def _compose_lines(text: str) -> dict[int, tuple[int, dict[str, int]]]:
    """Line of each entry of ``sources`` and of each of its keys (1-based)."""
    lines: dict[int, tuple[int, dict[str, int]]] = {}
    root = yaml.compose(text, Loader=_LOADER)
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value == "sources" and isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value):
                keys = {k.value: k.start_mark.line + 1 for k, _ in getattr(item, "value", [])
                        if isinstance(item, yaml.MappingNode)}
                lines[i] = (item.start_mark.line + 1, keys)
    return lines


def load_sources(project: Project) -> tuple[dict[str, Source], list[Problem]]:
    """Every source of ``sources.yaml`` with its text, and every problem found."""
    path = project.raw / "sources.yaml"
    name = project.rel(path)
    problems: list[Problem] = []
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            return {}, [Problem(name, 1, "file", f"larger than {MAX_YAML_BYTES // 2**20} MB; is it sources.yaml?")]
        raw_text = path.read_bytes().decode("utf-8-sig")
        doc: Any = load_yaml(raw_text)
        lines = _compose_lines(raw_text)
    except FileNotFoundError:
        return {}, [Problem(name, 0, "file", "file is missing")]
    except UnicodeDecodeError as exc:
        return {}, [Problem(name, 1, "encoding", f"not UTF-8 ({exc.reason})")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [Problem(name, (mark.line + 1) if mark else 1, "yaml", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list) or not doc["sources"]:
        return {}, [Problem(name, 1, "sources", "expected a top-level 'sources:' list with one entry per source")]

    sources: dict[str, Source] = {}
    for i, entry in enumerate(doc["sources"]):
        line, key_lines = lines.get(i, (1, {}))

        def bad(field: str, message: str) -> None:
            problems.append(Problem(name, key_lines.get(field, line), field, message))

        if not isinstance(entry, dict):
            bad("source", "each source must be a mapping of fields")
            continue
        for field in entry:
            if field not in FIELDS:
                bad(str(field), f"unknown field; expected one of {', '.join(FIELDS)}")
        entry, not_text = _texts(entry)
        for field, message in not_text:
            bad(field, message)
        if not_text:
            continue
        missing = [f for f in REQUIRED if entry.get(f) in (None, "")]
        for f in missing:
            bad(f, "required field is missing or empty")
        if missing:
            continue
        sid = str(entry["id"])
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sid):
            bad("id", f"{sid!r}: use lower-case letters, digits and '-'")
        if sid in sources:
            bad("id", f"duplicate source id {sid!r} (first on line {sources[sid].line})")
        if entry.get("url") is not None and not re.fullmatch(r"https?://\S+", str(entry["url"])):
            bad("url", f"{entry['url']!r} is not a web address (http:// or https://)")
        if entry.get("excerpt") not in (None, True, False):
            bad("excerpt", f"{entry['excerpt']!r}: write true (only the passages with figures are stored) or false")
        if entry["language"] not in LANGUAGES:
            bad("language", f"{entry['language']!r} is not one of {', '.join(LANGUAGES)}")
        try:
            published = parse_period(str(entry.get("published_on") or ""), str(entry["published_precision"]))
        except ValueError as exc:
            bad("published_on", str(exc))
            published = Period(None, None, "unknown")
        bounds: dict[str, date | None] = {}
        for field in ("published_not_before", "published_not_after"):
            value = entry.get(field)
            try:
                bounds[field] = parse_period(str(value), "day").start if value else None
            except ValueError as exc:
                bad(field, str(exc))
                bounds[field] = None
        if published.end and bounds["published_not_before"] and bounds["published_not_before"] > published.end:
            bad("published_not_before", f"{bounds['published_not_before']} is after published_on "
                                        f"({entry['published_on']}); one of them is wrong")
        if bounds["published_not_before"] and bounds["published_not_after"] and \
                bounds["published_not_before"] > bounds["published_not_after"]:
            bad("published_not_before", f"{bounds['published_not_before']} is after published_not_after "
                                        f"({bounds['published_not_after']})")
        file_problem = _file_problem(str(entry["file"]))
        if file_problem:
            bad("file", file_problem)
            continue
        text_path = project.raw / str(entry["file"])
        if not text_path.resolve().is_relative_to((project.raw / "sources").resolve()):
            bad("file", f"{entry['file']} leads outside data/raw/sources/ (a link?); keep source texts there")
            continue
        try:
            data = text_path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            bad("file", f"{project.rel(text_path)} does not exist")
            continue
        except OSError as exc:
            bad("file", f"{project.rel(text_path)} cannot be read ({exc.strerror})")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != str(entry["sha256"]).lower():
            bad("sha256", f"{project.rel(text_path)} has sha256 {digest}, not the recorded one: "
                          "source texts are kept as received; if the new text is intended, update sha256")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            bad("file", f"{project.rel(text_path)} is not UTF-8 ({exc.reason})")
            continue
        sources[sid] = Source(
            id=sid, title=str(entry["title"]), publisher=entry.get("publisher"), place=entry.get("place"),
            published=published, published_on=entry.get("published_on"),
            published_not_before=bounds["published_not_before"], published_not_after=bounds["published_not_after"],
            date_note=entry.get("date_note"), file=str(entry["file"]), original_file=entry.get("original_file"),
            sha256=digest, language=str(entry["language"]), notes=entry.get("notes"), line=line, text=text)
    return sources, problems


def _texts(entry: dict[Any, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The fields of an entry as text (dates as written, ``null`` as None), and the fields that are not
    text: a mapping, a list, true/false, or text holding control characters."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in entry.items():
        field = str(key)
        if value is None:
            out[field] = None
        elif field in BOOLEAN_FIELDS and isinstance(value, bool):
            out[field] = value
        elif isinstance(value, bool) or not isinstance(value, (str, int, float, date)):
            kind = {dict: "a mapping", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)
            problems.append((field, f"expected text, found {kind}; quote the value"))
        elif field in DATE_FIELDS and isinstance(value, date):
            out[field] = value.isoformat()
        else:
            out[field] = str(value)
            if (bad := control_problem(out[field])) is not None:
                problems.append((field, bad))
    return out, problems


def _file_problem(file: str) -> str | None:
    """Why ``file`` is not a path inside data/raw/sources/ (relative, no ``..``)."""
    path = PurePosixPath(file.replace("\\", "/"))
    if path.is_absolute() or re.match(r"^[A-Za-z]:", file):
        return f"{file!r} is an absolute path; write it relative to data/raw (sources/<name>.txt)"
    if ".." in path.parts:
        return f"{file!r} climbs out with '..'; source texts stay in data/raw/sources/"
    if len(path.parts) < 2 or path.parts[0] != "sources":
        return f"{file!r} is not in sources/; source texts stay in data/raw/sources/"
    return None

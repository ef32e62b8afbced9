"""The source texts and their metadata (``data/raw/sources.yaml``)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from helpers.problems import Problem
from helpers.project import Project
from helpers.raw.dates import Period, parse_period

FIELDS = ("id", "title", "publisher", "place", "published_on", "published_precision", "published_not_before",
          "published_not_after", "date_note", "file", "original_file", "sha256", "language", "url", "excerpt", "notes")
REQUIRED = ("id", "title", "published_precision", "file", "sha256", "language")
LANGUAGES = ("id", "en")

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
    root = yaml.compose(text)
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
        raw_text = path.read_bytes().decode("utf-8-sig")
        doc: Any = yaml.safe_load(raw_text)
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
        text_path = project.raw / str(entry["file"])
        try:
            data = text_path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            bad("file", f"{project.rel(text_path)} does not exist")
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

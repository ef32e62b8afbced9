"""Load and validate the raw layer: regions, metrics, targets and facts,
each checked against the others and against the source texts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from helpers.problems import Problem, ValidationFailed
from helpers.project import Project
from helpers.raw import bulk
from helpers.raw.context import RegionNames, metric_words_in, paragraph_span, paragraph_text, whole_occurrences
from helpers.raw.dates import parse_period, period_problem
from helpers.raw.numbers import NumberFormatError, decimals_of, find_numbers
from helpers.raw.records import (
    LEVELS,
    MAX_PERCENT,
    QUALIFIERS,
    UNITS,
    Fact,
    Metric,
    RawLayer,
    Region,
    Target,
)
from helpers.raw.sources import Source, load_sources, normalise_text
from helpers.raw.tables import read_rows

REGION_COLUMNS = ["code", "name", "level", "parent_code", "aliases", "note"]
METRIC_COLUMNS = ["metric", "unit", "label_id", "label_en", "definition", "quote_words"]
TARGET_COLUMNS = ["metric", "region_code", "year", "year_is_estimate", "value", "unit", "source_id", "quote", "note"]
FACT_COLUMNS = ["source_id", "region_code", "metric", "value", "unit", "qualifier", "as_of", "as_of_precision",
                "quote", "note"]
_CODE = re.compile(r"[0-9]{2}(\.[0-9]{2})?")
_VALUE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_GROUPED_VALUE = re.compile(r"-?[0-9]{1,3}(\.[0-9]{3})+")
#: A note starting with this explains why the quote's paragraph lacks the metric's words (metrics.csv quote_words).
METRIC_NOTE = "Metric:"
# Words just before a number that say how exact it is, most specific first.
_QUALIFIER_WORDS = [("approx", re.compile(r"(sekitar|hampir|kurang lebih|kira-kira|lebih kurang)\s*$", re.I)),
                    ("more_than", re.compile(r"(lebih dari|melebihi|lebih|di atas)\s*$", re.I)),
                    ("less_than", re.compile(r"(kurang dari|di bawah)\s*$", re.I))]


def qualifier_in_quote(quote: str, start: int) -> str:
    """``approx`` / ``more_than`` / ``less_than`` from the words just before a number, else ``exact``."""
    before = quote[max(0, start - 30):start]
    for qualifier, pattern in _QUALIFIER_WORDS:
        if pattern.search(before):
            return qualifier
    return "exact"


def _qualifier_words(text: str, start: int) -> str:
    before = text[max(0, start - 30):start]
    return next((m.group(1) for _, p in _QUALIFIER_WORDS if (m := p.search(before))), "")


def check_quote(source: Source, quote: str, value: Decimal, unit: str, written: str | None = None,
                region: Region | None = None, metric: Metric | None = None, names: RegionNames | None = None,
                ) -> tuple[list[tuple[str, str]], str | None]:
    """Problems ``(field, message)`` of a quote and the value taken from it, and the qualifier the
    source's words before the number imply (None when the value is not found in the quote).

    The quote must be whole words of the source; the value a whole number of the quote, at the
    precision the source writes (``written``: the value as typed); with ``region``, ``metric`` and
    ``names``, the region named closest to the figure must be ``region`` and the figure's sentence
    must hold a word of ``metric``."""
    problems: list[tuple[str, str]] = []
    norm = normalise_text(quote)
    if not norm:
        return [("quote", "empty; copy the sentence the figure comes from")], None
    text = paragraph_text(source.text)
    starts = whole_occurrences(text, norm)
    if not starts:
        if norm in text:
            i = text.index(norm)
            problems.append(("quote", f"starts or ends inside a word or number of {source.file} (the source has "
                                      f"{text[max(0, i - 12):i + len(norm) + 12]!r}); quote whole words and numbers"))
        elif norm not in normalise_text(source.text):
            problems.append(("quote", f"not found in {source.file} (compared after normalising white space and quotes)"))
    try:
        mentions = find_numbers(norm)
    except NumberFormatError as exc:
        return problems + [("quote", str(exc))], None
    want_percent = unit == "percent"
    matches = [m for m in mentions if m.value == value and m.is_percent == want_percent]
    if not matches:
        found = ", ".join(m.text for m in mentions) or "no number"
        kind = "a percentage ('... persen')" if want_percent else "a count"
        problems.append(("value", f"{value} is not {kind} in the quote (it has: {found})"))
        return problems, None
    if written is not None:
        precise = [m for m in matches if m.value_decimals == decimals_of(written)]
        if not precise:
            m = matches[0]
            problems.append(("value", f"{written} is not written at the source's precision: {m.text!r} has "
                                      f"{m.value_decimals} decimal(s); write {value:.{m.value_decimals}f}"))
        matches = precise or matches
    match = matches[0]
    if not starts:
        return problems, qualifier_in_quote(norm, match.start)
    pos = starts[0] + match.start
    implied = qualifier_in_quote(text, pos)
    if implied != qualifier_in_quote(norm, match.start):
        problems.append(("quote", f"the source says {_qualifier_words(text, pos)!r} before {match.text!r}: start the "
                                  "quote with those words, which set the qualifier"))
    if region is not None and names is not None:
        level = names.level(region.code)
        closest = names.closest(text, pos, level)
        if region.code not in closest:
            near = names.label(closest) if closest else f"no {level} is named near it"
            problems.append(("region_code", f"{region.name} ({region.code}) is not the {level} the source names "
                                            f"closest to {match.text!r}: {near}"))
    if metric is not None and metric.quote_words:
        begin, end = paragraph_span(text, starts[0], starts[0] + len(norm))
        if not metric_words_in(text[begin:end], metric.quote_words):
            problems.append(("metric", f"{metric.metric}: none of its words ({'; '.join(metric.quote_words)}, in "
                                       "metrics.csv) is in the quote's paragraph; is the figure about another metric? "
                                       f"(if not, say why in the note, starting with {METRIC_NOTE!r})"))
    return problems, implied


def _decimal(text: str) -> Decimal | None:
    if not _VALUE.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover
        return None


def _value_problem(text: str) -> str:
    if _GROUPED_VALUE.fullmatch(text) or re.fullmatch(r"-?\d+,\d+", text):
        return (f"{text!r} is written the Indonesian way; write values in facts.csv plainly "
                f"(926654, 100.10) and keep the Indonesian form in the quote")
    return f"{text!r} is not a number (write e.g. 926654 or 99.54)"


def load_regions(project: Project, path: Path | None = None,
                 known: dict[str, Region] | None = None) -> tuple[dict[str, Region], list[Problem]]:
    """The regions of ``path`` (default ``data/raw/regions.csv``).  With ``known`` (the regions of
    another file, e.g. for ``data/raw/bulk/regions.csv``) codes may not repeat them and parents may be
    among them; only the regions of ``path`` are returned."""
    path = path or project.raw / "regions.csv"
    known = known or {}
    name = project.rel(path)
    rows, problems = read_rows(path, name, REGION_COLUMNS, frozenset({"note", "aliases"}))
    regions: dict[str, Region] = {}
    names_seen: dict[str, str] = {}  # casefolded name or alias -> code
    for line, r in rows:
        if not _CODE.fullmatch(r["code"]):
            problems.append(Problem(name, line, "code", f"{r['code']!r} is not a Kemendagri code (e.g. 64 or 64.71)"))
            continue
        if r["code"] in known:
            problems.append(Problem(name, line, "code", f"region {r['code']} is in data/raw/regions.csv already "
                                    f"(line {known[r['code']].line})"))
            continue
        if r["code"] in regions:
            problems.append(Problem(name, line, "code", f"duplicate region {r['code']} (first on line {regions[r['code']].line})"))
            continue
        if not r["name"]:
            problems.append(Problem(name, line, "name", "empty"))
        if r["level"] not in LEVELS:
            problems.append(Problem(name, line, "level", f"{r['level']!r} is not one of {', '.join(LEVELS)}"))
        elif ("." in r["code"]) != (r["level"] in ("kabupaten", "kota")):
            problems.append(Problem(name, line, "level", f"{r['level']} does not fit code {r['code']} "
                                    "(provinces have 2 digits, kabupaten/kota 2.2)"))
        aliases = tuple(a.strip() for a in r["aliases"].split(";") if a.strip())
        for alias in aliases:
            key = alias.casefold()
            if key in names_seen and names_seen[key] != r["code"]:
                problems.append(Problem(name, line, "aliases", f"{alias!r} already names region {names_seen[key]}; "
                                        "an alias must name one region only"))
            names_seen[key] = r["code"]
        names_seen.setdefault(r["name"].casefold(), r["code"])
        regions[r["code"]] = Region(r["code"], r["name"], r["level"], r["parent_code"] or None, r["note"], line,
                                    aliases)
    for region in regions.values():
        if region.parent_code and region.parent_code not in regions and region.parent_code not in known:
            problems.append(Problem(name, region.line, "parent_code", f"{region.parent_code!r} is not a region in this file"))
        elif region.parent_code and "." in region.code and not region.code.startswith(region.parent_code + "."):
            problems.append(Problem(name, region.line, "parent_code", f"{region.code} does not belong to {region.parent_code}"))
    return regions, problems


def load_metrics(project: Project) -> tuple[dict[str, Metric], list[Problem]]:
    name = project.rel(project.raw / "metrics.csv")
    rows, problems = read_rows(project.raw / "metrics.csv", name, METRIC_COLUMNS, frozenset({"quote_words"}))
    metrics: dict[str, Metric] = {}
    for line, r in rows:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", r["metric"]):
            problems.append(Problem(name, line, "metric", f"{r['metric']!r}: use lower_snake_case"))
            continue
        if r["metric"] in metrics:
            problems.append(Problem(name, line, "metric", f"duplicate metric {r['metric']} (first on line {metrics[r['metric']].line})"))
            continue
        if r["unit"] not in UNITS:
            problems.append(Problem(name, line, "unit", f"{r['unit']!r} is not one of {', '.join(UNITS)}"))
        for field in ("label_id", "label_en", "definition"):
            if not r[field]:
                problems.append(Problem(name, line, field, "empty"))
        words = tuple(w.strip() for w in r["quote_words"].split(";") if w.strip())
        metrics[r["metric"]] = Metric(r["metric"], r["unit"], r["label_id"], r["label_en"], r["definition"], line,
                                      words)
    return metrics, problems


def _check_common(name: str, line: int, r: dict[str, str], sources: dict[str, Source], regions: dict[str, Region],
                  metrics: dict[str, Metric]) -> tuple[list[Problem], Decimal | None]:
    """Checks shared by facts and targets: known source/region/metric, unit,
    value and its range.  Returns the problems and the parsed value."""
    problems: list[Problem] = []
    if r["source_id"] not in sources:
        problems.append(Problem(name, line, "source_id", f"unknown source {r['source_id']!r}; known: {', '.join(sorted(sources))}"))
    if r["region_code"] not in regions:
        problems.append(Problem(name, line, "region_code", f"unknown region {r['region_code']!r}; add it to regions.csv first"))
    metric = metrics.get(r["metric"])
    if metric is None:
        problems.append(Problem(name, line, "metric", f"unknown metric {r['metric']!r}; add it to metrics.csv first"))
    elif r["unit"] != metric.unit:
        problems.append(Problem(name, line, "unit", f"{r['unit']!r} contradicts metric {metric.metric}, measured in {metric.unit}"))
    value = _decimal(r["value"])
    if value is not None and r["unit"] != "percent" and _GROUPED_VALUE.fullmatch(r["value"]):
        value = None  # "926.654" persons is 926654 written the Indonesian way, not 926.654 persons
    if value is None:
        problems.append(Problem(name, line, "value", _value_problem(r["value"])))
    elif value < 0:
        problems.append(Problem(name, line, "value", f"{r['value']} is negative; counts and percentages cannot be"))
    elif r["unit"] == "percent" and value > MAX_PERCENT:
        problems.append(Problem(name, line, "value", f"{r['value']} % is out of range (0 to {MAX_PERCENT})"))
    return problems, value


#: One row of a checked CSV (:func:`_read_checked`): its line, its cells, the problems of the checks facts and
#: targets share, and its value (None if it is not a valid one).
_CheckedRow = tuple[int, dict[str, str], list[Problem], Decimal | None]


def _read_checked(project: Project, file: str, columns: list[str], sources: dict[str, Source],
                  regions: dict[str, Region], metrics: dict[str, Metric]) -> tuple[str, list[Problem], list[_CheckedRow]]:
    """``data/raw/<file>`` (facts.csv or targets.csv) read and given the checks facts and targets share
    (:func:`_check_common`): its name for messages, the problems of reading it, and its rows."""
    name = project.rel(project.raw / file)
    rows, problems = read_rows(project.raw / file, name, columns, frozenset({"note"}))
    return name, problems, [(line, r, *_check_common(name, line, r, sources, regions, metrics)) for line, r in rows]


def load_targets(project: Project, sources: dict[str, Source], regions: dict[str, Region],
                 metrics: dict[str, Metric]) -> tuple[list[Target], list[Problem]]:
    name, problems, rows = _read_checked(project, "targets.csv", TARGET_COLUMNS, sources, regions, metrics)
    targets: list[Target] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for line, r, row_problems, value in rows:
        if not re.fullmatch(r"(19|20)[0-9][0-9]", r["year"]):
            row_problems.append(Problem(name, line, "year", f"{r['year']!r} is not a year"))
        if r["year_is_estimate"] not in ("true", "false"):
            row_problems.append(Problem(name, line, "year_is_estimate", f"{r['year_is_estimate']!r}: write true or false"))
        key = (r["metric"], r["region_code"], r["year"], r["source_id"])
        if key in seen:
            row_problems.append(Problem(name, line, "metric", f"duplicate target (first on line {seen[key]})"))
        seen.setdefault(key, line)
        if value is not None and r["source_id"] in sources:
            quote_problems, _ = check_quote(sources[r["source_id"]], r["quote"], value, r["unit"], r["value"])
            row_problems += [Problem(name, line, f, m) for f, m in quote_problems]
        problems += row_problems
        if not row_problems and value is not None:
            targets.append(Target(r["metric"], r["region_code"], int(r["year"]), r["year_is_estimate"] == "true",
                                  value, r["unit"], r["source_id"], r["quote"], r["note"], line))
    return targets, problems


def load_facts(project: Project, sources: dict[str, Source], regions: dict[str, Region],
               metrics: dict[str, Metric]) -> tuple[list[Fact], list[Problem]]:
    name, problems, rows = _read_checked(project, "facts.csv", FACT_COLUMNS, sources, regions, metrics)
    facts: list[Fact] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    names = RegionNames(regions.values())
    for line, r, row_problems, value in rows:
        source = sources.get(r["source_id"])
        if r["qualifier"] not in QUALIFIERS:
            row_problems.append(Problem(name, line, "qualifier", f"{r['qualifier']!r} is not one of {', '.join(QUALIFIERS)}"))
        try:
            as_of = parse_period(r["as_of"], r["as_of_precision"])
        except ValueError as exc:
            field = "as_of_precision" if "precision" in str(exc) and "not a" not in str(exc) else "as_of"
            row_problems.append(Problem(name, line, field, str(exc)))
            as_of = None
        if as_of is not None and (bad := period_problem(as_of)):
            row_problems.append(Problem(name, line, "as_of", bad))
        elif as_of and as_of.start and source and source.latest_as_of and as_of.start > source.latest_as_of:
            row_problems.append(Problem(name, line, "as_of", f"{r['as_of']} is after {source.id} was published "
                                        f"(latest possible: {source.latest_as_of.isoformat()})"))
        key = (r["source_id"], r["region_code"], r["metric"], r["as_of"])
        if key in seen:
            row_problems.append(Problem(name, line, "metric", f"duplicate fact: same source, region, metric and as_of "
                                        f"as line {seen[key]}"))
        seen.setdefault(key, line)
        if value is not None and source is not None:
            quote_problems, implied = check_quote(source, r["quote"], value, r["unit"], r["value"],
                                                  regions.get(r["region_code"]),
                                                  None if r["note"].startswith(METRIC_NOTE) else metrics.get(r["metric"]),
                                                  names)
            row_problems += [Problem(name, line, f, m) for f, m in quote_problems]
            if implied and r["qualifier"] in QUALIFIERS and implied != r["qualifier"]:
                row_problems.append(Problem(name, line, "qualifier", f"{r['qualifier']!r}, but the quote's wording "
                                            f"before {value} says {implied!r}"))
        problems += row_problems
        if not row_problems and value is not None and as_of is not None:
            facts.append(Fact(r["source_id"], r["region_code"], r["metric"], value, decimals_of(r["value"]), r["unit"],
                              r["qualifier"], as_of, r["as_of"], r["quote"], r["note"], line))
    return facts, problems


def collect_raw_layer(project: Project) -> tuple[RawLayer, list[Problem]]:
    """The raw layer but the rows of the bulk tables, and its problems (the layer is partial if any)."""
    sources, problems = load_sources(project)
    regions, p = load_regions(project)
    problems += p
    extra = bulk.regions_file(project)
    if extra.exists():
        more, p = load_regions(project, extra, regions)
        problems += p
        regions = {**regions, **more}
    metrics, p = load_metrics(project)
    problems += p
    targets, p = load_targets(project, sources, regions, metrics)
    problems += p
    facts, p = load_facts(project, sources, regions, metrics)
    problems += p
    return RawLayer(sources, regions, metrics, targets, facts), problems


def load_raw_layer(project: Project, check_bulk: bool = True) -> RawLayer:
    """The whole raw layer, validated; raises :class:`ValidationFailed` listing every problem.

    ``check_bulk`` also validates the rows of the bulk tables (in a throw-away database; the build
    validates them while loading them into the snapshot instead)."""
    raw, problems = collect_raw_layer(project)
    if check_bulk:
        problems += bulk.check(project, raw.regions, raw.metrics)
    if problems:
        raise ValidationFailed(problems)
    return raw

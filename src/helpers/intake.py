"""Adding a source: ``ktpel propose FILE --add ...`` stores an article and proposes its facts for review;
``ktpel accept`` moves the reviewed rows into ``facts.csv``.

Every step validates first, in a throw-away copy of the raw layer with the same rules as the build, and
writes only when everything holds: each file is replaced atomically, and an error while writing puts back
what was written before it. Nothing is half-written.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from helpers import atomic
from helpers.problems import Problem, UsageError, ValidationFailed
from helpers.project import Project
from helpers.raw.articles import Published
from helpers.raw.facts import FACT_COLUMNS, collect_raw_layer, load_metrics, load_regions
from helpers.raw.propose import COLUMNS, Candidate, propose
from helpers.raw.sources import load_sources, normalise_text
from helpers.raw.tables import read_rows

PROPOSED = "facts.proposed.csv"
#: The review file: ``keep`` (yes/no) decides; ``confidence`` and ``reason`` explain; the rest are facts.csv's.
PROPOSED_COLUMNS = ["keep", *FACT_COLUMNS, "confidence", "reason"]
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Added:
    source_id: str
    text_file: Path
    candidates: list[Candidate]
    rows: list[dict[str, str]]  # the review rows written to facts.proposed.csv
    notes: list[str]


def read_article(path: Path, name: str | None = None) -> str:
    """The UTF-8 text of an article; refuses a missing, empty or non-UTF-8 file naming file, line and field."""
    name = name or str(path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise UsageError(f"{name}: no such file") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ValidationFailed([Problem(name, line, "encoding", f"byte 0x{data[exc.start]:02x} is not UTF-8; "
                                        "save the article as UTF-8 text")]) from None
    if not text.strip():
        raise ValidationFailed([Problem(name, 1, "text", "the file is empty; paste the article's text into it")])
    return text


def propose_file(project: Project, path: Path, published: Published) -> tuple[list[Candidate], list[str]]:
    """Candidates for the article at ``path`` with today's regions and metrics (both must be valid)."""
    text = read_article(path)
    regions, problems = load_regions(project)
    metrics, more = load_metrics(project)
    if problems or more:
        raise ValidationFailed(problems + more)
    return propose(text, published, regions, metrics)


def proposed_rows(source_id: str, candidates: list[Candidate]) -> list[dict[str, str]]:
    """The review rows: ``keep`` is ``yes`` where region and metric are known and the confidence is not low."""
    rank = {"high": 2, "medium": 1, "low": 0}
    best: dict[tuple[str, str, str], Candidate] = {}  # facts.csv holds one value per region, metric and as_of
    for c in candidates:
        key = (c.region_code, c.metric, c.as_of)
        if key not in best or rank[c.confidence] > rank[best[key].confidence]:
            best[key] = c
    rows = []
    for c in candidates:
        good = bool(c.region_code and c.metric and c.confidence != "low")
        row = {"keep": "yes" if good and best[(c.region_code, c.metric, c.as_of)] is c else "no",
               "source_id": source_id, **c.row(), "note": INFERRED_NOTE if c.inferred else ""}
        if good and row["keep"] == "no":
            row["reason"] += "; keep=no: another row has the same region, metric and as_of"
        rows.append(row)
    return rows


def quote_cuts_number(text: str, quote: str) -> bool:
    """True when every place ``quote`` occurs in ``text`` starts or ends inside a longer number
    ("860.701 jiwa" of "2.860.701 jiwa"): the value was cut from a bigger one."""
    norm_text, norm_quote = normalise_text(text), normalise_text(quote)
    starts = [m.start() for m in re.finditer(re.escape(norm_quote), norm_text)]

    def cut(start: int) -> bool:
        end = start + len(norm_quote)
        before, after = norm_text[max(0, start - 2):start], norm_text[end:end + 2]
        return bool(norm_quote[:1].isdigit() and re.search(r"\d[.,]?$", before)
                    or norm_quote[-1:].isdigit() and re.match(r"[.,]?\d", after))
    return bool(starts) and all(cut(s) for s in starts)


def _csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _entry_yaml(entry: dict[str, object]) -> str:
    """One ``sources.yaml`` entry, indented as the file's others."""
    body = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=110)
    return "".join("  " + line if line.strip() else line for line in body.splitlines(keepends=True))


def _checked_copy(project: Project, files: dict[str, bytes]) -> list[Problem]:
    """Problems of the raw layer with ``files`` (raw-relative name -> content) replaced, in a throw-away copy
    (the bulk rows are not copied: they are not touched here)."""
    with tempfile.TemporaryDirectory(prefix="ktpel-check-") as tmp:
        copy = Project(Path(tmp))
        shutil.copytree(project.raw, copy.raw, ignore=shutil.ignore_patterns("*.parquet", "bulk"))
        bulk_regions = project.raw / "bulk" / "regions.csv"
        if bulk_regions.exists():
            (copy.raw / "bulk").mkdir()
            shutil.copy(bulk_regions, copy.raw / "bulk" / "regions.csv")
        for name, data in files.items():
            (copy.raw / name).parent.mkdir(parents=True, exist_ok=True)
            (copy.raw / name).write_bytes(data)
        _, problems = collect_raw_layer(copy)
    return problems


def _write_all(project: Project, files: dict[str, bytes | None]) -> None:
    """Replace each raw file (``None`` deletes it); on an error put back every file already replaced."""
    done: list[tuple[Path, bytes | None]] = []
    try:
        for name, data in files.items():
            path = project.raw / name
            before = path.read_bytes() if path.exists() else None
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic.write_bytes(path, data)
            done.append((path, before))
    except BaseException:
        for path, before in reversed(done):
            if before is None:
                path.unlink(missing_ok=True)
            else:
                atomic.write_bytes(path, before)
        raise


def add_source(project: Project, article: Path, published: Published, source_id: str, title: str,
               publisher: str, url: str | None, excerpt: bool, today: date) -> Added:
    """Store ``article`` as ``sources/<id>.txt`` with its ``sources.yaml`` entry and write its candidates to
    ``facts.proposed.csv`` for review."""
    if not _ID.fullmatch(source_id):
        raise UsageError(f"--source-id {source_id!r}: use lower-case letters, digits and '-' (e.g. batam-2024-06-batampos)")
    if url is not None and not re.fullmatch(r"https?://\S+", url):
        raise UsageError(f"--url {url!r} is not a web address (http:// or https://)")
    for field, value in (("--title", title), ("--publisher", publisher)):
        if not value.strip():
            raise UsageError(f"{field} is empty")
    if (project.raw / PROPOSED).exists():
        raise UsageError(f"{project.rel(project.raw / PROPOSED)} holds proposals not yet accepted: review it and run "
                         "`ktpel accept`, or delete it, before adding another source")
    text_name = f"sources/{source_id}.txt"
    if (project.raw / text_name).exists():
        raise UsageError(f"--source-id {source_id}: {project.rel(project.raw / text_name)} exists already")
    data = article.read_bytes() if article.is_file() else b""
    candidates, notes = propose_file(project, article, published)
    entry: dict[str, object] = {
        "id": source_id, "title": title.strip(), "publisher": publisher.strip(), "place": None,
        "published_on": published.text or None, "published_precision": published.precision,
        "published_not_before": None, "published_not_after": None,
        "date_note": f"Publication date as given to `ktpel propose` on {today.isoformat()}.",
        "file": text_name, "sha256": hashlib.sha256(data).hexdigest(), "language": "id",
        "url": url, "excerpt": excerpt, "notes": None,
    }
    sources_yaml = (project.raw / "sources.yaml").read_bytes().decode("utf-8-sig")
    new_yaml = sources_yaml.rstrip("\n") + "\n" + _entry_yaml(entry)
    rows = proposed_rows(source_id, candidates)
    review = _csv_text(rows, PROPOSED_COLUMNS)
    files = {text_name: data, "sources.yaml": new_yaml.encode("utf-8")}
    problems = [p for p in _checked_copy(project, files) if p.file.endswith("sources.yaml")]
    if problems:
        raise ValidationFailed(problems)
    _write_all(project, {**files, PROPOSED: review.encode("utf-8")})
    return Added(source_id, project.raw / text_name, candidates, rows, notes)


#: The note a row with an inferred date carries into facts.csv unless the reviewer gives the figure's own date.
INFERRED_NOTE = "Date inferred: the publication month (the text gives no date for this figure)"

#: How to review ``facts.proposed.csv``, said by ``ktpel propose --add``.
REVIEW_HELP = (
    "check each row against the article, then run `ktpel accept`:\n"
    "  keep      yes to move the row into facts.csv, no to drop it\n"
    "  region_code, metric   the reason column says where each came from; 'carried' ones need a look\n"
    "  as_of     rows whose reason says 'inferred' carry the publication month and a 'Date inferred' note: "
    "give the date the figure refers to if the article has one (then drop the note)\n"
    "  quote     must stay the article's exact words holding the value; qualifier must match its words\n"
    "  note      anything a reader should know")


def added_lines(project: Project, added: Added) -> list[str]:
    """What ``ktpel propose --add`` says: the files it wrote, the notes of the proposal, how to review it."""
    kept = sum(1 for row in added.rows if row["keep"] == "yes")
    return [f"stored {project.rel(added.text_file)} and its entry in {project.rel(project.raw / 'sources.yaml')}",
            f"wrote {len(added.candidates)} candidate facts to {project.rel(project.raw / PROPOSED)} "
            f"({kept} marked keep=yes, {len(added.candidates) - kept} keep=no)",
            *(f"note: {note}" for note in added.notes),
            REVIEW_HELP]


def accepted_line(project: Project, moved: int, dropped: int) -> str:
    """What ``ktpel accept`` says once it moved the reviewed rows."""
    return (f"moved {moved} reviewed facts into {project.rel(project.raw / 'facts.csv')} ({dropped} dropped); "
            f"removed {project.rel(project.raw / PROPOSED)}. Next: ktpel build")


def accept(project: Project) -> tuple[int, int]:
    """Move the ``keep=yes`` rows of ``facts.proposed.csv`` into ``facts.csv`` if the whole raw layer is valid
    with them; ``(accepted, dropped)``. Problems name the line of ``facts.proposed.csv``."""
    path = project.raw / PROPOSED
    name = project.rel(path)
    if not path.exists():
        raise UsageError(f"{name} does not exist: `ktpel propose FILE --add ...` writes it")
    rows, problems = read_rows(path, name, PROPOSED_COLUMNS, frozenset({"confidence", "reason", "note"}))
    if problems:
        raise ValidationFailed(problems)
    sources, _ = load_sources(project)
    texts = {sid: source.text for sid, source in sources.items()}
    kept: list[tuple[int, dict[str, str]]] = []
    for line, row in rows:
        if row["keep"] not in ("yes", "no"):
            problems.append(Problem(name, line, "keep", f"{row['keep']!r}: write yes (move to facts.csv) or no (drop)"))
        elif row["keep"] == "yes":
            kept.append((line, row))
            if row["source_id"] in texts and quote_cuts_number(texts[row["source_id"]], row["quote"]):
                problems.append(Problem(name, line, "quote", "starts or ends inside a longer number of the source; "
                                        "quote the whole number"))
    if problems:
        raise ValidationFailed(problems)
    facts_path = project.raw / "facts.csv"
    old = facts_path.read_bytes()
    old_text = old.decode("utf-8-sig")
    if old_text and not old_text.endswith("\n"):
        old_text += "\n"
    first_new = old_text.count("\n") + 1
    added = _csv_text([r for _, r in kept], FACT_COLUMNS).split("\n", 1)[1]
    new = (old_text + added).encode("utf-8")
    problems = _checked_copy(project, {"facts.csv": new})
    line_of = {first_new + i: line for i, (line, _) in enumerate(kept)}
    facts_name = project.rel(facts_path)

    def in_review_file(message: str) -> str:  # "as line 45" of the combined facts.csv
        return re.sub(r"\bline (\d+)", lambda m: f"line {line_of[int(m[1])]} of {PROPOSED}" if int(m[1]) in line_of
                      else f"line {m[1]} of facts.csv", message)

    mapped = [Problem(name, line_of[p.line], p.field, in_review_file(p.message))
              if p.file == facts_name and p.line in line_of else p for p in problems]
    if mapped:
        raise ValidationFailed(mapped)
    _write_all(project, {"facts.csv": new, PROPOSED: None})
    return len(kept), len(rows) - len(kept)


__all__ = ["COLUMNS", "PROPOSED", "PROPOSED_COLUMNS", "REVIEW_HELP", "Added", "accept", "accepted_line", "add_source",
           "added_lines", "propose_file", "read_article"]

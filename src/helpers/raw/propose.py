"""Propose facts from an article: every figure with the region, metric and date a reader would give it.

The reading is the one a careful reader does, written down:

- numbers: the Indonesian number reader of the build (:func:`helpers.raw.numbers.find_numbers`); dates,
  years, ages, durations and clock times ("pukul 10.30 WIB") are not figures;
- region: the nearest name or alias of ``regions.csv`` in the same clause, else before the number in the
  sentence, else the region the text was last about (carried from sentence to sentence; a dateline's place,
  "Samarinda (ANTARA) -", is not what the text is about), else after it; a target in a sentence that calls it
  national or names no region is Indonesia's (``00``);
- metric: the nearest words of the dictionary ``assets/metric_words.csv`` (same clause first; words with another
  figure of the same kind between count less), among metrics of the number's kind (percentage or count); a
  specific topic named before ("Pemilih Pemula", "KIA") wins over generic words ("perekaman"); a percentage
  that is the sum of two later ones is their total; else the metric of the previous sentence; a figure repeated
  without metric words of its own ("sudah melebihi 105 persen") is the same fact as where it was first read;
- date (``as_of``): a date written in the clause or before the number ("per 13 Juni 2024", "hingga Oktober
  2024", "tahun 2021"); else, for "saat ini", the day of the statement ("Jumat (10/1)", resolved against the
  publication date) or the publication month; else a date earlier in the paragraph; else the day or month an
  earlier figure of the same family had (recording, IKD, KIA, ...); else the month of the figures before;
  else the statement day ("Jumat (10/1)", "Rabu (19/6/)", "(9/3-2019)", "2016-10-06"); else the publication
  month, marked as inferred. A date that starts after the publication period is no figure's date; it is named
  in the notes (a plan, a target, or a wrong publication date).

Nothing is written: :func:`propose` returns candidates for a person to check.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from importlib.resources import files

from helpers.raw.articles import (
    NOT_FIGURE_AFTER,
    NOW,
    DateFound,
    Published,
    as_of_text,
    clause_bounds,
    date_spans,
    find_dates,
    region_pattern,
    safe_numbers,
    split_paragraphs,
    split_sentences,
    totals_of_parts,
)
from helpers.raw.numbers import Mention
from helpers.raw.records import Metric, Region

COLUMNS = ["region_code", "metric", "value", "unit", "qualifier", "as_of", "as_of_precision", "quote",
           "confidence", "reason"]

_YEAR = re.compile(r"(?:19|20)\d\d")
_COUNT_UNIT_AFTER = re.compile(r"\s*(?:jiwa|orang|penduduk|warga|keping|unit|lembar|KTP)", re.I)
_WORD_UNIT_AFTER = re.compile(r"\s*(?:unit|orang|jiwa|keping|lembar|buah)\b", re.I)
#: A place name that holds a region's name: "Kecamatan Belakang Padang", "Desa Batu ...".
_PLACE_BEFORE = re.compile(r"\b(?:Kecamatan|Kec\.|Kelurahan|Desa|Dusun|Kampung|Jalan|Jl\.|Pulau)(?: [A-Z]\w*){0,2} $")
_CAPITALISED_AFTER = re.compile(r" [A-Z][a-z]")
_TARGET_BEFORE = re.compile(r"\b(?:target|targetnya|ditargetkan|menargetkan)\b", re.I)
_OF = re.compile(r"\bdari\b", re.I)
#: Words that make a date the date of figures: "hingga Februari 2018", "per Juni 2013", "sampai dengan".
_UP_TO = re.compile(r"\b(?:hingga|sampai|per|posisi|data)\s+(?:dengan\s+|tanggal\s+|bulan\s+)?$", re.I)
#: A target the sentence says is national ("target nasional", "di seluruh Indonesia", "Kemendagri").
_NATIONAL = re.compile(r"\b(?:nasional|Indonesia|Kemendagri|Kementerian Dalam Negeri|Ditjen Dukcapil)\b", re.I)
#: The unit a word after a count gives it.
_UNIT_AFTER = [(re.compile(r"\s*(?:kabupaten/kota|kabupaten|kota)\b", re.I), "regions"),
               (re.compile(r"\s*kecamatan\b", re.I), "districts"), (re.compile(r"\s*(?:unit|mesin)\b", re.I), "machines"),
               (re.compile(r"\s*(?:keping|lembar)\b", re.I), "cards"), (re.compile(r"\s*permohonan\b", re.I), "requests"),
               (re.compile(r"\s*kategori\b", re.I), "categories"),
               (re.compile(r"\s*(?:jiwa|orang|penduduk|warga)\b", re.I), "persons")]
#: "dua kabupaten/kota tersebut", "keduanya": the regions the text named together just before.
_GROUP_REFERENCE = re.compile(r"\b(?:(?:dua|tiga|kedua|ketiga)\s+(?:kabupaten/kota|kabupaten|kota|daerah)\s+(?:tersebut|itu)"
                              r"|keduanya|ketiganya)\b", re.I)


@dataclass(frozen=True)
class Cue:
    metric: str
    kind: str  # count | percent
    family: str  # metrics of one family share the date a text gives one of them (recording, ikd, kia, ...)
    strong: bool
    pattern: re.Pattern[str]


@dataclass
class Candidate:
    region_code: str
    metric: str
    value: str
    unit: str
    qualifier: str
    as_of: str
    as_of_precision: str
    quote: str
    confidence: str
    reason: str
    score: int = field(default=0, compare=False)
    inferred: bool = field(default=False, compare=False)  # as_of is the publication month, not the text's date

    def row(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in COLUMNS}


def load_cues() -> list[Cue]:
    """The metric dictionary (``helpers/assets/metric_words.csv``)."""
    text = (files("helpers") / "assets" / "metric_words.csv").read_text(encoding="utf-8")
    return [Cue(r["metric"], r["kind"], r["family"], r["strength"] == "strong",
                re.compile(rf"(?<!\w)(?:{r['words'] or '(?!)'})(?!\w)", re.I))
            for r in csv.DictReader(text.splitlines())]


@dataclass
class _Reader:
    """What a reader carries from sentence to sentence."""

    region: tuple[str, str] | None = None  # (code, written form)
    group: list[_Hit] = field(default_factory=list)  # kabupaten/kota named together ("PPU dan Bontang")
    month_date: DateFound | None = None  # the last month a figure was dated ("hingga Oktober 2024")
    next_statement: DateFound | None = None  # the statement date of the next paragraph
    metric: dict[str, str] = field(default_factory=dict)  # kind -> metric of the previous sentence
    metric_dates: dict[str, DateFound] = field(default_factory=dict)  # family -> the date its figures had
    statement: DateFound | None = None
    paragraph_date: DateFound | None = None
    figures: dict[tuple[Decimal, bool], Candidate] = field(default_factory=dict)  # each figure as first read


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    label: str  # metric id or region code
    text: str
    strong: bool = True


def _distance(hit: _Hit, m: Mention) -> tuple[int, bool]:
    after = hit.start >= m.end
    return (hit.start - m.end if after else max(0, m.start - hit.end)), after


def _score(hit: _Hit, m: Mention, clause: tuple[int, int], others: list[Mention], sentence: str = "") -> int:
    dist, after = _distance(hit, m)
    score = dist + (0 if hit.strong else 60)
    if _OF.search(sentence[hit.end:m.start] if not after else sentence[m.end:hit.start]):
        score += 40  # "X yang telah merekam dari total Y wajib KTP": words across "dari" describe the other
    if after and dist <= 2 and not hit.strong:
        score += 50  # "2.110.581 penduduk": the word right after a count is its unit more than its metric
    if not (clause[0] <= hit.start < clause[1]):
        score += 300
    if after and dist > 12:
        score += 15
    lo, hi = (m.end, hit.start) if after else (hit.end, m.start)
    if any(lo <= o.start and o.end <= hi for o in others if o is not m and o.is_percent == m.is_percent):
        score += 400  # another figure of the same kind stands between: the words are more likely its own
    return score


def _hits(sentence: str, pattern: re.Pattern[str], label: str, strong: bool = True) -> list[_Hit]:
    return [_Hit(m.start(), m.end(), label, m.group(0), strong) for m in pattern.finditer(sentence)]


def _longest(hits: list[_Hit]) -> list[_Hit]:
    """Drop hits inside a longer one ("belum melakukan perekaman" hides its "perekaman")."""
    return [h for h in hits if not any(o is not h and o.start <= h.start and h.end <= o.end
                                       and (o.end - o.start) > (h.end - h.start) for o in hits)]


def _is_figure(sentence: str, m: Mention, skip: list[tuple[int, int]]) -> bool:
    if any(m.start < e and s < m.end for s, e in skip):
        return False
    if m.is_percent:
        return True
    after = sentence[m.end:m.end + 20]
    if _YEAR.fullmatch(m.text) and not _COUNT_UNIT_AFTER.match(after):
        return False
    return not NOT_FIGURE_AFTER.match(after)


def _value_text(m: Mention) -> str:
    if m.is_percent:
        return f"{m.value:.{m.decimals}f}"
    value = m.value
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")


def _quote(sentence: str, parts: list[tuple[int, int]]) -> str:
    start, end = min(p[0] for p in parts), max(p[1] for p in parts)
    while start > 0 and not sentence[start - 1].isspace():
        start -= 1
    while end < len(sentence) and not sentence[end].isspace():
        end += 1
    quote = sentence[start:end].strip().strip(",.;:\"'\u201c\u201d\u2018\u2019")
    while quote.startswith("(") and ")" not in quote or quote.startswith(")"):
        quote = quote[1:].lstrip()
    while quote.endswith(")") and "(" not in quote or quote.endswith("("):
        quote = quote[:-1].rstrip()
    return quote.strip(",.;:\"'\u201c\u201d\u2018\u2019")


def _qualifier(sentence: str, m: Mention) -> tuple[str, int]:
    from helpers.raw.facts import _QUALIFIER_WORDS

    before = sentence[max(0, m.start - 30):m.start]
    for qualifier, pattern in _QUALIFIER_WORDS:
        found = pattern.search(before)
        if found:
            return qualifier, m.start - len(before) + found.start()
    return "exact", m.start


def _inside_other_name(sentence: str, hit: _Hit) -> bool:
    """A region name inside another place name: "Kecamatan Belakang Padang", "Batu Ampar", "Batam Kota"."""
    if _PLACE_BEFORE.search(sentence[max(0, hit.start - 40):hit.start]):
        return True
    return " " not in hit.text and bool(_CAPITALISED_AFTER.match(sentence, hit.end))


_DATELINE_AFTER = re.compile(r"\s*(?:\([^)]{0,40}\)\s*)?[-\u2013\u2014]\s")


def _is_dateline(sentence: str, hit: _Hit) -> bool:
    """The place an article was written, "Samarinda (ANTARA) - ...": not what the text is about."""
    return not sentence[:hit.start].strip() and bool(_DATELINE_AFTER.match(sentence, hit.end))


_OUTLET = re.compile(r"\((?:ANTARA|Antaranews|Antara)\b[^)]*$")
#: A figure of the country: "secara nasional", "rata-rata nasional", "penduduk Indonesia".
_NATIONAL_FIGURE = re.compile(r"\b(?:secara nasional|rata-rata nasional|skala nasional|seluruh Indonesia)\b", re.I)


def _in_outlet_name(sentence: str, hit: _Hit) -> bool:
    """ "(ANTARA Kaltim)": the name of the outlet, not a place the text is about."""
    return bool(_OUTLET.search(sentence[max(0, hit.start - 20):hit.start]))


def _most_specific(hit: _Hit, hits: list[_Hit]) -> _Hit:
    """The kabupaten/kota named beside its province ("Kota Batam, Kepulauan Riau (Kepri)") is the subject."""
    children = [h for h in hits if h.label.startswith(hit.label + ".")]
    return children[-1] if children else hit


def _region_for(m: Mention, sentence: str, clause: tuple[int, int], hits: list[_Hit], reader: _Reader
                ) -> list[tuple[str, str, _Hit | None]]:
    """``[(region_code, why, hit)]`` for figure ``m``: one, or each region of a group the sentence refers to."""
    near = [h for h in hits if h.label != "00" or clause[0] <= h.start < clause[1]]
    in_clause = [h for h in near if clause[0] <= h.start < clause[1]]
    before = [h for h in near if h.end <= m.start]
    if in_clause or before:
        hit = min(in_clause or before, key=lambda h: _score(h, m, clause, []))
        national = _NATIONAL_FIGURE.search(sentence, clause[0], clause[1])
        if national and (_is_dateline(sentence, hit) or _in_outlet_name(sentence, hit)):
            # "Samarinda (ANTARA Kaltim) - ... secara nasional sudah mencapai 95,4 persen"
            return [("00", f"region 00: {national.group(0)!r}; {hit.text!r} is only the dateline", None)]
        return [(hit.label, f"region {hit.text!r} in the sentence", hit)]
    if reader.group and _GROUP_REFERENCE.search(sentence[:m.start]):
        names = " and ".join(repr(h.text) for h in reader.group)
        return [(h.label, f"region {h.text!r}: the sentence refers to {names} named before", None)
                for h in reader.group]
    if reader.region:
        return [(reader.region[0], f"region {reader.region[1]!r} carried from before", None)]
    if near:
        hit = min(near, key=lambda h: _score(h, m, clause, []))
        return [(hit.label, f"region {hit.text!r} later in the sentence", hit)]
    return [("", "no region named yet", None)]


def _metric_for(m: Mention, sentence: str, clause: tuple[int, int], hits: list[_Hit], kinds: dict[str, str],
                units: dict[str, str], figures: list[Mention], reader: _Reader) -> tuple[str, str, _Hit | None]:
    """``(metric, why, hit)`` for figure ``m``: the unit word after a count ("12 kecamatan", "1.429 keping")
    narrows the metrics to those of that unit."""
    kind = "percent" if m.is_percent else "count"
    unit = "percent" if m.is_percent else next((u for p, u in _UNIT_AFTER if p.match(sentence, m.end)), None)
    usable = [h for h in hits if kinds[h.label] == kind and unit in (None, units[h.label])]
    if unit not in (None, "percent", "persons") and not usable:
        return "", f"no metric words for a count of {unit}", None
    if not usable:
        if kind in reader.metric:
            return reader.metric[kind], "metric carried from the previous sentence", None
        return "", "no metric words found", None
    cue = min(usable, key=lambda h: _score(h, m, clause, figures, sentence))
    topic = [h for h in usable if h.strong and h.end <= m.start]
    if kind == "percent" and not cue.strong and topic:  # "Pemilih Pemula ... tertinggi ... perekaman 99,85 persen"
        cue = min(topic, key=lambda h: _score(h, m, clause, figures, sentence))
    return cue.label, f"metric from {cue.text!r}", cue


def propose(text: str, published: Published, regions: dict[str, Region], metrics: dict[str, Metric],
            cues: list[Cue] | None = None) -> tuple[list[Candidate], list[str]]:
    """Candidate facts of an article, and notes on what was left out (malformed numerals)."""
    text = unicodedata.normalize("NFKC", text)  # fullwidth digits and letters read as the ones they stand for
    cues = [c for c in (cues if cues is not None else load_cues()) if c.metric in metrics]
    kinds = {c.metric: c.kind for c in cues}
    families = {c.metric: c.family for c in cues if c.kind != "total"}
    units = {c.metric: metrics[c.metric].unit for c in cues}
    total_metrics = {c.family: c.metric for c in cues if c.kind == "total"}
    rpattern, forms = region_pattern(regions)
    found: list[Candidate] = []
    notes: list[str] = []
    reader = _Reader()
    paragraphs = [p for _, p in split_paragraphs(text)]
    latest = published.latest
    statements = [[s for _, sent in split_sentences(p) for s in find_dates(sent, published.day, latest)[1]]
                  for p in paragraphs]
    later: list[DateFound] = []  # dates after the publication period: a plan, a target, or a wrong --published
    for number, paragraph in enumerate(paragraphs):
        reader.paragraph_date = None
        reader.next_statement = next(iter(statements[number + 1]), None) if number + 1 < len(paragraphs) else None
        for _, sentence in split_sentences(paragraph):
            mentions, bad = safe_numbers(sentence)
            notes += [f"not read as a number (not Indonesian style): {b!r} in {sentence.strip()[:80]!r}" for b in bad]
            data_dates, sentence_statements = find_dates(sentence, published.day, latest, later)
            region_hits = [_Hit(h.start, h.end, forms[h.text], h.text) for h in _hits(sentence, rpattern, "")
                           if not _inside_other_name(sentence, h)]
            cue_hits = [h for kind in ("count", "percent") for h in _longest(
                [h for c in cues if c.kind == kind for h in _hits(sentence, c.pattern, c.metric, c.strong)])]
            skip = date_spans(sentence) + [(h.start, h.end) for h in region_hits]
            figures = [m for m in mentions if _is_figure(sentence, m, skip)]
            sentence_metrics: dict[str, str] = {}
            totals = totals_of_parts(figures)
            for m in figures:
                if not m.text[0].isdigit() and not _WORD_UNIT_AFTER.match(sentence[m.end:m.end + 12]):
                    continue  # a number word that counts no unit: "dua kabupaten/kota", "satu sekolah"
                clause = clause_bounds(sentence, m.start)
                metric, metric_why, cue = _metric_for(m, sentence, clause, cue_hits, kinds, units, figures, reader)
                if m.start in totals and families.get(metric) in total_metrics:
                    metric = total_metrics[families[metric]]
                    metric_why = f"metric: {m.text!r} is the sum of the two figures after it"
                earlier = reader.figures.get((m.value, m.is_percent)) if cue is None else None
                if earlier is not None and not (m.is_percent and m.value == 100):  # "sudah melebihi 105 persen" again
                    metric, metric_why = earlier.metric, f"the same figure as {earlier.quote!r} before"
                    as_of, precision, date_why, inferred = earlier.as_of, earlier.as_of_precision, "as_of as before", False
                    places: list[tuple[str, str, _Hit | None]] = [(earlier.region_code, "region as before", None)]
                else:
                    as_of, precision, date_why, inferred = _date_for(
                        m, sentence, clause, data_dates, reader, families.get(metric, ""), published,
                        sentence_statements or statements[number])
                    places = _region_for(m, sentence, clause, region_hits, reader)
                target = _TARGET_BEFORE.search(sentence[clause[0]:m.start])
                if target and (_NATIONAL.search(sentence) or not region_hits):
                    # "target nasional tahun 2024 adalah 60,00 persen", "target IKD Tahun 2024 sebesar 30 persen"
                    places = [("00", f"region 00: {target.group(0)!r} before it in a sentence that "
                                     + ("says it is national" if _NATIONAL.search(sentence) else "names no region")
                                     + ", a national target", None)]
                qualifier, qstart = _qualifier(sentence, m)
                unit = metrics[metric].unit if metric else ("percent" if m.is_percent else "")
                for region_code, region_why, region_hit in places:
                    parts = [(qstart, m.end)] + [(h.start, h.end) for h in (cue, region_hit)
                                                 if h is not None and clause[0] <= h.start < clause[1]]
                    doubts = [not metric, not region_code, inferred, region_hit is None]
                    confidence = "high" if not any(doubts) else "medium" if sum(doubts) == 1 and metric else "low"
                    target = _TARGET_BEFORE.search(sentence[clause[0]:m.start])
                    if target:  # "target nasional tahun 2024 adalah 60,00 persen"
                        confidence = "low"
                    found.append(Candidate(region_code, metric, _value_text(m), unit, qualifier, as_of, precision,
                                           _quote(sentence, parts), confidence,
                                           "; ".join([region_why, metric_why, date_why]
                                                     + ([f"{target.group(0)!r} before it: a target, not a figure?"]
                                                        if target else [])),
                                           {"high": 2, "medium": 1, "low": 0}[confidence], inferred))
                if metric:
                    sentence_metrics["percent" if m.is_percent else "count"] = metric
                    reader.figures.setdefault((m.value, m.is_percent), found[-1])
            reader.metric = sentence_metrics or reader.metric
            real = [h for h in region_hits if h.label != "00"]
            if real:
                subject = [h for h in real if not _is_dateline(sentence, h)] or real
                last = _most_specific(subject[-1], subject)
                reader.region = (last.label, last.text)
            local = [h for h in real if "." in h.label]
            if len({h.label for h in local}) >= 2:
                reader.group = local
            if data_dates:
                reader.paragraph_date = max(data_dates, key=lambda d: d.start)
                said = reader.paragraph_date
                if (said.precision == "month" and not any(m.text[0].isdigit() for m in figures)
                        and _UP_TO.search(sentence[max(0, said.start - 20):said.start])):
                    reader.month_date = said  # "hingga Februari 2018", said of the figures after it
            if sentence_statements:
                reader.statement = sentence_statements[-1]
    for text_of_date in dict.fromkeys(d.text for d in later):  # each date once, in the order of the text
        notes.append(f"{text_of_date!r} is after the publication date {published.text} (--published): not read as "
                     "the date of a figure (a plan or a target?); if the article is later, correct --published")
    return _dedupe(found), notes


def _date_for(m: Mention, sentence: str, clause: tuple[int, int], data_dates: list[DateFound], reader: _Reader,
              family: str, published: Published, statements: list[DateFound]) -> tuple[str, str, str, bool]:
    """``(as_of, precision, why, inferred)`` for figure ``m`` (see the module's docstring for the order)."""
    usable = [d for d in data_dates if clause[0] <= d.start < clause[1] or d.end <= m.start]
    now = NOW.search(sentence)
    chosen: DateFound | None = None
    if usable:
        chosen = min(usable, key=lambda d: abs(d.start - m.start))
        why = f"as_of from {chosen.text!r}"
    elif now and (statements or reader.next_statement or reader.statement):  # "saat ini" of a dated interview
        d = statements[-1] if statements else reader.next_statement or reader.statement
        assert d is not None
        return d.start_date.isoformat(), "day", f"as_of: {now.group(0)!r} on {d.text!r}", False
    elif now and published.day is not None:
        text, precision = published.as_of()
        return text, precision, f"as_of: {now.group(0)!r} = the publication month", False
    elif reader.paragraph_date is not None:
        chosen, why = reader.paragraph_date, f"as_of from {reader.paragraph_date.text!r} earlier in the paragraph"
    elif family in reader.metric_dates:
        chosen = reader.metric_dates[family]
        why = f"as_of from {chosen.text!r}, the date of an earlier {family} figure"
    elif reader.month_date is not None:
        chosen, why = reader.month_date, f"as_of from {reader.month_date.text!r}, the month of the figures before"
    if chosen is not None:
        if family and chosen.precision in ("day", "month"):
            reader.metric_dates[family] = chosen
        if chosen.precision == "month":
            reader.month_date = chosen
        return as_of_text(chosen), chosen.precision, why, False
    statement = (statements[-1] if statements else None) or reader.statement
    if statement is not None:
        return statement.start_date.isoformat(), "day", f"as_of: the statement date {statement.text!r}", False
    text, precision = published.as_of()
    if precision == "unknown":
        return "", "unknown", "as_of unknown: no date in the text and the publication date is unknown", False
    return text, precision, "as_of inferred: the publication month (no date in the text)", True


def _dedupe(found: list[Candidate]) -> list[Candidate]:
    """One candidate per (region, metric, value, as_of): the most confident, else the first."""
    best: dict[tuple[str, str, str, str], Candidate] = {}
    for c in found:
        key = (c.region_code, c.metric, c.value, c.as_of)
        if key not in best or c.score > best[key].score:
            best[key] = c
    keep = {id(c) for c in best.values()}
    return [c for c in found if id(c) in keep]



"""Reading an article's text: paragraphs, sentences and clauses, the numbers in it, and the dates it writes
("per 13 Juni 2024", "hingga Oktober 2024", "tahun 2021", "Jumat (10/1)"), resolved against the publication date.
Used by :mod:`helpers.raw.propose`; writes nothing."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from helpers.raw.numbers import Mention, NumberFormatError, find_numbers, parse_numeral
from helpers.raw.records import Region

MONTHS = {"januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "maret": 3, "mar": 3, "april": 4,
          "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "agustus": 8, "agu": 8, "agt": 8,
          "agus": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11,
          "nopember": 11, "nov": 11, "desember": 12, "des": 12}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH})\.?\s+((?:19|20)\d\d)\b", re.I)
_MONTH_DATE = re.compile(rf"\b({_MONTH})\.?\s+((?:19|20)\d\d)\b", re.I)
_YEAR_DATE = re.compile(r"\b(?:tahun|akhir|awal|semester \w+ tahun|pada|sepanjang|selama)\s+((?:19|20)\d\d)\b", re.I)
#: Editorial notes of a stored excerpt ("[Headline not in the stored excerpt; ...]", "[...]"): not the article.
_EDITORIAL = re.compile(r"\[[^\]]*\]")
#: Statement days: "(10/1)", "(19/6/2024)", "(10/1/23)", "(19/6/)" (year left out), "(9/3-2019)" (a dateline's
#: dash), "10/1/2025".
_STATEMENT = re.compile(r"\((\d{1,2})/(\d{1,2})(?:[/-]((?:19|20)?\d\d)|/)?\)|\b(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)\b")
NOW = re.compile(r"\b(?:hingga |sampai |sampai dengan )?(?:saat ini|kini|sekarang)\b", re.I)
NOT_FIGURE_AFTER = re.compile(r"\s*(?:(?:-|hingga|sampai|atau)\s*\d+\s*)?(?:tahun|hari|bulan|minggu|pekan|jam|menit|kali|tahap)\b"
                               r"|:\d|\s*(?:wib|wita|wit|am|pm)\b", re.I)
#: Day and month without a year ("per 13 Juni").
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH})\b(?!\.?\s+(?:19|20)\d\d)", re.I)
#: Clock times are never figures: "pukul 10.30 WIB", "10.30 Wita", "pukul 08.00-16.00", "jam 9 pagi", "1:06pm".
_ZONE = r"(?:wib|wita|wit|am|pm|pagi|siang|sore|malam)\b"
_HOUR = r"\d{1,2}(?:[.:]\d{2})?"
CLOCK = re.compile(rf"\b(?:pukul|jam|pkl\.?)\s+{_HOUR}(?:\s*(?:-|\u2013|s/d|hingga|sampai(?: dengan)?)\s*(?:pukul\s+)?{_HOUR})?"
                   rf"(?:\s*{_ZONE})?|\b\d{{1,2}}[.:]\d{{2}}(?:\s*(?:-|\u2013|s/d|hingga|sampai)\s*\d{{1,2}}[.:]\d{{2}})?\s*{_ZONE}"
                   r"|\b\d{1,2}:\d{2}(?::\d{2})?\b", re.I)
#: A date written the ISO way, as in a page's dateline ("2016-10-06 05:00:05"): a statement day.
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_CLAUSE_BREAK = re.compile(r",\s|;\s|\s(?:sedangkan|sementara|serta|namun|dan)\s(?!Pencatatan|Catatan)", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019]?\s+(?=[\"'\u201c\u2018(]?[A-Z])")
_NUMERAL = re.compile(r"(?<![\w.,])\d[\d.,]*\d|(?<![\w.,])\d")


@dataclass(frozen=True)
class DateFound:
    start: int
    end: int
    text: str
    precision: str
    start_date: date


def _spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def split_paragraphs(text: str) -> list[tuple[int, str]]:
    """Non-empty lines with their offsets (the stored texts keep one paragraph per line)."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            out.append((pos, line.rstrip("\r\n")))
        pos += len(line)
    return out


def split_sentences(paragraph: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        out.append((pos, paragraph[pos:m.start()]))
        pos = m.end()
    out.append((pos, paragraph[pos:]))
    return [(p, s) for p, s in out if s.strip()]


def clause_bounds(sentence: str, at: int) -> tuple[int, int]:
    """The clause of ``sentence`` that holds position ``at``."""
    start, end = 0, len(sentence)
    for m in _CLAUSE_BREAK.finditer(sentence):
        if m.end() <= at:
            start = m.end()
        elif m.start() >= at:
            end = m.start()
            break
    return start, end


def safe_numbers(text: str) -> tuple[list[Mention], list[str]]:
    """The numbers of ``text``; malformed numerals (``391,544``, ``10.00``) are left out and named."""
    bad: list[str] = []
    masked = CLOCK.sub(lambda m: " " * len(m.group(0)), text)  # "pukul 10.30" is a time, not a malformed numeral
    while True:
        try:
            return find_numbers(masked), bad
        except NumberFormatError:
            for m in _NUMERAL.finditer(masked):
                try:
                    parse_numeral(m.group(0))
                except NumberFormatError:
                    bad.append(m.group(0))
                    masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
                    break
            else:  # pragma: no cover - find_numbers raised on nothing we can find
                return [], bad


def find_dates(sentence: str, published: date | None, latest: date | None = None,
               later: list[DateFound] | None = None) -> tuple[list[DateFound], list[DateFound]]:
    """Data dates ("13 Juni 2024", "Oktober 2024", "tahun 2021") and statement dates ("(10/1)").

    ``latest`` is the end of the publication period (``published`` itself when not given): a day without a year
    is the latest such day not after it, and a date starting after it is no date a figure refers to; such dates
    are appended to ``later`` (a plan or a target, or a wrong publication date)."""
    latest = latest or published
    data: list[DateFound] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _DAY_DATE.finditer(sentence):
        try:
            d = date(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
        except ValueError:
            continue
        data.append(DateFound(m.start(), m.end(), m.group(0), "day", d))
        taken.append((m.start(), m.end()))
    for m in _DAY_MONTH.finditer(sentence):
        if published is None or not free(m.start(), m.end()):
            continue
        assert latest is not None
        try:
            d = date(latest.year, MONTHS[m[2].lower()], int(m[1]))
            if d > latest:
                d = date(latest.year - 1, d.month, d.day)
        except ValueError:
            continue
        data.append(DateFound(m.start(), m.end(), m.group(0), "day", d))
        taken.append((m.start(), m.end()))
    for m in _MONTH_DATE.finditer(sentence):
        if free(m.start(), m.end()):
            data.append(DateFound(m.start(), m.end(), m.group(0), "month", date(int(m[2]), MONTHS[m[1].lower()], 1)))
            taken.append((m.start(), m.end()))
    for m in _YEAR_DATE.finditer(sentence):
        if free(m.start(1), m.end(1)):
            data.append(DateFound(m.start(), m.end(), m.group(0), "year", date(int(m[1]), 1, 1)))
            taken.append((m.start(), m.end()))
    statements: list[DateFound] = []
    for m in _ISO_DATE.finditer(sentence):
        try:
            d = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
        if latest is None or d <= latest:
            statements.append(DateFound(m.start(), m.end(), m.group(0), "day", d))
        elif later is not None:
            later.append(DateFound(m.start(), m.end(), m.group(0), "day", d))
    for m in _STATEMENT.finditer(sentence):
        day, month, year = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        try:
            if year:
                d = date(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
            elif latest is None:
                continue
            else:
                d = date(latest.year, int(month), int(day))
                if d > latest:
                    d = date(latest.year - 1, int(month), int(day))
        except ValueError:
            continue
        found = DateFound(m.start(), m.end(), m.group(0), "day", d)
        if latest is None or d <= latest:  # a later day is not when the article's statement was made
            statements.append(found)
        elif later is not None:
            later.append(found)
    if latest is not None:  # a date after publication is a target or a plan, not what a figure refers to
        if later is not None:
            later += [d for d in data if d.start_date > latest]
        data = [d for d in data if d.start_date <= latest]
    return data, statements


def date_spans(sentence: str) -> list[tuple[int, int]]:
    """Where dates and times are written: their numbers are no figures."""
    patterns = (_DAY_DATE, _MONTH_DATE, _YEAR_DATE, _STATEMENT, _ISO_DATE, _DAY_MONTH, CLOCK, _EDITORIAL)
    return [(m.start(), m.end()) for p in patterns for m in p.finditer(sentence)]


def as_of_text(d: DateFound) -> str:
    return {"day": d.start_date.isoformat(), "month": d.start_date.isoformat()[:7],
            "year": str(d.start_date.year)}[d.precision]


@dataclass(frozen=True)
class Published:
    """The publication date as the user gives it: ``2024-06-21`` (day), ``2024-06``, ``2024`` or unknown."""

    text: str
    precision: str
    day: date | None  # the date used to resolve "(10/1)" and "saat ini" (the first day of a month or year)

    @property
    def latest(self) -> date | None:
        """The last day of the publication period: no figure of the article can refer to a later date."""
        if self.day is None:
            return None
        if self.precision == "year":
            return date(self.day.year, 12, 31)
        if self.precision == "month":
            return date(self.day.year, self.day.month, calendar.monthrange(self.day.year, self.day.month)[1])
        return self.day

    def as_of(self) -> tuple[str, str]:
        """The publication period as ``(as_of, precision)`` at most month-precise (the inferred date)."""
        if self.day is None:
            return "", "unknown"
        if self.precision == "year":
            return str(self.day.year), "year"
        return self.day.isoformat()[:7], "month"


def parse_published(text: str, today: date) -> Published:
    """``--published``: ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY`` or ``unknown``; ValueError saying what is wrong."""
    from helpers.raw.dates import parse_period

    text = text.strip()
    if text.lower() == "unknown":
        return Published("", "unknown", None)
    precision = {10: "day", 7: "month", 4: "year"}.get(len(text))
    if precision is None:
        raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD (or YYYY-MM, YYYY, unknown)")
    period = parse_period(text, precision)
    assert period.start is not None
    if period.start > today:
        raise ValueError(f"{text} is in the future (today is {today.isoformat()})")
    return Published(text, precision, period.start)


def totals_of_parts(figures: list[Mention]) -> set[int]:
    """Positions of percentages that are the sum of two later ones of the sentence: "105 persen, karena
    ... 98 persen dan ... 7 persen" states a total and its parts."""
    percents = [m for m in figures if m.is_percent]
    return {m.start for i, m in enumerate(percents) for j, a in enumerate(percents[i + 1:], i + 1)
            for b in percents[j + 1:] if a.value + b.value == m.value}


def region_pattern(regions: dict[str, Region]) -> tuple[re.Pattern[str], dict[str, str]]:
    """A pattern for every name and alias (case-sensitive: regions are proper nouns; ``SIAK`` is not Siak),
    longest first so that "Bangka Tengah" wins over "Bangka"; and the code of each written form."""
    forms: dict[str, str] = {}
    for region in regions.values():
        for form in (region.name, *region.aliases):
            forms.setdefault(form, region.code)
            if len(form) >= 5:  # datelines and headlines: "BATAM, IsuKepri.Com -"
                forms.setdefault(form.upper(), region.code)
    alternation = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])"), forms

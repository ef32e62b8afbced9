"""Where a quote stands in its source, and what the text around its figure says: the figure's sentence,
the region named closest to it, the words of its metric.

Positions are in :func:`paragraph_text` of the source: each paragraph (blank-line separated) normalised
like a quote (:func:`helpers.raw.sources.normalise_text`), paragraphs joined by a newline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from helpers.raw.records import Region
from helpers.raw.sources import normalise_text

#: Mentions of regions joined by these name one group ("PPU dan Bontang"): a figure stated for both.
#: Between regions named together: "PPU dan Bontang", "Kutai Kartanegara (Kukar) dan Malinau" (an alias in brackets).
_JOINED = re.compile(r"\s*\)?\s*(?:,|dan|serta|&|,\s*dan|,\s*serta|\()\s*")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*(?:\s+(?=[\"'\u201c(]?[A-Z0-9])|$)|\n")
#: Words that name the country as a whole in a source, besides the national region's own names.
NATIONAL_WORDS = ("nasional", "Nasional", "NASIONAL")


@cache
def paragraph_text(text: str) -> str:
    """``text`` normalised paragraph by paragraph, the paragraphs joined by ``\\n``."""
    return "\n".join(p for p in (normalise_text(x) for x in re.split(r"\n\s*\n", text)) if p)


def _inside_token(text: str, pos: int, step: int) -> bool:
    """Whether the character on the ``step`` side of ``pos`` continues the word or number at ``pos``."""
    i = pos - 1 if step < 0 else pos
    if not 0 <= i < len(text):
        return False
    c = text[i]
    if c.isalnum():
        return True
    j = i + step  # "926.654", "100,10": a separator between digits joins them
    return c in ".," and 0 <= j < len(text) and text[j].isdigit()


def whole_occurrences(text: str, quote: str) -> list[int]:
    """Starts of ``quote`` in ``text`` where it neither starts nor ends inside a word or number
    ("5 persen" is not in "105 persen", "0,10 persen" not in "100,10 persen")."""
    found, start = [], text.find(quote)
    while start >= 0:
        end = start + len(quote)
        if not (quote[0].isalnum() and _inside_token(text, start, -1)) and \
                not (quote[-1].isalnum() and _inside_token(text, end, 1)):
            found.append(start)
        start = text.find(quote, start + 1)
    return found


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) of ``text`` holding ``text[start:end]``."""
    begin = max([m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= start] or [0])
    after = _SENTENCE_END.search(text, end)
    return begin, after.start() if after else len(text)


def paragraph_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The paragraph(s) of ``text`` holding ``text[start:end]``."""
    after = text.find("\n", end)
    return text.rfind("\n", 0, start) + 1, len(text) if after < 0 else after


def level_group(level: str) -> str:
    return "kabupaten/kota" if level in ("kabupaten", "kota") else level


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    code: str


class RegionNames:
    """Every name, bare name ("Batam" for "Kota Batam") and alias of the regions, found in texts."""

    def __init__(self, regions: Iterable[Region]):
        self.regions = {r.code: r for r in regions}
        names: dict[str, str] = {}
        for r in self.regions.values():
            bare = re.sub(r"^(Provinsi|Kabupaten|Kota|Kab\.)\s+", "", r.name)
            for name in (r.name, bare, *r.aliases):
                names.setdefault(name, r.code)
            if r.level == "nasional":
                for word in NATIONAL_WORDS:
                    names.setdefault(word, r.code)
        self.names = names
        ordered = sorted(names, key=len, reverse=True)
        self.upper = {n.upper(): c for n, c in names.items()}
        alternatives = "|".join(re.escape(n) for n in ordered)
        self._pattern = re.compile(rf"(?<!\w)({alternatives})(?!\w)") if ordered else None
        # a news dateline in capitals at the start of a paragraph: "BATAM, IsuKepri.Com -", "BATAM | SERANTAUMEDIA"
        self._seen: dict[str, list[Mention]] = {}
        self._dateline = re.compile(r"(?m)^([A-Z][A-Z ]+?)(?=\s*[,|(\u2014-])")

    def mentions(self, text: str) -> list[Mention]:
        if text not in self._seen:
            self._seen[text] = self._mentions(text)
        return self._seen[text]

    def _mentions(self, text: str) -> list[Mention]:
        if self._pattern is None:
            return []
        found = [Mention(m.start(), m.end(), self.names[m.group(1)]) for m in self._pattern.finditer(text)]
        found += [Mention(m.start(), m.end(), self.upper[m.group(1)]) for m in self._dateline.finditer(text)
                  if m.group(1) in self.upper and m.group(1) not in self.names]
        return sorted(found, key=lambda m: m.start)

    def level(self, code: str) -> str:
        return level_group(self.regions[code].level)

    def closest(self, text: str, pos: int, level: str) -> set[str]:
        """The region(s) of ``level`` named closest to the figure at ``pos``: the last one named before it
        in its sentence, else the first after it in its sentence, else the last before its sentence,
        else the first after it in its paragraph.  Regions joined by "dan" or "," count together."""
        found = [m for m in self.mentions(text) if self.level(m.code) == level]
        begin, end = sentence_span(text, pos, pos)
        para_end = text.find("\n", pos)
        para_end = len(text) if para_end < 0 else para_end
        pick = ([i for i, m in enumerate(found) if begin <= m.start < pos][-1:]
                or [i for i, m in enumerate(found) if pos <= m.start < end][:1]
                or [i for i, m in enumerate(found) if m.start < begin][-1:]
                or [i for i, m in enumerate(found) if pos <= m.start < para_end][:1])
        if not pick:
            return set()
        lo = hi = pick[0]
        while lo > 0 and _JOINED.fullmatch(text[found[lo - 1].end:found[lo].start]):
            lo -= 1
        while hi + 1 < len(found) and _JOINED.fullmatch(text[found[hi].end:found[hi + 1].start]):
            hi += 1
        return {m.code for m in found[lo:hi + 1]}

    def label(self, codes: Iterable[str]) -> str:
        return " and ".join(f"{self.regions[c].name} ({c})" for c in sorted(codes))


def metric_words_in(sentence: str, words: tuple[str, ...]) -> bool:
    """Whether any of ``words`` (case-insensitive, as a part of a word: "rekam" in "perekaman") is in ``sentence``."""
    folded = sentence.casefold()
    return any(w.casefold() in folded for w in words)

"""Indonesian numerals: parse them out of text and format numbers back.

Indonesian writes ``1.294.548`` for one million two hundred ninety-four thousand
five hundred forty-eight and ``99,54`` for ninety-nine point five four.  English
style (``1,294,548`` / ``99.54``) is produced on request for English reports.

>>> parse_number("926.654")
Decimal('926654')
>>> parse_number("100,10 persen")
Decimal('100.10')
>>> parse_number("2,2 juta")
Decimal('2200000.0')
>>> format_number(1294548)
'1.294.548'
>>> format_percent(99.54)
'99,54 %'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

Lang = Literal["id", "en"]

#: Scale words that multiply the number before them ("2,2 juta").
SCALES: dict[str, int] = {"ribu": 1_000, "juta": 1_000_000, "miliar": 1_000_000_000, "triliun": 10**12}
#: Digits written as words ("masing-masing dua unit").
UNIT_WORDS: dict[str, int] = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6,
    "tujuh": 7, "delapan": 8, "sembilan": 9,
}
#: Whole numbers written as one word.
WORDS: dict[str, int] = {**UNIT_WORDS, "sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000}
#: Words that multiply the digit word before them ("dua puluh", "tiga belas" = 3 + 10, "lima ratus").
_TIMES = {"puluh": 10, "ratus": 100}
PERCENT_WORDS = ("persen", "%", "per sen")

# A numeral: digits with '.' thousands groups and an optional ',' decimal part,
# or any run of digits, dots and commas (so that malformed ones can be reported).
_NUMERAL = r"[0-9][0-9.,]*[0-9]|[0-9]"
_MENTION = re.compile(
    rf"(?<![\w.,])(?P<num>{_NUMERAL})(?P<tail>\s*(?:%|persen\b|per\s+sen\b))?"
    rf"(?:\s+(?P<scale>{'|'.join(SCALES)})\b)?",
    re.IGNORECASE,
)
_WORD_TOKENS = [*WORDS, "belas", *_TIMES, *SCALES]
_WORD_TOKEN = rf"(?:{'|'.join(sorted(_WORD_TOKENS, key=len, reverse=True))})"
_WORD = re.compile(rf"\b(?P<word>{_WORD_TOKEN}(?:\s+{_WORD_TOKEN})*)\b(?P<tail>\s+persen\b)?", re.IGNORECASE)
_GROUPED = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_PLAIN = re.compile(r"[0-9]+(?:,[0-9]+)?")


class NumberFormatError(ValueError):
    """A numeral that does not follow Indonesian conventions."""


@dataclass(frozen=True)
class Mention:
    """A number found in a text, with where it stands."""

    value: Decimal
    decimals: int
    is_percent: bool
    text: str
    start: int
    end: int
    #: Decimal exponent of a scale word after the numeral ("2,2 juta": 6); 0 without one.
    scale_exponent: int = 0

    @property
    def value_decimals(self) -> int:
        """Decimals a value read from this mention is written with: ``100,10`` -> 2, ``2,2 juta`` -> 0."""
        return max(0, self.decimals - self.scale_exponent)


def words_value(words: str) -> list[tuple[int, int, int]]:
    """Numbers written as words in ``words`` (a run of number words) as ``(value, start, end)``:
    "dua puluh lima" -> 25, "satu juta" -> 1000000, "seratus dua puluh tiga ribu" -> 123000.
    A digit word right after another ("dua tiga") starts a new number."""
    out: list[tuple[int, int, int]] = []
    total = current = last = 0
    begin = end = -1
    for m in re.finditer(r"\S+", words):
        token = m.group(0).lower()
        if token in UNIT_WORDS and begin >= 0 and last:
            out.append((total + current + last, begin, end))
            total = current = last = 0
            begin = -1
        if begin < 0:
            if token in ("belas", *_TIMES, *SCALES):
                continue  # a multiplier without a number before it: not a number
            begin = m.start()
        end = m.end()
        if token in UNIT_WORDS:
            last = UNIT_WORDS[token]
        elif token == "belas":
            current, last = current + last + 10, 0
        elif token in _TIMES:
            current, last = current + last * _TIMES[token], 0
        elif token in SCALES:
            total, current, last = total + (current + last or 1) * SCALES[token], 0, 0
        else:
            current += WORDS[token]
    if begin >= 0:
        out.append((total + current + last, begin, end))
    return out


def parse_numeral(numeral: str) -> tuple[Decimal, int]:
    """Parse one Indonesian numeral (no unit) into its value and number of decimals.

    Raises :class:`NumberFormatError` with a reason for anything else, such as
    ``1.234,5,6`` (two decimal commas) or ``99.54`` (an English decimal point).
    """
    s = numeral.strip()
    if _GROUPED.fullmatch(s) or _PLAIN.fullmatch(s):
        integer, _, fraction = s.partition(",")
        try:
            value = Decimal(integer.replace(".", "") + ("." + fraction if fraction else ""))
        except InvalidOperation as exc:  # pragma: no cover - regex guarantees digits
            raise NumberFormatError(f"not a number: {numeral!r}") from exc
        return value, len(fraction)
    # English grouping before the comma count: "1,294,548" has two commas but is no decimal
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
        raise NumberFormatError(
            f"{numeral!r} uses ',' to group thousands; Indonesian groups with '.' and uses ',' for decimals"
        )
    if s.count(",") > 1:
        raise NumberFormatError(f"{numeral!r} has more than one decimal comma")
    if re.fullmatch(r"\d+\.\d{1,2}|\d+\.\d{4,}", s):
        raise NumberFormatError(
            f"{numeral!r} looks like an English decimal point; Indonesian writes the decimal with ','"
        )
    raise NumberFormatError(f"{numeral!r} is not an Indonesian numeral (expected e.g. 1.294.548 or 99,54)")


def find_numbers(text: str) -> list[Mention]:
    """Every number mentioned in ``text``: numerals (with ``persen``/``%`` and
    ``ribu``/``juta``/... scales) and small number words.  Malformed numerals raise."""
    mentions: list[Mention] = []
    for m in _MENTION.finditer(text):
        value, decimals = parse_numeral(m["num"])
        exponent = 0
        if m["scale"]:
            value = value * SCALES[m["scale"].lower()]
            exponent = len(str(SCALES[m["scale"].lower()])) - 1
        mentions.append(Mention(value, decimals, bool(m["tail"]), m.group(0), m.start(), m.end(), exponent))
    for m in _WORD.finditer(text):
        found = words_value(m["word"])
        for i, (number, start, end) in enumerate(found):
            last = i == len(found) - 1
            end = m.end() if last else m.start("word") + end
            mentions.append(Mention(Decimal(number), 0, last and bool(m["tail"]), text[m.start() + start:end],
                                    m.start() + start, end))
    return sorted(mentions, key=lambda x: x.start)


def parse_number(text: str) -> Decimal:
    """Parse a text holding exactly one number (``"100,10 persen"`` -> ``100.10``)."""
    found = find_numbers(text)
    if len(found) != 1:
        raise NumberFormatError(f"expected one number in {text!r}, found {len(found)}")
    return found[0].value


def decimals_of(value: str) -> int:
    """Number of decimals in a machine-written value such as ``"100.10"`` (2)."""
    _, _, fraction = value.strip().partition(".")
    return len(fraction)


def format_number(value: float | Decimal | int, lang: Lang = "id", decimals: int = 0) -> str:
    """``1294548`` -> ``1.294.548`` (id) or ``1,294,548`` (en)."""
    text = f"{Decimal(str(value)):,.{decimals}f}"
    if lang == "id":
        text = text.translate(str.maketrans(",.", ".,"))
    return text


def format_percent(value: float | Decimal | int, lang: Lang = "id", decimals: int = 2) -> str:
    """``99.54`` -> ``99,54 %`` (id) or ``99.54%`` (en)."""
    number = format_number(value, lang, decimals)
    return f"{number} %" if lang == "id" else f"{number}%"


#: d3-format locale for Vega/Altair charts (vl-convert has no named id-ID locale).
D3_LOCALE_ID = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]}
D3_LOCALE_EN = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]}

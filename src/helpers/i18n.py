"""The one catalogue of user-facing text, per language: ``assets/text-id.toml`` (default) and
``assets/text-en.toml``.  Every sentence, label, header and note a report shows comes from there
through :func:`t`; numbers and dates are formatted with Babel's ``id`` / ``en`` locale data.

Keys are ``section.name`` (``narrative.series_rise``); values are :meth:`str.format` templates.
``tests/test_i18n.py`` fails when a key or a placeholder is missing from either language."""

from __future__ import annotations

import string
import tomllib
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Literal

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

Lang = Literal["id", "en"]
LANGS: tuple[str, ...] = ("id", "en")
NBSP = "\u00a0"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every text of ``lang`` as a flat ``{"section.name": template}``."""
    if lang not in LANGS:
        raise KeyError(f"language {lang!r} is not one of {', '.join(LANGS)}")
    raw = tomllib.loads((files("helpers") / "assets" / f"text-{lang}.toml").read_text(encoding="utf-8"))
    return {f"{section}.{key}": str(value) for section, entries in raw.items() for key, value in entries.items()}


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class _Phrase(str):
    """A text field of a catalogue entry. ``{name:mid}`` writes it as it reads inside a sentence: the first
    letter in lower case ("Angka cakupan perekaman KTP-el"), unless it starts an acronym ("KTP-el", "IKD")."""

    def __format__(self, spec: str) -> str:
        if spec == "mid":
            return self[:1].lower() + self[1:] if self[1:2].islower() else str(self)
        return super().__format__(spec)


def t(key: str, lang: str, **fields: object) -> str:
    """The text ``key`` in ``lang``, its placeholders filled from ``fields`` (see :class:`_Phrase`)."""
    return catalogue(lang)[key].format(**{k: _Phrase(v) if isinstance(v, str) else v for k, v in fields.items()})


def has(key: str, lang: str) -> bool:
    return key in catalogue(lang)


def word(key: str, lang: str) -> str:
    return t(f"word.{key}", lang)


def unit(name: str, lang: str) -> str:
    return catalogue(lang).get(f"unit.{name}", name)


def level(name: str, lang: str) -> str:
    return catalogue(lang).get(f"level.{name}", name)


def join(items: list[str], lang: str) -> str:
    """``a, b dan c`` / ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word('and', lang)} " + items[-1]


#: d3 number and time locales, written into every chart spec (``config.locale``) so
#: that every renderer, in JupyterLab or offline with vl-convert, formats the same way.
NUMBER_LOCALE = {"id": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]},
                 "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]}}


def _months(lang: str, width: str) -> list[str]:
    from babel import Locale

    names = Locale.parse(lang).months["format"][width]
    return [str(names[i]) for i in range(1, 13)]


def _days(lang: str) -> list[str]:
    from babel import Locale

    names = Locale.parse(lang).days["format"]["wide"]
    return [str(names[i]) for i in (6, 0, 1, 2, 3, 4, 5)]  # Babel counts from Monday; d3 from Sunday


def time_locale(lang: str) -> dict[str, object]:
    days = _days(lang)
    return {"dateTime": "%A, %e %B %Y %X", "date": "%d/%m/%Y", "time": "%H:%M:%S", "periods": ["AM", "PM"],
            "days": days, "shortDays": [d[:3] for d in days], "months": _months(lang, "wide"),
            "shortMonths": [m.rstrip(".") for m in _months(lang, "abbreviated")]}


def format_date(value: date | None, precision: str, lang: str) -> str:
    """``2024-06-13`` at day precision -> ``13 Jun 2024``; month -> ``Jun 2024``; unknown -> ``tanpa tanggal``."""
    if value is None or precision == "unknown":
        return word("undated", lang)
    if precision == "year":
        return str(value.year)
    pattern = "MMM y" if precision == "month" else "d MMM y"
    return _babel_date(value, pattern, locale=lang).replace(".", "")


def format_number(value: float, lang: str, decimals: int = 0) -> str:
    """``1294548`` -> ``1.294.548`` (id) / ``1,294,548`` (en), with exactly ``decimals`` decimals."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(round(float(value), decimals), pattern, locale=lang)


def format_percent(value: float, lang: str, decimals: int = 2) -> str:
    """``99.54`` -> ``99,54 %`` (id) / ``99.54%`` (en); the space is a no-break space, so it never wraps."""
    number = format_number(value, lang, decimals)
    return f"{number}{NBSP}%" if lang == "id" else f"{number}%"

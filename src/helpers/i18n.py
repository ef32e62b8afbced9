"""Words and formats of the two report languages: Indonesian (default) and English."""

from __future__ import annotations

from datetime import date
from typing import Literal

Lang = Literal["id", "en"]
LANGS: tuple[str, ...] = ("id", "en")

LEVELS = {"id": {"nasional": "nasional", "provinsi": "provinsi", "kabupaten": "kabupaten", "kota": "kota"},
          "en": {"nasional": "national", "provinsi": "province", "kabupaten": "regency", "kota": "city"}}

WORDS: dict[str, dict[str, str]] = {
    "source": {"id": "Sumber", "en": "Source"},
    "sources": {"id": "Sumber", "en": "Sources"},
    "undated": {"id": "tanpa tanggal", "en": "undated"},
    "stated": {"id": "dinyatakan", "en": "stated"},
    "derived": {"id": "dihitung dari angka sumber", "en": "derived from the source's counts"},
    "target": {"id": "target nasional", "en": "national target"},
    "province": {"id": "provinsi", "en": "province"},
    "highest": {"id": "tertinggi", "en": "highest"},
    "lowest": {"id": "terendah", "en": "lowest"},
    "region": {"id": "Wilayah", "en": "Region"},
    "value": {"id": "Nilai", "en": "Value"},
    "date": {"id": "Tanggal data", "en": "As of"},
    "quote": {"id": "Kutipan", "en": "Quote"},
    "metric": {"id": "Indikator", "en": "Indicator"},
    "kind": {"id": "Jenis", "en": "Kind"},
    "approx": {"id": "sekitar", "en": "about"},
    "more_than": {"id": "lebih dari", "en": "more than"},
    "less_than": {"id": "kurang dari", "en": "less than"},
    "published": {"id": "terbit", "en": "published"},
    "not_before": {"id": "tidak sebelum", "en": "not before"},
    "before_end_of": {"id": "sebelum akhir", "en": "before the end of"},
    "estimate": {"id": "perkiraan", "en": "estimate"},
}

UNITS = {"id": {"persons": "jiwa", "percent": "persen", "cards": "keping", "requests": "permohonan",
                "districts": "kecamatan", "machines": "unit mesin", "regions": "kabupaten/kota", "categories": "kategori"},
         "en": {"persons": "persons", "percent": "percent", "cards": "cards", "requests": "requests",
                "districts": "districts", "machines": "machines", "regions": "regencies/cities",
                "categories": "categories"}}

MONTHS = {"id": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
                 "November", "Desember"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}
SHORT_MONTHS = {"id": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
                "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]}
DAYS = {"id": ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
        "en": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]}

#: d3 number and time locales, written into every chart spec (``config.locale``) so
#: that every renderer, in JupyterLab or offline with vl-convert, formats the same way.
NUMBER_LOCALE = {"id": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]},
                 "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]}}


def time_locale(lang: Lang) -> dict[str, object]:
    return {"dateTime": "%A, %e %B %Y %X", "date": "%d/%m/%Y", "time": "%H:%M:%S", "periods": ["AM", "PM"],
            "days": DAYS[lang], "shortDays": [d[:3] for d in DAYS[lang]], "months": MONTHS[lang],
            "shortMonths": SHORT_MONTHS[lang]}


def word(key: str, lang: Lang) -> str:
    return WORDS[key][lang]


def unit(name: str, lang: Lang) -> str:
    return UNITS[lang].get(name, name)


def level(name: str, lang: Lang) -> str:
    return LEVELS[lang].get(name, name)


def format_date(value: date | None, precision: str, lang: Lang) -> str:
    """``2024-06-13`` at day precision -> ``13 Jun 2024``; month -> ``Jun 2024``; unknown -> ``tanpa tanggal``."""
    if value is None or precision == "unknown":
        return word("undated", lang)
    if precision == "year":
        return str(value.year)
    month = SHORT_MONTHS[lang][value.month - 1]
    return f"{month} {value.year}" if precision == "month" else f"{value.day} {month} {value.year}"

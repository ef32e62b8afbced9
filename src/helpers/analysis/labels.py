"""Labels shared by tables, charts, narrative and exports: a figure with its qualifier, a date as
honestly as it is known (inferred dates say so), a source's name and date, a footer, a fact link."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pandas as pd

from helpers.i18n import NBSP, format_date, format_number, format_percent, t, word
from helpers.raw.dates import parse_period

#: A fact whose ``note`` says its date is inferred (the sentence itself has no date): ``Date inferred: ...``.
INFERRED_DATE = re.compile(r"\bdate inferred\b", re.I)
#: The note a derived figure gets when an input's date is inferred (matched by :data:`INFERRED_DATE`).
INFERRED_MARK = "date inferred"
#: Curator's remarks in a source's title (English, in ``sources.yaml``), shown in the report's language.
TITLE_REMARKS = {"(headline from the page address)": "headline_from_address", "(untitled as received)": "untitled"}
#: Fact anchors in pages: ``#fact-<fact_id>``; the export lists every fact a page links to.
FACT_ANCHOR = "fact-"
#: Target anchors: ``#target-<metric>-<year>``, listed with the facts.
TARGET_ANCHOR = "target-"


def as_date(value: Any) -> date | None:
    if value is None or value is pd.NaT or (not isinstance(value, (date, str)) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def value_text(value: float, unit: str, decimals: int, qualifier: str, lang: str) -> str:
    """``99,54 %``, ``sekitar 98 %``, ``lebih dari 105 %``, ``926.654``: the decimals the source gave,
    the qualifier always carried (a no-break space keeps it on the figure's line)."""
    if unit != "percent" and float(value).is_integer():
        decimals = 0  # a count: 1.429, never 1.429,00 (a count derived from counts has no decimals of its own)
    number = format_percent(value, lang, decimals) if unit == "percent" else format_number(value, lang, decimals)
    return number if qualifier in ("exact", "", None) else f"{word(qualifier, lang)}{NBSP}{number}"


def date_inferred(note: Any) -> bool:
    return isinstance(note, str) and bool(INFERRED_DATE.search(note))


def date_text(as_of: Any, precision: str, lang: str, inferred: bool = False) -> str:
    """``13 Jun 2024``; ``Okt 2024 (tanggal disimpulkan)`` when the source's sentence has no date."""
    text = format_date(as_date(as_of), precision, lang)
    return f"{text}, {word('date_inferred', lang)}" if inferred and as_date(as_of) else text


def fact_link(text: str, fact_id: Any) -> str:
    """Markdown ``[text](#fact-<id>)``: the HTML export lists the fact at the end of the page."""
    return text if not isinstance(fact_id, str) or not fact_id else f"[{text}](#{FACT_ANCHOR}{fact_id})"


def target_link(text: str, metric: str, year: Any) -> str:
    """Markdown ``[text](#target-<metric>-<year>)``: the target with its quote and source, at the end of the page."""
    return text if year is None or pd.isna(year) else f"[{text}](#{TARGET_ANCHOR}{metric}-{int(year)})"


def _get(row: pd.Series | dict[str, Any], key: str) -> Any:
    value = row.get(f"source_{key}", row.get(key))
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def source_date(row: pd.Series | dict[str, Any], lang: str) -> str:
    """A source's date as honestly as it is known: ``21 Jun 2024``, ``Feb 2025``,
    ``terbit ≥ 8 Nov 2024``, ``tanpa tanggal, perkiraan sebelum akhir 2015``.
    Works on rows of sources (``published_on``) and of facts (``source_published_on``)."""
    published, precision = _get(row, "published_on"), _get(row, "published_precision")
    if published:
        return format_date(parse_period(str(published), precision).start, precision, lang)
    if _get(row, "published_not_before"):
        return f"{word('published', lang)} ≥ {format_date(as_date(_get(row, 'published_not_before')), 'day', lang)}"
    if _get(row, "published_not_after"):
        year = as_date(_get(row, "published_not_after")).year  # type: ignore[union-attr]
        return t("word.undated_before", lang, year=year)  # no brackets: callers put it in brackets
    return word("undated", lang)


def source_title_parts(row: pd.Series | dict[str, Any], lang: str) -> tuple[str | None, str | None]:
    """(the title as published, or None for a source received without one; a curator's remark about the title
    in the report's language, or None).  Only the first is the source's own words (``class="verbatim"``)."""
    title = str(_get(row, "title") or _get(row, "source_id") or "")
    for remark, key in TITLE_REMARKS.items():
        if title.endswith(remark):
            if key == "untitled":  # what the curator wrote is a description, not the source's words
                place = _get(row, "place")
                return None, word("untitled_source", lang) + (f", {place}" if place else "")
            return title[: -len(remark)].rstrip(), word(key, lang)
    return title, None


def source_title(row: pd.Series | dict[str, Any], lang: str) -> str:
    """The title as published; a curator's remark in it is said in the report's language; a source received
    without a title is called so (``sumber tanpa judul, Kalimantan Timur``), never given the curator's words."""
    title, remark = source_title_parts(row, lang)
    return remark or "" if title is None else f"{title} ({remark})" if remark else title


def publisher_name(row: pd.Series | dict[str, Any]) -> str | None:
    """The publisher without the curator's parenthesised remarks (``Dwipanews (dwipanews.com, from ANTARA)``
    -> ``Dwipanews``), or None."""
    publisher = _get(row, "publisher")
    if not isinstance(publisher, str) or not publisher.strip():
        return None
    return publisher.split(" (", 1)[0].strip()


def source_name(row: pd.Series | dict[str, Any], lang: str = "id") -> str:
    publisher = publisher_name(row)
    if publisher:
        return publisher
    title, remark = source_title_parts(row, lang)
    return remark or "" if title is None else f"“{title}”"


def footer(rows: pd.DataFrame, lang: str) -> str:
    """``Sumber: Serantau Media (Feb 2025); DKP3A Provinsi Kalimantan Timur (21 Jun 2024)``."""
    seen: dict[str, str] = {}
    for _, row in rows.iterrows():
        if row["source_id"] not in seen:
            seen[row["source_id"]] = f"{source_name(row, lang)} ({source_date(row, lang)})"
    return f"{word('sources', lang)}: " + "; ".join(seen.values()) if seen else ""

"""Labels of sources shared by tables, charts and exports: a source's honest date, its name, a footer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from helpers.i18n import format_date, word
from helpers.raw.dates import parse_period


def as_date(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def source_date(row: pd.Series | dict[str, Any], lang: str) -> str:
    """A source's date as honestly as it is known: ``21 Jun 2024``, ``Feb 2025``,
    ``terbit ≥ 8 Nov 2024``, ``tanpa tanggal (sebelum akhir 2015, perkiraan)``.
    Works on rows of sources (``published_on``) and of facts (``source_published_on``)."""
    def get(key: str) -> Any:
        value = row.get(f"source_{key}", row.get(key))
        return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value

    published, precision = get("published_on"), get("published_precision")
    if published:
        return format_date(parse_period(str(published), precision).start, precision, lang)  # type: ignore[arg-type]
    if get("published_not_before"):
        return f"{word('published', lang)} ≥ {format_date(as_date(get('published_not_before')), 'day', lang)}"  # type: ignore[arg-type]
    if get("published_not_after"):
        year = as_date(get("published_not_after")).year  # type: ignore[union-attr]
        return f"{word('undated', lang)} ({word('before_end_of', lang)} {year}, {word('estimate', lang)})"  # type: ignore[arg-type]
    return word("undated", lang)  # type: ignore[arg-type]


def source_name(row: pd.Series | dict[str, Any]) -> str:
    publisher = row.get("source_publisher", row.get("publisher"))
    title = row.get("source_title", row.get("title"))
    return str(publisher if publisher and not pd.isna(publisher) else f"“{title}”")


def footer(rows: pd.DataFrame, lang: str) -> str:
    """``Sumber: Serantau Media (Feb 2025); DKP3A Provinsi Kalimantan Timur (21 Jun 2024)``."""
    seen: dict[str, str] = {}
    for _, row in rows.iterrows():
        if row["source_id"] not in seen:
            seen[row["source_id"]] = f"{source_name(row)} ({source_date(row, lang)})"
    return f"{word('sources', lang)}: " + "; ".join(seen.values()) if seen else ""

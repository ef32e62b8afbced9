"""Dates written at their precision: ``2024-06-13`` (day), ``2024-06`` (month),
``2024`` (year), or empty (unknown)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Precision = Literal["day", "month", "year", "unknown"]
PRECISIONS: tuple[str, ...] = ("day", "month", "year", "unknown")
_FORMS = {"day": re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"), "month": re.compile(r"([0-9]{4})-([0-9]{2})"),
          "year": re.compile(r"([0-9]{4})")}  # ASCII digits only: "２０２５" is refused, not read as 2025
#: The earliest date a figure of this workspace may describe (KTP-el began in 2011).
EARLIEST = date(2000, 1, 1)
_EXAMPLE = {"day": "2024-06-13", "month": "2024-06", "year": "2024"}


@dataclass(frozen=True)
class Period:
    """The span a date stands for: 2024-06 is 2024-06-01 .. 2024-06-30."""

    start: date | None
    end: date | None
    precision: Precision

    @property
    def known(self) -> bool:
        return self.start is not None


def parse_period(text: str, precision: str) -> Period:
    """Parse ``text`` written at ``precision``; raise ValueError saying what is wrong."""
    text = (text or "").strip()
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision == "unknown":
        if text:
            raise ValueError(f"{text!r} is given but the precision is 'unknown'; leave it empty or give the precision")
        return Period(None, None, "unknown")
    m = _FORMS[precision].fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not a {precision} date (write it as {_EXAMPLE[precision]})")
    year = int(m[1])
    month = int(m[2]) if precision in ("day", "month") else None
    try:
        if precision == "day":
            d = date(year, month, int(m[3]))  # type: ignore[arg-type]
            return Period(d, d, "day")
        if precision == "month":
            return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month")  # type: ignore[arg-type]
        return Period(date(year, 1, 1), date(year, 12, 31), "year")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date ({exc})") from None



def period_problem(period: Period, today: date | None = None) -> str | None:
    """Why ``period`` cannot be the date of a figure: before :data:`EARLIEST` or starting after today."""
    today = today or date.today()
    if period.start is None:
        return None
    if period.start < EARLIEST:
        return f"{period.start.isoformat()} is before {EARLIEST.isoformat()}; KTP-el figures start in 2011"
    if period.start > today:
        return f"{period.start.isoformat()} is in the future (today is {today.isoformat()})"
    return None

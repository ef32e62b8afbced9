"""Which exports of a batch are stale: made with other code, CSS, template or fonts than those installed now.

Light on purpose (no pandas, DuckDB or nbconvert): ``ktpel report`` asks it on every no-op batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from helpers.codehash import package_digest

#: Per batch: the code fingerprint (:func:`helpers.codehash.package_digest`: modules, CSS, template, fonts) each
#: report's page and chart files were made with.  A page made with other code is stale.
STAMP = ".export-stamp.json"


def read_stamp(directory: Path) -> dict[str, str]:
    """Report name -> the code fingerprint its exports were made with (empty if unknown or unreadable)."""
    try:
        stamp = json.loads((directory / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pages = stamp.get("pages") if isinstance(stamp, dict) else None
    return {str(k): str(v) for k, v in pages.items()} if isinstance(pages, dict) else {}


def stale_reports(directory: Path, names: Sequence[str]) -> list[str]:
    """The reports among ``names`` whose exports are missing or were made with other code, CSS, template or fonts."""
    digest, stamp = package_digest(), read_stamp(directory)
    return [n for n in names if stamp.get(n) != digest or not (directory / f"{n}.html").is_file()]

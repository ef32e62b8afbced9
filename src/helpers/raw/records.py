"""The records of the raw layer, as validated: regions, metrics, targets, facts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from helpers.raw.dates import Period
from helpers.raw.sources import Source

LEVELS = ("nasional", "provinsi", "kabupaten", "kota")
UNITS = ("persons", "percent", "cards", "requests", "districts", "machines", "regions", "categories")
QUALIFIERS = ("exact", "approx", "more_than", "less_than")
#: Percentages above this are refused as typing errors (coverage can exceed 100 %, not 200 %).
MAX_PERCENT = Decimal(200)


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    note: str
    line: int
    aliases: tuple[str, ...] = ()  # short names people write: Kaltim, Bateng, PPU


@dataclass(frozen=True)
class Metric:
    metric: str
    unit: str
    label_id: str
    label_en: str
    definition: str
    line: int
    #: Words one of which the sentence of a figure of this metric must hold ("wajib" for wajib KTP).
    quote_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    metric: str
    region_code: str
    year: int
    year_is_estimate: bool
    value: Decimal
    unit: str
    source_id: str
    quote: str
    note: str
    line: int


@dataclass(frozen=True)
class Fact:
    source_id: str
    region_code: str
    metric: str
    value: Decimal
    decimals: int
    unit: str
    qualifier: str
    as_of: Period
    as_of_text: str
    quote: str
    note: str
    line: int


@dataclass(frozen=True)
class RawLayer:
    sources: dict[str, Source]
    regions: dict[str, Region]
    metrics: dict[str, Metric]
    targets: list[Target]
    facts: list[Fact]

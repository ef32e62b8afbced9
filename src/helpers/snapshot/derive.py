"""Figures derived from a source's own numbers, and where they disagree with what it states.

A source that gives a numerator and a denominator implies a percentage; we
compute it and keep it beside the stated one (``kind = 'derived'``, with its
formula), so that a reader sees both: Batam states 100,10 % but its own counts,
926.654 of 905.737, make 102,31 %.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from helpers.raw.dates import Period
from helpers.raw.facts import Fact, Target

_NO_DATE = date.min


@dataclass(frozen=True)
class Rule:
    metric: str
    formula: str
    inputs: tuple[str, ...]
    compute: Callable[..., Decimal]
    unit: str
    decimals: int
    #: metric of a national target used as the last argument of ``compute``
    target: str | None = None


#: In order of preference: a metric is derived once per source, region and date, by the first rule whose
#: inputs the source gives (so a source that states counts and shares yields one derived coverage, not three).
RULES: tuple[Rule, ...] = (
    Rule("ktp_recording_pct", "ktp_recorded / ktp_required × 100", ("ktp_recorded", "ktp_required"),
         lambda a, b: a / b * 100, "percent", 2),
    Rule("ktp_recording_pct", "(ktp_required − ktp_unrecorded) / ktp_required × 100",
         ("ktp_required", "ktp_unrecorded"), lambda a, b: (a - b) / a * 100, "percent", 2),
    Rule("ktp_recording_pct", "100 − ktp_unrecorded_pct", ("ktp_unrecorded_pct",), lambda a: 100 - a, "percent", 2),
    Rule("ikd_activation_pct", "ikd_activated / ktp_required × 100", ("ikd_activated", "ktp_required"),
         lambda a, b: a / b * 100, "percent", 2),
    Rule("ikd_target_achievement_pct", "ikd_activation_pct / national IKD target × 100", ("ikd_activation_pct",),
         lambda a, t: a / t * 100, "percent", 2, target="ikd_activation_pct"),
    Rule("ktp_recording_total_pct", "ktp_recording_pct + ktp_prerecording_pct",
         ("ktp_recording_pct", "ktp_prerecording_pct"), lambda a, b: a + b, "percent", 0),
    Rule("blank_cards_remaining", "blank_cards_received − ktp_printed", ("blank_cards_received", "ktp_printed"),
         lambda a, b: a - b, "cards", 0),
)


@dataclass(frozen=True)
class Derived:
    fact: Fact
    formula: str
    inputs: tuple[Fact, ...]


@dataclass(frozen=True)
class Comparison:
    stated: Fact
    derived: Derived
    difference: Decimal
    tolerance: Decimal

    @property
    def agrees(self) -> bool:
        return abs(self.difference) <= self.tolerance


def tolerance_of(fact: Fact) -> Decimal:
    """How far a derivation may be from a stated figure and still agree: one unit
    of the stated figure's last digit (sources round and also truncate)."""
    return Decimal(1).scaleb(-fact.decimals)


def derive(facts: list[Fact], targets: list[Target]) -> list[Derived]:
    """Every figure the rules can compute from one source's facts about one region."""
    groups: dict[tuple[str, str], dict[str, list[Fact | Derived]]] = defaultdict(lambda: defaultdict(list))
    for f in facts:
        if f.qualifier in ("exact", "approx"):
            groups[(f.source_id, f.region_code)][f.metric].append(f)
    derived: list[Derived] = []
    for (source_id, region_code), by_metric in groups.items():
        done: set[str] = set()
        for rule in RULES:
            if rule.metric in done:
                continue
            chosen = [by_metric.get(m, []) for m in rule.inputs]
            if any(len(c) != 1 for c in chosen):
                continue
            inputs = [c[0].fact if isinstance(c[0], Derived) else c[0] for c in chosen]
            args = [i.value for i in inputs]
            as_of = max((i.as_of for i in inputs), key=lambda p: p.end or p.start or _NO_DATE)
            if rule.target:
                year = as_of.end.year if as_of.end else None
                target = [t for t in targets if t.metric == rule.target and t.region_code == "00" and t.year == year]
                if not target:
                    continue
                args.append(target[0].value)
            if "/" in rule.formula and any(a == 0 for a in (args[:1] if "(" in rule.formula else args[1:])):
                continue
            value = rule.compute(*args)
            qualifier = "approx" if any(i.qualifier == "approx" for i in inputs) else "exact"
            fact = Fact(source_id, region_code, rule.metric, value, rule.decimals, rule.unit, qualifier, as_of,
                        as_of_text(as_of), "", f"derived: {rule.formula}", 0)
            d = Derived(fact, rule.formula, tuple(inputs))
            derived.append(d)
            done.add(rule.metric)
            if rule.metric not in by_metric:  # later rules may build on it, never replacing a stated figure
                by_metric[rule.metric].append(d)
    return derived


def compare(facts: list[Fact], derived: list[Derived]) -> list[Comparison]:
    """Each stated figure next to its derivation from the same source and region."""
    stated = {(f.source_id, f.region_code, f.metric): f for f in facts}
    out = []
    for d in derived:
        f = stated.get((d.fact.source_id, d.fact.region_code, d.fact.metric))
        if f is not None and f.qualifier in ("exact", "approx"):
            out.append(Comparison(f, d, f.value - d.fact.value, tolerance_of(f)))
    return out


def as_of_text(period: Period) -> str:
    """A period written at its precision, as in facts.csv."""
    if period.start is None:
        return ""
    if period.precision == "day":
        return period.start.isoformat()
    if period.precision == "month":
        return period.start.isoformat()[:7]
    return str(period.start.year)


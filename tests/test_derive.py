"""Derived figures (helpers.snapshot.derive): what a source's own numbers imply, once per metric, and where
that disagrees with what the source states."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from helpers.raw.dates import parse_period
from helpers.raw.records import Fact, Target
from helpers.snapshot.derive import compare, derive, tolerance_of


def fact(metric: str, value: str, *, unit: str = "persons", qualifier: str = "exact", as_of: str = "2024-06-13",
         source: str = "s1", region: str = "64") -> Fact:
    decimals = len(value.split(".")[1]) if "." in value else 0
    precision = {10: "day", 7: "month", 4: "year"}.get(len(as_of), "unknown")
    return Fact(source, region, metric, Decimal(value), decimals, unit, qualifier, parse_period(as_of, precision),
                as_of, f"quote {value}", "", 2)


def derived_values(facts: list[Fact], targets: list[Target] | None = None) -> dict[tuple[str, str], Decimal]:
    return {(d.fact.region_code, d.fact.metric): d.fact.value for d in derive(facts, targets or [])}


def test_coverage_from_counts_and_its_disagreement_with_the_stated_figure() -> None:
    facts = [fact("ktp_recorded", "926654"), fact("ktp_required", "905737"),
             fact("ktp_recording_pct", "100.10", unit="percent")]
    derived = derive(facts, [])
    [coverage] = [d for d in derived if d.fact.metric == "ktp_recording_pct"]
    assert round(coverage.fact.value, 2) == Decimal("102.31")
    assert coverage.formula == "ktp_recorded / ktp_required × 100"
    [comparison] = compare(facts, derived)
    assert not comparison.agrees and comparison.tolerance == Decimal("0.01")


def test_one_derivation_per_metric_even_when_several_rules_apply() -> None:
    facts = [fact("ktp_recorded", "120455"), fact("ktp_required", "122032"), fact("ktp_unrecorded", "1577"),
             fact("ktp_unrecorded_pct", "1.29", unit="percent")]
    coverage = [d for d in derive(facts, []) if d.fact.metric == "ktp_recording_pct"]
    assert len(coverage) == 1 and coverage[0].formula.startswith("ktp_recorded /")


def test_coverage_from_unrecorded_counts_and_shares() -> None:
    by_counts = derive([fact("ktp_required", "700000"), fact("ktp_unrecorded", "19000")], [])
    assert [round(d.fact.value, 2) for d in by_counts] == [Decimal("97.29")]
    by_share = derive([fact("ktp_unrecorded_pct", "10", unit="percent", qualifier="approx")], [])
    assert [(d.fact.value, d.fact.qualifier) for d in by_share] == [(Decimal("90"), "approx")]


def test_nothing_is_derived_across_sources_regions_or_from_bounds() -> None:
    facts = [fact("ktp_recorded", "100", source="a"), fact("ktp_required", "200", source="b"),
             fact("ktp_recorded", "100", region="64.71"), fact("ktp_required", "200", region="64.72"),
             fact("ktp_recorded", "100", source="c", qualifier="more_than"), fact("ktp_required", "200", source="c")]
    assert derive(facts, []) == []


def test_a_zero_denominator_derives_nothing() -> None:
    assert derive([fact("ktp_recorded", "5"), fact("ktp_required", "0")], []) == []
    assert derive([fact("ktp_required", "0"), fact("ktp_unrecorded", "0")], []) == []


def test_ambiguous_inputs_derive_nothing() -> None:
    """Two recorded counts from one source and region: which one the percentage uses is unknown."""
    facts = [fact("ktp_recorded", "100", as_of="2024-06"), fact("ktp_recorded", "150", as_of="2024-10"),
             fact("ktp_required", "200")]
    assert derive(facts, []) == []


def test_target_achievement_needs_a_target_of_the_same_year() -> None:
    share = fact("ikd_activation_pct", "5.48", unit="percent", as_of="2024-10")
    target = Target("ikd_activation_pct", "00", 2024, False, Decimal(30), "percent", "s1", "target 30 persen", "", 2)
    [achieved] = derive([share], [target])
    assert achieved.fact.metric == "ikd_target_achievement_pct" and round(achieved.fact.value, 2) == Decimal("18.27")
    assert derive([share], [Target(*{**target.__dict__, "year": 2023}.values())]) == []


@given(st.integers(min_value=1, max_value=10**7), st.integers(min_value=1, max_value=10**7))
def test_derived_coverage_is_the_ratio_and_agrees_with_its_own_rounding(recorded: int, required: int) -> None:
    derived = derive([fact("ktp_recorded", str(recorded)), fact("ktp_required", str(required))], [])
    [coverage] = derived
    assert coverage.fact.value == Decimal(recorded) / Decimal(required) * 100
    stated = fact("ktp_recording_pct", f"{coverage.fact.value:.2f}", unit="percent")
    [comparison] = compare([stated], derived)
    assert comparison.agrees and tolerance_of(stated) == Decimal("0.01")

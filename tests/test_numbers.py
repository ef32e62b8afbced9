"""Indonesian numerals: parsing, refusing malformed ones, formatting in id and en, and round trips."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from helpers.raw.numbers import (
    NumberFormatError,
    find_numbers,
    format_number,
    format_percent,
    parse_number,
    parse_numeral,
)

# --- parsing -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, decimals, is_percent", [
    pytest.param("926.654", Decimal("926654"), 0, False, id="thousands-dots"),
    pytest.param("1.294.548 jiwa", Decimal("1294548"), 0, False, id="millions-dots"),
    pytest.param("100,10 persen", Decimal("100.10"), 2, True, id="decimal-comma-persen"),
    pytest.param("99,98 persen", Decimal("99.98"), 2, True, id="decimal-comma-persen-2"),
    pytest.param("99,54 %", Decimal("99.54"), 2, True, id="percent-sign"),
    pytest.param("2,2 juta", Decimal("2200000"), 1, False, id="scale-juta"),
    pytest.param("3 ribu", Decimal("3000"), 0, False, id="scale-ribu"),
    pytest.param("12 kecamatan", Decimal("12"), 0, False, id="plain-integer"),
    pytest.param("masing-masing dua unit", Decimal("2"), 0, False, id="word-dua"),
    pytest.param("hanya tiga yang meraih", Decimal("3"), 0, False, id="word-tiga"),
    pytest.param("sekitar lima persen", Decimal("5"), 0, True, id="word-persen"),
    pytest.param("dua puluh lima persen", Decimal("25"), 0, True, id="words-tens-persen"),
    pytest.param("satu juta jiwa", Decimal("1000000"), 0, False, id="words-scale"),
    pytest.param("tiga belas kecamatan", Decimal("13"), 0, False, id="words-teens"),
    pytest.param("seratus dua puluh tiga ribu orang", Decimal("123000"), 0, False, id="words-hundreds-thousands"),
    pytest.param("lima ratus ribu keping", Decimal("500000"), 0, False, id="words-hundreds-scale"),
])
def test_parse_number(text: str, value: Decimal, decimals: int, is_percent: bool) -> None:
    assert parse_number(text) == value
    [mention] = find_numbers(text)
    assert (mention.value, mention.decimals, mention.is_percent) == (value, decimals, is_percent)


def test_parse_number_keeps_the_written_decimals() -> None:
    assert str(parse_number("100,10 persen")) == "100.10"
    assert parse_numeral("100,10") == (Decimal("100.10"), 2)
    assert parse_numeral("926.654") == (Decimal("926654"), 0)


def test_find_numbers_in_a_sentence() -> None:
    found = find_numbers("perekaman telah melampaui angka tersebut dengan 926.654 jiwa atau 100,10 persen")
    assert [(m.value, m.is_percent) for m in found] == [(Decimal("926654"), False), (Decimal("100.10"), True)]


@pytest.mark.parametrize("text", ["tidak ada angka", "926.654 jiwa atau 100,10 persen"], ids=["none", "two"])
def test_parse_number_wants_exactly_one_number(text: str) -> None:
    with pytest.raises(NumberFormatError, match="expected one number"):
        parse_number(text)


@pytest.mark.parametrize("numeral, reason", [
    pytest.param("1.234,5,6", "more than one decimal comma", id="two-decimal-commas"),
    pytest.param("99.54", "English decimal point", id="english-decimal-point"),
    pytest.param("1,294,548", "uses ',' to group thousands", id="english-thousands"),
    pytest.param("1.23.456", "is not an Indonesian numeral", id="bad-grouping"),
])
def test_malformed_numerals_are_refused_clearly(numeral: str, reason: str) -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_numeral(numeral)
    assert reason in str(info.value)
    assert repr(numeral) in str(info.value)
    # in running text too: a malformed numeral is never silently read as something else
    with pytest.raises(NumberFormatError, match="Indonesian|decimal comma"):
        find_numbers(f"mencapai {numeral} persen")


# --- formatting --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, expected", [
    pytest.param(lambda: format_number(1294548), "1.294.548", id="number-id"),
    pytest.param(lambda: format_number(1294548, "en"), "1,294,548", id="number-en"),
    pytest.param(lambda: format_number(Decimal("926654"), "id"), "926.654", id="number-id-decimal"),
    pytest.param(lambda: format_number(2.2, "id", 1), "2,2", id="number-id-one-decimal"),
    pytest.param(lambda: format_number(0), "0", id="zero"),
    pytest.param(lambda: format_percent(99.54), "99,54 %", id="percent-id"),
    pytest.param(lambda: format_percent(99.54, "en"), "99.54%", id="percent-en"),
    pytest.param(lambda: format_percent(Decimal("100.10")), "100,10 %", id="percent-id-trailing-zero"),
    pytest.param(lambda: format_percent(102.3146, "id", 2), "102,31 %", id="percent-id-rounded"),
    pytest.param(lambda: format_percent(1234.5, "en", 1), "1,234.5%", id="percent-en-grouped"),
])
def test_formatting(call, expected: str) -> None:
    assert call() == expected


# --- properties --------------------------------------------------------------------------------------------

DECIMALS = st.integers(min_value=0, max_value=4)
# digits of non-negative numbers up to 10^18, with many small ones and the edge cases
MAGNITUDES = st.one_of(st.integers(min_value=0, max_value=10**18), st.integers(min_value=0, max_value=2000),
                       st.sampled_from([0, 1, 999, 1000, 999_999, 1_000_000, 10**15]))


def _decimal(digits: int, decimals: int) -> Decimal:
    return Decimal(digits).scaleb(-decimals)


@given(digits=MAGNITUDES, decimals=DECIMALS)
@example(digits=0, decimals=0)
@example(digits=0, decimals=2)
@example(digits=10**18, decimals=0)
@example(digits=129454800, decimals=2)
def test_format_number_id_round_trips(digits: int, decimals: int) -> None:
    x = _decimal(digits, decimals)
    text = format_number(x, "id", decimals)
    assert parse_numeral(text) == (x, decimals)
    assert parse_number(text) == x


@given(digits=MAGNITUDES, decimals=DECIMALS)
@example(digits=9954, decimals=2)
@example(digits=0, decimals=0)
@example(digits=10**18, decimals=4)
def test_format_percent_id_round_trips(digits: int, decimals: int) -> None:
    x = _decimal(digits, decimals)
    text = format_percent(x, "id", decimals)
    assert text.endswith(" %")
    assert parse_numeral(text.removesuffix(" %")) == (x, decimals)
    [mention] = find_numbers(text)
    assert mention.is_percent and mention.value == x
    assert parse_number(text) == x
    assert parse_number(text.replace(" %", " persen")) == x


@given(digits=MAGNITUDES, decimals=DECIMALS)
@example(digits=1294548, decimals=0)
@example(digits=9954, decimals=2)
@example(digits=12345, decimals=1)
def test_english_formatting_is_never_misread_unless_ambiguous(digits: int, decimals: int) -> None:
    """An English-formatted number is refused, or means the same in Indonesian, or is one of the
    numerals both conventions can write: a single separator followed by three digits ("1,000", "1.000")."""
    x = _decimal(digits, decimals)
    text = format_number(x, "en", decimals)
    try:
        value, _ = parse_numeral(text)
    except NumberFormatError:
        return
    parts = re.split(r"[.,]", text)
    assert value == x or (len(parts) == 2 and len(parts[1]) == 3)


NUMERAL_ALPHABET = st.text(alphabet="0123456789.,", max_size=16)


@given(text=st.one_of(st.text(max_size=40), NUMERAL_ALPHABET))
@example(text="")
@example(text="1.234,5,6")
@example(text="1..2")
@example(text=",5")
@example(text="\u0663\u0664")  # Arabic-Indic digits
def test_parse_numeral_returns_or_refuses_cleanly(text: str) -> None:
    try:
        value, decimals = parse_numeral(text)
    except NumberFormatError as exc:
        assert str(exc)
        return
    assert isinstance(value, Decimal) and value >= 0 and decimals >= 0


@given(text=st.one_of(st.text(max_size=60), st.text(alphabet="0123456789.,% persnjutaribudlm", max_size=30)))
def test_find_numbers_returns_or_refuses_cleanly(text: str) -> None:
    try:
        found = find_numbers(text)
    except NumberFormatError:
        return
    assert all(text[m.start:m.end] == m.text for m in found)

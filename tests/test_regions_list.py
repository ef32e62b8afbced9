"""The region list ``data/raw/regions.csv`` against Kepmendagri No. 300.2.2-2138 Tahun 2025.

Reads the CSV with the ``csv`` module only (see ``data/raw/regions.md`` for where the list comes from)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

REGIONS_CSV = Path(__file__).resolve().parents[1] / "data" / "raw" / "regions.csv"
HEADER = ["code", "name", "level", "parent_code", "aliases", "note"]

#: Kabupaten and kota per province in the decree: code -> (kabupaten, kota).
EXPECTED_PER_PROVINCE = {
    "11": (18, 5),   # Aceh
    "12": (25, 8),   # Sumatera Utara
    "13": (12, 7),   # Sumatera Barat
    "14": (10, 2),   # Riau
    "15": (9, 2),    # Jambi
    "16": (13, 4),   # Sumatera Selatan
    "17": (9, 1),    # Bengkulu
    "18": (13, 2),   # Lampung
    "19": (6, 1),    # Kepulauan Bangka Belitung
    "21": (5, 2),    # Kepulauan Riau
    "31": (1, 5),    # DKI Jakarta
    "32": (18, 9),   # Jawa Barat
    "33": (29, 6),   # Jawa Tengah
    "34": (4, 1),    # DI Yogyakarta
    "35": (29, 9),   # Jawa Timur
    "36": (4, 4),    # Banten
    "51": (8, 1),    # Bali
    "52": (8, 2),    # Nusa Tenggara Barat
    "53": (21, 1),   # Nusa Tenggara Timur
    "61": (12, 2),   # Kalimantan Barat
    "62": (13, 1),   # Kalimantan Tengah
    "63": (11, 2),   # Kalimantan Selatan
    "64": (7, 3),    # Kalimantan Timur
    "65": (4, 1),    # Kalimantan Utara
    "71": (11, 4),   # Sulawesi Utara
    "72": (12, 1),   # Sulawesi Tengah
    "73": (21, 3),   # Sulawesi Selatan
    "74": (15, 2),   # Sulawesi Tenggara
    "75": (5, 1),    # Gorontalo
    "76": (6, 0),    # Sulawesi Barat
    "81": (9, 2),    # Maluku
    "82": (8, 2),    # Maluku Utara
    "91": (8, 1),    # Papua
    "92": (7, 0),    # Papua Barat
    "93": (4, 0),    # Papua Selatan
    "94": (8, 0),    # Papua Tengah
    "95": (8, 0),    # Papua Pegunungan
    "96": (5, 1),    # Papua Barat Daya
}


@pytest.fixture(scope="module")
def header() -> list[str]:
    with REGIONS_CSV.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with REGIONS_CSV.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def by_code(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in rows}


def aliases(row: dict[str, str]) -> list[str]:
    return [a for a in row["aliases"].split(";") if a]


def test_header(header: list[str]) -> None:
    assert header == HEADER


def test_national_row_first(rows: list[dict[str, str]]) -> None:
    first = rows[0]
    assert (first["code"], first["name"], first["level"], first["parent_code"]) == ("00", "Indonesia", "nasional", "")
    assert [r["code"] for r in rows if r["level"] == "nasional"] == ["00"]


def test_codes_unique_and_sorted(rows: list[dict[str, str]]) -> None:
    codes = [r["code"] for r in rows]
    assert [c for c, n in Counter(codes).items() if n > 1] == []
    assert codes == sorted(codes)


def test_levels_and_totals(rows: list[dict[str, str]]) -> None:
    levels = Counter(r["level"] for r in rows)
    assert levels == {"nasional": 1, "provinsi": 38, "kabupaten": 416, "kota": 98}
    assert levels["kabupaten"] + levels["kota"] == 514


def test_code_shapes(rows: list[dict[str, str]]) -> None:
    for r in rows[1:]:
        code = r["code"]
        if r["level"] == "provinsi":
            assert len(code) == 2 and code.isdigit(), code
            assert r["parent_code"] == "00", code
            assert r["name"].startswith("Provinsi "), code
        else:
            prov, _, local = code.partition(".")
            assert len(prov) == 2 and prov.isdigit() and len(local) == 2 and local.isdigit(), code
            n = int(local)
            if r["level"] == "kabupaten":
                assert 1 <= n <= 69, code
                assert r["name"].startswith("Kabupaten "), code
            else:
                assert r["level"] == "kota" and 71 <= n <= 99, code
                assert r["name"].startswith("Kota "), code


def test_parents(by_code: dict[str, dict[str, str]], rows: list[dict[str, str]]) -> None:
    for r in rows:
        if r["level"] in ("kabupaten", "kota"):
            parent = by_code.get(r["parent_code"])
            assert parent is not None and parent["level"] == "provinsi", r["code"]
            assert r["code"].startswith(r["parent_code"] + "."), r["code"]


def test_counts_per_province(rows: list[dict[str, str]]) -> None:
    provinces = {r["code"] for r in rows if r["level"] == "provinsi"}
    assert provinces == set(EXPECTED_PER_PROVINCE)
    counted = {p: [0, 0] for p in provinces}
    for r in rows:
        if r["level"] in ("kabupaten", "kota"):
            counted[r["parent_code"]][r["level"] == "kota"] += 1
    assert {p: tuple(c) for p, c in counted.items()} == EXPECTED_PER_PROVINCE
    assert sum(k for k, _ in EXPECTED_PER_PROVINCE.values()) == 416
    assert sum(k for _, k in EXPECTED_PER_PROVINCE.values()) == 98


def test_aliases_unique_and_not_a_name(rows: list[dict[str, str]]) -> None:
    owner: dict[str, str] = {}
    names = {r["name"].casefold(): r["code"] for r in rows}
    for r in rows:
        assert r["aliases"] == r["aliases"].strip() and "; " not in r["aliases"] and " ;" not in r["aliases"], r["code"]
        for a in aliases(r):
            key = a.casefold()
            assert key not in owner, f"alias {a!r} of {r['code']} also belongs to {owner[key]}"
            owner[key] = r["code"]
            assert names.get(key, r["code"]) == r["code"], f"alias {a!r} of {r['code']} is a region's name"


@pytest.mark.parametrize(("code", "name", "level", "parent"), [
    ("64.03", "Kabupaten Berau", "kabupaten", "64"),
    ("64.07", "Kabupaten Kutai Barat", "kabupaten", "64"),
    ("21.71", "Kota Batam", "kota", "21"),
    ("19.04", "Kabupaten Bangka Tengah", "kabupaten", "19"),
    ("64.09", "Kabupaten Penajam Paser Utara", "kabupaten", "64"),
    ("62.09", "Kabupaten Lamandau", "kabupaten", "62"),
    ("64", "Provinsi Kalimantan Timur", "provinsi", "00"),
    ("96", "Provinsi Papua Barat Daya", "provinsi", "00"),
    ("31.71", "Kota Administrasi Jakarta Pusat", "kota", "31"),
    ("31.01", "Kabupaten Administrasi Kepulauan Seribu", "kabupaten", "31"),
])
def test_spot_checks(by_code: dict[str, dict[str, str]], code: str, name: str, level: str, parent: str) -> None:
    r = by_code[code]
    assert (r["name"], r["level"], r["parent_code"]) == (name, level, parent)


@pytest.mark.parametrize(("alias", "code"), [
    ("Kaltim", "64"), ("Kepri", "21"), ("Babel", "19"), ("Kalteng", "62"), ("DIY", "34"), ("DKI", "31"),
    ("Batam", "21.71"), ("Bateng", "19.04"), ("Kukar", "64.02"), ("Kutim", "64.08"), ("Kubar", "64.07"),
    ("Mahulu", "64.11"), ("PPU", "64.09"), ("Pangkalpinang", "19.71"), ("Balikpapan", "64.71"),
    ("Samarinda", "64.72"), ("Bontang", "64.74"), ("Tanjungpinang", "21.72"),
])
def test_alias_spot_checks(by_code: dict[str, dict[str, str]], alias: str, code: str) -> None:
    assert alias in aliases(by_code[code])


def test_ambiguous_bare_names_are_not_aliases(rows: list[dict[str, str]]) -> None:
    every = {a.casefold() for r in rows for a in aliases(r)}
    for bare in ("Bekasi", "Bogor", "Bandung", "Malang", "Banjar", "Kupang", "Sorong", "Jambi", "Gorontalo"):
        assert bare.casefold() not in every, bare

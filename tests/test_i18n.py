"""One catalogue per language: the same keys and placeholders in both, and no user-facing text typed
into the code that writes reports."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from helpers.analysis.labels import TITLE_REMARKS
from helpers.i18n import LANGS, NBSP, catalogue, format_date, format_number, format_percent, placeholders, t

ROOT = Path(__file__).resolve().parents[1]


def test_every_key_is_in_both_languages_with_the_same_placeholders():
    ids, ens = catalogue("id"), catalogue("en")
    assert sorted(set(ids) - set(ens)) == [], "keys missing from text-en.toml"
    assert sorted(set(ens) - set(ids)) == [], "keys missing from text-id.toml"
    for key in ids:
        assert placeholders(ids[key]) == placeholders(ens[key]), key
        assert ids[key].strip() or key == "word.exact", f"{key} is empty in id"
        assert ens[key].strip() or key == "word.exact", f"{key} is empty in en"


def test_a_missing_key_fails_loudly():
    with pytest.raises(KeyError):
        t("narrative.no_such_sentence", "id")
    with pytest.raises(KeyError):
        catalogue("fr")


def test_numbers_and_dates_follow_each_language():
    assert format_number(1294548, "id") == "1.294.548" and format_number(1294548, "en") == "1,294,548"
    assert format_percent(72.8, "id") == f"72,80{NBSP}%" and format_percent(72.8, "en") == "72.80%"
    assert format_date(date(2024, 10, 31), "month", "id") == "Okt 2024"
    assert format_date(date(2024, 8, 3), "day", "id") == "3 Agu 2024"
    assert format_date(date(2024, 8, 3), "day", "en") == "3 Aug 2024"
    assert format_date(None, "unknown", "en") == "undated"


#: Modules that write what a reader sees: every sentence must come from the catalogue.
TEXT_MODULES = ["src/helpers/analysis/narrative.py", "src/helpers/analysis/figures.py", "src/helpers/analysis/labels.py",
                "src/helpers/analysis/trends.py", "src/helpers/analysis/profiles.py", "src/helpers/analysis/charts.py",
                "src/helpers/analysis/params.py::Report",
                "src/helpers/export/html.py", "src/helpers/export/slides.py"]


@pytest.mark.parametrize("module", TEXT_MODULES)
def test_no_sentence_is_typed_into_the_code(module):
    """A string literal of three or more words, outside docstrings, is user-facing text that belongs in the
    catalogue (HTML markup, SQL and format strings without words are fine).  ``path::Name``: only the class
    or function ``Name`` of that module writes report text (the rest are developer-facing errors)."""
    path, _, name = module.partition("::")
    tree: ast.AST = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    if name:
        tree = next(n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == name)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    offenders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            text = node.value
            if text in TITLE_REMARKS or any(k in text for k in ("SELECT", "FROM", "<", "{", "WHERE", "JOIN")):
                continue
            words = [w for w in text.split() if w.isalpha() and len(w) > 1]
            if len(words) >= 3:
                offenders.append(text)
    assert offenders == [], f"{module}: move to assets/text-*.toml: {offenders}"


def test_both_languages_are_loaded():
    assert set(LANGS) == {"id", "en"}


def test_a_label_inside_a_sentence_starts_in_lower_case_unless_it_is_an_acronym():
    from helpers.i18n import t

    assert t("narrative.no_figures", "id", metric="Cakupan perekaman KTP-el") == "Tidak ada angka cakupan perekaman KTP-el"
    assert t("narrative.no_figures", "en", metric="KTP-el recording coverage") == "No KTP-el recording coverage figures"
    assert t("narrative.no_figures", "id", metric="IKD") == "Tidak ada angka IKD"

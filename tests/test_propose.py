"""``ktpel propose`` / ``propose --add`` / ``ktpel accept`` on real article texts, and on bad input."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import subprocess
import sys
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, copy_raw_layer, run_ktpel
from helpers import atomic
from helpers.intake import PROPOSED, PROPOSED_COLUMNS, add_source, quote_cuts_number
from helpers.project import Project
from helpers.raw.articles import Published, parse_published
from helpers.raw.facts import check_quote, load_metrics, load_regions
from helpers.raw.propose import COLUMNS, Candidate, propose
from helpers.raw.sources import REQUIRED, load_sources

SOURCES = ROOT / "data" / "raw" / "sources"
NEW_ARTICLE = SOURCES / "kaltim-2022-05-antara.txt"  # not among the seed sources


def day(text: str) -> Published:
    return parse_published(text, date(2026, 1, 1))


def read(name: str, published: str) -> list[Candidate]:
    project = Project(ROOT)
    regions, _ = load_regions(project)
    metrics, _ = load_metrics(project)
    candidates, _ = propose((SOURCES / name).read_text(encoding="utf-8"), day(published), regions, metrics)
    return candidates


def find(candidates: list[Candidate], value: str) -> list[tuple[str, str, str, str]]:
    return [(c.region_code, c.metric, c.as_of, c.as_of_precision) for c in candidates if c.value == value]


@pytest.fixture
def seed_workspace(tmp_path: Path) -> Project:
    """The seed raw layer with today's region list and metrics, and a real article outside it."""
    project = copy_raw_layer(tmp_path / "ws", seed=True)
    for name in ("regions.csv", "metrics.csv"):
        shutil.copy(ROOT / "data" / "raw" / name, project.raw / name)
    shutil.copy(NEW_ARTICLE, tmp_path / "article.txt")
    return project


def snapshot_of(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def add(project: Project, article: Path, *extra: str, source_id: str = "kaltim-2022-05-antara"
        ) -> subprocess.CompletedProcess[str]:
    return run_ktpel(project, "propose", str(article), "--published", "2022-05-20", "--add", "--source-id",
                     source_id, "--title", "Perekaman KTP-el di Kaltim mencapai 100,8 persen",
                     "--publisher", "ANTARA Kalimantan Timur", "--url", "https://kaltim.antaranews.com/", *extra)


def review_rows(project: Project) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((project.raw / PROPOSED).read_text(encoding="utf-8"))))


def write_review(project: Project, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, PROPOSED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (project.raw / PROPOSED).write_text(out.getvalue(), encoding="utf-8")


# --- reading ---------------------------------------------------------------------------------------------

def test_seed_recall_reaches_the_goal() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "propose_score.py")], capture_output=True, text=True,
                         check=True).stdout
    found, total = map(int, re.search(r"recall (\d+)/(\d+)", out).groups())  # type: ignore[union-attr]
    assert found / total >= 0.9, out


def test_batam_figures_with_the_interview_date() -> None:
    got = read("batam-2025-serantaumedia.txt", "2025-02")
    assert ("21.71", "ktp_required", "2025-01-10", "day") in find(got, "905737")  # "Jumat (10/1)" of Feb 2025
    assert ("21.71", "ktp_recorded", "2025-01-10", "day") in find(got, "926654")
    assert ("21.71", "ktp_recording_pct", "2025-01-10", "day") in find(got, "100.10")
    assert find(got, "123571") == [("21.71", "ktp_printed", "2024", "year")]  # "Pada tahun 2024"
    assert find(got, "1429")[0][1] == "blank_cards_remaining"  # "1.429 keping"
    assert find(got, "12")[0][1] == "service_kecamatan"  # "12 kecamatan"


def test_day_without_year_is_resolved_against_the_publication_date() -> None:
    # (10/1) read on 5 January 2025 cannot be 10 January 2025: it is 10 January 2024
    got = read("batam-2025-serantaumedia.txt", "2025-01-05")
    assert ("21.71", "ktp_required", "2024-01-10", "day") in find(got, "905737")


def test_kabupaten_kota_dates_and_topics() -> None:
    got = read("kaltim-2024-06-dkp3a.txt", "2024-06-21")
    assert ("64", "ktp_recording_pct", "2024-06-13", "day") in find(got, "98.75")  # "per 13 Juni 2024"
    assert find(got, "97.43") == [("64.74", "ktp_recording_pct", "2024-06-13", "day")]  # Kota Bontang, carried date
    # no date of its own: the day of the statement, "Rabu (19/6/)" (a day and month with the year left out)
    assert find(got, "55.53") == [("64.01", "first_time_voter_recording_pct", "2024-06-19", "day")]
    assert find(got, "10.46") == [("64.09", "ikd_activation_pct", "2024-06-19", "day")]  # not Kabupaten Paser
    said = [c for c in got if c.value == "55.53"][0]
    assert "the statement date '(19/6/)'" in said.reason


def test_national_targets_are_region_00() -> None:
    """A target the sentence calls national, or a target in a sentence naming no region, is Indonesia's (00)."""
    got = read("kaltim-2024-06-dkp3a.txt", "2024-06-21")
    assert find(got, "60.00") == [("00", "kia_ownership_pct", "2024", "year")]  # "target nasional tahun 2024"
    assert ("00", "ikd_activation_pct", "2024", "year") in find(got, "30")  # "target ... (IKD) Tahun 2024 sebesar 30"
    assert all(c.confidence == "low" and "national target" in c.reason for c in got if c.region_code == "00")
    assert ("64", "kia_ownership_pct", "2024-06-19", "day") in find(got, "72.80")  # Kaltim's own figure stays 64
    assert ("64", "ktp_recording_pct", "2024-06-13", "day") in find(got, "98.75")


def test_a_national_figure_in_a_regional_outlet_is_region_00() -> None:
    """ "Samarinda (ANTARA Kaltim) - ... secara nasional sudah mencapai 95,4 persen": Indonesia's, not Kaltim's."""
    got = read("national-2016-antara-kaltim.txt", "2016")
    assert find(got, "95.4") == [("00", "ktp_recording_pct", "2016", "year")]
    kaltim = read("kaltim-2018-antara-tersisa-1-persen.txt", "2018")  # the province named: its own figures stay 64
    assert ("64", "ktp_recorded", "2018-06-28", "day") in find(kaltim, "2424827")


def test_statement_date_with_a_dash_and_year() -> None:
    """The dateline "SANGATTA (9/3-2019)" is a statement day even when the publication date is not known."""
    got = read("kaltim-2019-03-suarakutim.txt", "unknown")
    assert ("64.08", "ktp_recorded", "2019-03-09", "day") in find(got, "234821")
    assert ("64.08", "population", "2019-03-09", "day") in find(got, "419756")
    known = read("kaltim-2019-03-suarakutim.txt", "2019-03-09")  # with it, "Rabu (6/3)" is the statement day
    assert ("64.08", "ktp_recorded", "2019-03-06", "day") in find(known, "234821")
    two_digits = read("babar-2023-01-laspela.txt", "unknown")  # "Selasa (10/1/23)": a two-digit year
    assert ("19.05", "population", "2023-01-10", "day") in find(two_digits, "206937")


def test_published_month_admits_dates_up_to_its_end() -> None:
    """--published 2024-06 (month only): "per 13 Juni 2024" is within it, so it stays the figure's date."""
    got = read("kaltim-2024-06-dkp3a.txt", "2024-06")
    assert ("64", "ktp_recording_pct", "2024-06-13", "day") in find(got, "98.75")
    assert find(got, "97.43") == [("64.74", "ktp_recording_pct", "2024-06-13", "day")]


def test_a_date_after_publication_is_flagged(tmp_path: Path) -> None:
    """A publication date typed too early: the dates after it are named, and none becomes a figure's date."""
    copy_raw_layer(tmp_path / "ws")
    result = run_ktpel(tmp_path / "ws", "propose", str(SOURCES / "kaltim-2024-06-dkp3a.txt"), "--published",
                       "2024-06-10", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "note: '13 Juni 2024' is after the publication date 2024-06-10 (--published)" in result.stderr
    assert "correct --published" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["as_of"] <= "2024-06-10" for r in rows if r["as_of"])
    project = Project(ROOT)
    regions, _ = load_regions(project)
    metrics, _ = load_metrics(project)
    text = (SOURCES / "national-2019-01-dara.txt").read_text(encoding="utf-8")  # "Pemilu 17 April 2019", twice
    _, notes = propose(text, day("2019-01-21"), regions, metrics)
    assert [n for n in notes if "'17 April 2019' is after" in n] == [notes[0]] and len(notes) == 1


def test_clock_times_are_not_figures() -> None:
    """ "pukul 08.00 WIB menjadi pukul 14.00 WIB", "pukul 07.30 WIB": times, neither figures nor bad numerals."""
    project = Project(ROOT)
    regions, _ = load_regions(project)
    metrics, _ = load_metrics(project)
    for name, published in (("batam-2012-10-jpnn.txt", "2012-10-26"), ("batam-2012-11-pemkobatam.txt", "2012-11")):
        text = (SOURCES / name).read_text(encoding="utf-8")
        assert "WIB" in text
        candidates, notes = propose(text, day(published), regions, metrics)
        assert not {"8", "800", "14", "1400", "7.30", "730", "30"} & {c.value for c in candidates if c.unit != "percent"}
        assert not [n for n in notes if "WIB" in n or "08.00" in n or "07.30" in n], notes
    text = "Di Kota Batam, Senin (10/6) pukul 10.30 Wita hingga jam 9 malam, sebanyak 1.500 warga telah merekam."
    candidates, notes = propose(text, day("2024-06-21"), regions, metrics)
    assert [(c.value, c.as_of) for c in candidates] == [("1500", "2024-06-10")] and not notes


def test_month_dates_aliases_and_groups() -> None:
    got = read("kaltim-2024-11-ikd-award.txt", "2024-11-08")
    assert ("64", "ktp_recording_pct", "2024-10", "month") in find(got, "99.54")  # "Hingga Oktober 2024 ... di Kaltim"
    assert ("64", "ktp_required", "2024-10", "month") in find(got, "2860701")
    undated = read("kaltim-undated-mesin-cetak.txt", "unknown")
    assert sorted(find(undated, "75")) == [("64.09", "birth_certificate_ownership_pct", "", "unknown"),
                                           ("64.74", "birth_certificate_ownership_pct", "", "unknown")]  # PPU dan Bontang
    assert ("64", "printing_machines_handed_over", "", "unknown") in find(undated, "2")  # "dua unit"


def test_total_and_its_parts() -> None:
    got = read("bateng-2022-babelpos.txt", "2022-11-22")
    assert ("19.04", "ktp_recording_total_pct", "2022-11-22", "day") in find(got, "105")  # 105 = 98 + 7
    assert ("19.04", "ktp_recording_pct", "2022-11-22", "day") in find(got, "98")
    assert [c.qualifier for c in got if c.value == "98"] == ["approx"]  # "sekitar 98 persen"


def test_every_proposal_of_the_corpus_passes_the_quote_check() -> None:
    """Each quote is the source's own words, holds the whole number with its qualifier, and cuts no number."""
    project = Project(ROOT)
    sources, _ = load_sources(project)
    regions, _ = load_regions(project)
    metrics, _ = load_metrics(project)
    count = 0
    for source in sources.values():
        published = day(source.published_on) if source.published.known and source.published_on else day("unknown")
        candidates, _ = propose(source.text, published, regions, metrics)
        for c in candidates:
            problems, qualifier = check_quote(source, c.quote, Decimal(c.value), c.unit or "persons")
            assert not problems and qualifier == c.qualifier, (source.id, c)
            assert not quote_cuts_number(source.text, c.quote), (source.id, c.quote)
            count += 1
    assert count > 300


def test_a_number_is_never_cut_from_a_longer_one(tmp_path: Path) -> None:
    text = (SOURCES / "kaltim-2024-11-ikd-award.txt").read_text(encoding="utf-8")
    got = read("kaltim-2024-11-ikd-award.txt", "2024-11-08")
    values = {c.value for c in got}
    assert "2860701" in values and not {"860701", "60701", "286"} & values
    assert quote_cuts_number(text, "860.701 jiwa penduduk")
    assert not quote_cuts_number(text, "2.860.701 jiwa penduduk")


def test_propose_prints_csv_and_changes_nothing(tmp_path: Path) -> None:
    project = copy_raw_layer(tmp_path / "ws")
    before = snapshot_of(project.root)
    result = run_ktpel(project, "propose", str(NEW_ARTICLE), "--published", "2022-05-20", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == COLUMNS and len(rows) > 15
    assert ["64.74", "ktp_recording_pct", "102.29"] in [r[:3] for r in rows]
    assert snapshot_of(project.root) == before


# --- bad input -------------------------------------------------------------------------------------------

def test_non_utf8_article_is_refused_with_its_line(tmp_path: Path) -> None:
    text = (SOURCES / "kaltim-2024-11-ikd-award.txt").read_text(encoding="utf-8")  # saved as Windows-1252
    article = tmp_path / "article.txt"
    article.write_bytes(text.encode("cp1252"))
    first = next(i for i, ch in enumerate(text) if ord(ch) > 127)
    line, byte = text[:first].count("\n") + 1, text[first].encode("cp1252")[0]
    copy_raw_layer(tmp_path / "ws")
    result = run_ktpel(tmp_path / "ws", "propose", str(article), "--published", "2024-11-08")
    assert result.returncode == 1
    assert f"article.txt:{line}: encoding: byte 0x{byte:02x} is not UTF-8" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_empty_article_is_refused(tmp_path: Path) -> None:
    (tmp_path / "article.txt").write_text(" \n\n", encoding="utf-8")
    copy_raw_layer(tmp_path / "ws")
    result = run_ktpel(tmp_path / "ws", "propose", str(tmp_path / "article.txt"), "--published", "2024-06-21")
    assert result.returncode == 1
    assert "article.txt:1: text: the file is empty" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("published", "message"), [
    ("2999-01-01", "--published: 2999-01-01 is in the future"),
    ("2024-13-01", "--published: '2024-13-01' is not a real date"),
    ("13/06/2024", "--published: '13/06/2024' is not a day date (write it as 2024-06-13)"),
])
def test_bad_publication_date_is_refused(tmp_path: Path, published: str, message: str) -> None:
    copy_raw_layer(tmp_path / "ws")
    result = run_ktpel(tmp_path / "ws", "propose", str(NEW_ARTICLE), "--published", published)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unknown_region_is_left_empty_and_refused_at_accept(seed_workspace: Project, tmp_path: Path) -> None:
    text = (SOURCES / "batam-2018-10-tribunbatam.txt").read_text(encoding="utf-8")
    for name in ("Kota Batam", "BATAM", "Batam"):
        text = text.replace(name, "Pulau Antah")
    article = tmp_path / "unknown-region.txt"
    article.write_text(text, encoding="utf-8")
    result = add(seed_workspace, article, source_id="antah-2018-10")
    assert result.returncode == 0, result.stderr
    rows = review_rows(seed_workspace)
    assert rows and all(r["region_code"] == "" and r["keep"] == "no" for r in rows)
    assert "no region named yet" in rows[0]["reason"]
    rows[0]["keep"] = "yes"  # a reviewer who keeps it without giving the region
    write_review(seed_workspace, rows)
    facts_before = (seed_workspace.raw / "facts.csv").read_bytes()
    result = run_ktpel(seed_workspace, "accept")
    assert result.returncode == 1
    assert f"data/raw/{PROPOSED}:2: region_code: unknown region ''" in result.stderr
    assert (seed_workspace.raw / "facts.csv").read_bytes() == facts_before and (seed_workspace.raw / PROPOSED).exists()


def test_accept_refuses_a_quote_cut_from_a_longer_number(seed_workspace: Project, tmp_path: Path) -> None:
    assert add(seed_workspace, tmp_path / "article.txt").returncode == 0
    rows = review_rows(seed_workspace)
    row = next(r for r in rows if r["value"] == "2651549")
    row.update(value="651549", quote="651.549 jiwa wajib ber-KTP")  # found in the text, inside "2.651.549"
    write_review(seed_workspace, rows)
    result = run_ktpel(seed_workspace, "accept")
    assert result.returncode == 1
    line = rows.index(row) + 2
    assert f"{PROPOSED}:{line}: quote: starts or ends inside a longer number" in result.stderr


# --- add and accept --------------------------------------------------------------------------------------

def test_add_then_accept(seed_workspace: Project, tmp_path: Path) -> None:
    result = add(seed_workspace, tmp_path / "article.txt", "--excerpt")
    assert result.returncode == 0, result.stderr
    assert "then run `ktpel accept`" in result.stdout
    stored = seed_workspace.raw / "sources" / "kaltim-2022-05-antara.txt"
    assert stored.read_bytes() == NEW_ARTICLE.read_bytes()
    entry = yaml.safe_load((seed_workspace.raw / "sources.yaml").read_text(encoding="utf-8"))["sources"][-1]
    assert all(entry[f] for f in REQUIRED) and entry["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest()
    assert entry["url"] == "https://kaltim.antaranews.com/" and entry["excerpt"] is True
    assert run_ktpel(seed_workspace, "check").returncode == 0  # the new source alone is valid
    rows = review_rows(seed_workspace)
    kept = [r for r in rows if r["keep"] == "yes"]
    for row in rows:  # an inferred date is said so in the note that goes into facts.csv
        assert ("as_of inferred" in row["reason"]) == row["note"].startswith("Date inferred"), row
    facts_before = (seed_workspace.raw / "facts.csv").read_text(encoding="utf-8").count("\n")
    result = run_ktpel(seed_workspace, "accept")
    assert result.returncode == 0, result.stderr
    assert f"moved {len(kept)} reviewed facts" in result.stdout
    assert (seed_workspace.raw / "facts.csv").read_text(encoding="utf-8").count("\n") == facts_before + len(kept)
    assert not (seed_workspace.raw / PROPOSED).exists()
    check = run_ktpel(seed_workspace, "check")
    assert check.returncode == 0 and f"ok: {38 + len(kept)} facts" in check.stdout


def test_add_refuses_and_writes_nothing(seed_workspace: Project, tmp_path: Path) -> None:
    before = snapshot_of(seed_workspace.raw)
    taken = add(seed_workspace, tmp_path / "article.txt", source_id="batam-2025-serantaumedia")
    assert taken.returncode == 2 and "exists already" in taken.stderr
    bad_id = add(seed_workspace, tmp_path / "article.txt", source_id="Kaltim 2022")
    assert bad_id.returncode == 2 and "--source-id 'Kaltim 2022'" in bad_id.stderr
    missing = run_ktpel(seed_workspace, "propose", str(tmp_path / "article.txt"), "--published", "2022-05-20", "--add")
    assert missing.returncode == 2 and "--add needs --source-id, --title, --publisher" in missing.stderr
    assert snapshot_of(seed_workspace.raw) == before
    assert add(seed_workspace, tmp_path / "article.txt").returncode == 0
    again = add(seed_workspace, tmp_path / "article.txt", source_id="kaltim-2022-05-other")
    assert again.returncode == 2 and "proposals not yet accepted" in again.stderr


def test_add_puts_back_what_it_wrote_when_a_write_fails(seed_workspace: Project, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot_of(seed_workspace.raw)
    real = atomic.write_bytes
    calls: list[Path] = []

    def failing(path: Path, data: bytes) -> None:
        calls.append(path)
        if path.name == PROPOSED:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(atomic, "write_bytes", failing)
    with pytest.raises(OSError):
        add_source(seed_workspace, tmp_path / "article.txt", day("2022-05-20"), "kaltim-2022-05-antara", "T", "P",
                   None, False, date(2026, 1, 1))
    assert [p.name for p in calls][:3] == ["kaltim-2022-05-antara.txt", "sources.yaml", PROPOSED]
    assert snapshot_of(seed_workspace.raw) == before


def test_accept_refuses_undecided_rows_and_duplicates(seed_workspace: Project, tmp_path: Path) -> None:
    assert add(seed_workspace, tmp_path / "article.txt").returncode == 0
    rows = review_rows(seed_workspace)
    rows[0]["keep"] = "maybe"
    write_review(seed_workspace, rows)
    result = run_ktpel(seed_workspace, "accept")
    assert result.returncode == 1 and f"{PROPOSED}:2: keep: 'maybe': write yes" in result.stderr
    for row in rows:  # keeping every row keeps two values for one region, metric and as_of
        row["keep"] = "yes"
    write_review(seed_workspace, rows)
    result = run_ktpel(seed_workspace, "accept")
    assert result.returncode == 1 and f"of {PROPOSED}" in result.stderr and "duplicate fact" in result.stderr
    assert (seed_workspace.raw / PROPOSED).exists()


def test_sources_yaml_url_and_excerpt_are_checked(tmp_path: Path) -> None:
    project = copy_raw_layer(tmp_path / "ws", seed=True)
    path = project.raw / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    language: id\n", "    language: id\n    url: ftp:/x\n    excerpt: maybe\n", 1),
                    encoding="utf-8")
    result = run_ktpel(project, "check")
    assert result.returncode == 1
    assert re.search(r"sources\.yaml:\d+: url: 'ftp:/x' is not a web address", result.stderr)
    assert re.search(r"sources\.yaml:\d+: excerpt: 'maybe': write true", result.stderr)
    atomic.write_text(path, text)


def test_bom_crlf_and_fullwidth_digits_read_like_plain_text(tmp_path: Path) -> None:
    """A real article saved by Windows (BOM, CRLF) with a figure typed in fullwidth digits."""
    text = (SOURCES / "kaltim-2024-06-dkp3a.txt").read_text(encoding="utf-8").replace("98,75", "９８，７５")
    article = tmp_path / "article.txt"
    article.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    project = copy_raw_layer(tmp_path / "ws")
    result = run_ktpel(project, "propose", str(article), "--published", "2024-06-21", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {"region_code": "64", "metric": "ktp_recording_pct", "value": "98.75", "as_of": "2024-06-13"}.items() <= \
        next(r for r in rows if r["value"] == "98.75").items()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789.,% \n()/-abcdeijkmnprstuyKBTPSJO") + [
    " persen", " juta", " ribu", " Batam", " Kaltim", " wajib KTP", " per 13 Juni 2024", " (10/1)", " sekitar",
    " belum merekam", " dua unit", "\uff12", "\u00a0"]), max_size=60).map("".join))
def test_any_text_is_read_without_crashing(text: str) -> None:
    """Random numerals, dates and words: propose returns candidates whose quotes are the text's own words."""
    project = Project(ROOT)
    regions, _ = load_regions(project)
    metrics, _ = load_metrics(project)
    candidates, _ = propose(text, day("2024-06-21"), regions, metrics)
    norm = " ".join(unicodedata.normalize("NFKC", text).split())
    for c in candidates:
        assert c.quote and " ".join(c.quote.split()) in norm and Decimal(c.value) >= 0


def test_dateline_iso_date_and_clock_and_a_month_said_before() -> None:
    """korankaltim: "2016-10-06 05:00:05" is the page's date and time, not figures 10, 6 and 5; Media Indonesia:
    "hingga Februari 2018", said in a sentence with no figure, dates the figures of the next paragraph."""
    got = read("samarinda-2016-10-korankaltim.txt", "2016-10-06")
    assert not {"10", "6", "5"} & {c.value for c in got}
    assert ("64.72", "ktp_recording_pct", "2016-09-27", "day") in find(got, "94.73")
    babel = read("babel-2018-04-mediaindonesia.txt", "2018-04-03")
    assert ("19.02", "ktp_unrecorded", "2018-02", "month") in find(babel, "2950")
    assert ("19.01", "ktp_required", "2018-02", "month") in find(babel, "221732")


def test_the_dateline_place_is_not_the_subject() -> None:
    """ "Samarinda (Antaranews Kaltim) - ... di Provinsi Kalimantan Timur ...": the province's figures stay 64."""
    got = read("kaltim-2018-antara-tersisa-1-persen.txt", "2018")
    assert ("64", "ktp_recorded", "2018-06-28", "day") in find(got, "2424827")
    assert ("64", "ktp_unrecorded", "2018-06-28", "day") in find(got, "24559")

"""Data strings that carry HTML or Markdown (a region name, a source title, a note) reach the exported pages
as text, never as live markup: checked in the files and in headless Chromium.  Plus the names and stamps
of an exported batch: a run cannot be called ``index``, and pages made with other code, CSS, template or
fonts are exported again."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from conftest import ROOT, copy_raw_layer, run_ktpel, screenshot_tool
from helpers.batch.config import check_name
from helpers.export.stamp import STAMP, read_stamp, stale_reports

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("export")]

REGION_ATTACK = ('Kota Batam <img src=x onerror="document.title=\'pwned\'"> [klik](javascript:alert(1)) '
                 '<iframe src="http://example.invalid/"></iframe>')
TITLE_ATTACK = 'Batam Capai Rekor <svg onload="alert(1)"></svg><meta http-equiv="refresh" content="0;url=http://example.invalid/">'
NOTE_ATTACK = '<script>document.title="pwned"</script> [x](javascript:alert(2)) <b onmouseover="alert(3)">b</b>'
RUNS = """runs:
  - name: region-comparison
    notebook: notebooks/01_region_comparison.ipynb
    parameters: {regions: ["21.71", "64", "19.04"]}
  - name: data-quality
    notebook: notebooks/05_data_quality.ipynb
  - name: profile-batam
    notebook: notebooks/06_region_profile.ipynb
    parameters: {region: "21.71"}
"""
#: Elements no data string may turn into, and the only <meta> a page has.
FORBIDDEN = {"img", "iframe", "script", "object", "embed", "frame", "base", "form", "link"}
OWN_META = {("charset",), ("http-equiv", "content"), ("name", "content")}


def _csv_field(text: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([text])
    return buf.getvalue()


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def live_markup(html: str) -> list[str]:
    """Every element or attribute of ``html`` that could run, load or redirect."""
    parser = Tags()
    parser.feed(html)
    found = []
    for tag, attrs in parser.tags:
        if tag in FORBIDDEN:
            found.append(f"<{tag}>")
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
        found += [f"<{tag} {name}>" for name in attrs if name.startswith("on")]
        found += [f"<{tag} {name}={value}>" for name, value in attrs.items()
                  if name in ("href", "src", "xlink:href", "action") and value
                  and re.match(r"\s*(javascript|data|vbscript):", value, re.I)]
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    project = copy_raw_layer(tmp_path_factory.mktemp("unsafe") / "ws", seed=True)
    shutil.copytree(ROOT / "notebooks", project.notebooks_dir)
    (project.root / "reports.yaml").write_text(RUNS, encoding="utf-8")
    regions = project.raw / "regions.csv"
    # the old name stays an alias: notebooks may name Batam by it
    regions.write_text(regions.read_text(encoding="utf-8").replace(
        "21.71,Kota Batam,kota,21,Batam,", f"21.71,{_csv_field(REGION_ATTACK)},kota,21,Batam;Kota Batam,", 1),
        encoding="utf-8")
    sources = project.raw / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace(
        "    title: Batam Capai Rekor Perekaman KTP-el Tertinggi di Indonesia\n",
        f"    title: {json.dumps(TITLE_ATTACK)}\n", 1), encoding="utf-8")
    facts = project.raw / "facts.csv"
    text = facts.read_text(encoding="utf-8")
    start = text.index("batam-2025-serantaumedia,21.71,ktp_recording_pct,100.10")
    line_end = text.index("\n", start)
    row = next(csv.reader([text[start:line_end]]))
    row[-1] = NOTE_ATTACK
    facts.write_text(text[:start] + ",".join(_csv_field(f) for f in row) + text[line_end:], encoding="utf-8")
    built = run_ktpel(project, "build")
    assert built.returncode == 0, built.stderr
    sid = built.stdout.split()[1]
    ran = run_ktpel(project, "report", "--jobs", "2", timeout=600)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    directory = project.reports_dir / sid
    pages = {p.name: p.read_text(encoding="utf-8") for p in directory.glob("*.html")}
    return SimpleNamespace(project=project, sid=sid, dir=directory, pages=pages, report=ran)


def test_the_attacks_reach_the_pages_as_text(batch) -> None:
    assert set(batch.pages) == {"index.html", "region-comparison.html", "data-quality.html", "profile-batam.html"}
    everything = "\n".join(batch.pages.values())
    # the data did reach the pages (so the next test can fail), escaped
    assert "&lt;img src=x onerror=" in everything
    assert "&lt;svg onload=" in everything
    assert "&lt;iframe src=" in everything or "&lt;iframe" in everything


@pytest.mark.parametrize("page", ["index.html", "region-comparison.html", "data-quality.html", "profile-batam.html"])
def test_no_data_string_becomes_markup(batch, page: str) -> None:
    html = batch.pages[page]
    assert live_markup(html) == []
    metas = [tuple(sorted(k for k in attrs if k != "content") + (["content"] if "content" in attrs else []))
             for tag, attrs in _tags(html) if tag == "meta"]
    assert all(m in OWN_META for m in metas), metas


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_chromium_shows_the_attacks_as_text(batch) -> None:
    from playwright.sync_api import sync_playwright

    tool = screenshot_tool
    with sync_playwright() as p:
        browser = tool.launch(p)
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for name in batch.pages:
                page.goto((batch.dir / name).as_uri())
                page.wait_for_timeout(300)
                live = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e =>
                    ['IMG', 'IFRAME', 'SCRIPT', 'OBJECT', 'EMBED'].includes(e.tagName.toUpperCase())
                    || [...e.attributes].some(a => a.name.startsWith('on'))
                    || /^\\s*javascript:/i.test(e.getAttribute('href') || '')).map(e => e.outerHTML.slice(0, 80))""")
                assert live == [], (name, live)
                assert page.title() != "pwned"
                assert page.url == (batch.dir / name).as_uri()  # no meta refresh took it away
            text = page.inner_text("body")
            assert "<img src=x onerror=" in text or "Kota Batam <img" in text
        finally:
            browser.close()
    assert dialogs == []
    assert [u for u in requests if not u.startswith("file://")] == []


# --- names and stamps of an exported batch -----------------------------------------------------------------

@pytest.mark.parametrize("name", ["index", "INDEX", "Index"])
def test_a_run_cannot_be_named_index(name: str) -> None:
    assert "reserved" in (check_name(name) or "")


def test_a_report_named_index_is_refused_by_export(batch) -> None:
    shutil.copy(batch.dir / "profile-batam.ipynb", batch.dir / "index.ipynb")
    index_before = (batch.dir / "index.html").read_bytes()
    try:
        result = run_ktpel(batch.project, "export")
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "would overwrite the batch's index.html" in result.stderr
        assert (batch.dir / "index.html").read_bytes() == index_before
    finally:
        (batch.dir / "index.ipynb").unlink()


def test_exports_made_with_other_code_css_or_fonts_are_redone(batch) -> None:
    names = ["region-comparison", "data-quality", "profile-batam"]
    assert stale_reports(batch.dir, names) == []
    noop = run_ktpel(batch.project, "report", "--jobs", "2", timeout=600)
    assert noop.returncode == 0 and "exports up to date" in noop.stdout, noop.stdout + noop.stderr
    stamp = json.loads((batch.dir / STAMP).read_text(encoding="utf-8"))
    stamp["pages"]["data-quality"] = "0" * 64  # as if made before report.css or a font changed
    (batch.dir / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    page_before = (batch.dir / "data-quality.html").stat().st_mtime_ns
    assert stale_reports(batch.dir, names) == ["data-quality"]
    again = run_ktpel(batch.project, "report", "--jobs", "2", timeout=600)
    assert again.returncode == 0 and "exported 1 report(s)" in again.stdout, again.stdout + again.stderr
    assert (batch.dir / "data-quality.html").stat().st_mtime_ns > page_before
    assert stale_reports(batch.dir, names) == [] and set(read_stamp(batch.dir)) == set(names)

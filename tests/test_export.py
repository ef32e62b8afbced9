"""`ktpel export`: a real batch (three notebooks run by Papermill on a fresh snapshot, one of them in
English) exported to offline HTML, chart PNG/SVG/PDF and slide decks; the pages opened from disk in
headless Chromium with the network cut off."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlparse

import duckdb
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

import helpers.atomic as atomic
import helpers.export.build as export
import helpers.export.render as render
from conftest import screenshot_tool
from helpers.analysis.charts import title_lines
from helpers.export.model import load_batch
from helpers.export.slides import slide_spec
from helpers.project import Project
from helpers.snapshot import build

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: report name in the batch -> (notebook, parameters)
RUNS = {
    "region-comparison": ("01_region_comparison", {}),
    "kabupaten-kota": ("03_kabupaten_kota", {}),
    "data-quality-en": ("05_data_quality", {"lang": "en"}),
}
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("export")]




def _papermill(project: Project, sid: str, name: str) -> None:
    notebook, parameters = RUNS[name]
    args = [sys.executable, "-m", "papermill", str(project.notebooks_dir / f"{notebook}.ipynb"),
            str(project.reports_dir / sid / f"{name}.ipynb"), "-p", "snapshot", sid, "--cwd",
            str(project.notebooks_dir), "-k", "python3", "--no-progress-bar"]
    for key, value in parameters.items():
        args += ["-p", key, value]
    done = subprocess.run(args, env={**os.environ, "KTPEL_PROJECT": str(project.root)}, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A copy of the workspace, its snapshot, a batch of three executed notebooks (plus a failed run
    and temporary files that must be ignored), exported once."""
    root = tmp_path_factory.mktemp("ws")
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    project = Project(root)
    sid = build(project).snapshot_id
    directory = project.reports_dir / sid
    directory.mkdir(parents=True)
    with ThreadPoolExecutor(len(RUNS)) as pool:
        list(pool.map(lambda name: _papermill(project, sid, name), RUNS))
    shutil.copy(directory / "region-comparison.ipynb", directory / "broken.failed.ipynb")
    (directory / ".runner-tmp-1.ipynb").write_text("{ half a notebo", encoding="utf-8")
    (directory / "region-comparison.tmp.ipynb").write_text("{ half a notebo", encoding="utf-8")
    result = export.export_batch(project, sid)
    con = duckdb.connect(str(project.snapshots_dir / f"{sid}.duckdb"), read_only=True)
    sources = [r[0] for r in con.execute("SELECT title FROM sources ORDER BY source_id").fetchall()]
    created_at = con.execute("SELECT created_at FROM snapshot").fetchone()[0]
    con.close()
    loaded = load_batch(project, sid)
    from helpers.analysis.labels import source_title

    titles = {lang: [source_title({"title": t}, lang) for t in sources] for lang in ("id", "en")}
    return SimpleNamespace(project=project, sid=sid, dir=directory, result=result, batch=loaded,
                           sources=sources, titles=titles, created_at=created_at)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = screenshot_tool.launch(p)
        yield b
        b.close()


def _files(directory: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".png", ".svg", ".pdf", ".pptx")}


def _leftovers(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.name.startswith(atomic.TMP_PREFIX)]


def test_every_output_is_written(batch):
    d, sid = batch.dir, batch.sid
    written = set(batch.result.written)
    runs = {r.name: r for r in batch.batch.runs}
    assert set(runs) == set(RUNS)  # the failed run and the temporary files are not reports
    for name, run in runs.items():
        assert d / f"{name}.html" in written
        assert len(run.charts) == 1
        for chart in run.charts:
            assert chart.stem == f"{name}--{chart.chart_id}"
            for ext in ("png", "svg", "pdf"):
                assert d / "charts" / f"{chart.stem}.{ext}" in written
    assert {d / "index.html", d / "slides.pptx", d / "slides-en.pptx"} <= written
    assert not (d / "broken.failed.html").exists() and not (d / "broken.html").exists()
    assert [p.name for p in batch.batch.failed] == ["broken.failed.ipynb"]
    assert batch.result.relative(batch.project)[0].startswith(f"reports/{sid}/")
    assert not _leftovers(d)


def test_html_loads_nothing_from_anywhere(batch):
    pages = sorted(batch.dir.glob("*.html"))
    assert len(pages) == len(RUNS) + 1
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower()
        assert not re.search(r"""(src|href|action|poster|data)\s*=\s*["']?\s*(https?:)?//""", html, re.I), page.name
        assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//|@import", html, re.I), page.name
        assert "cdn" not in html.lower() and "mathjax" not in html.lower() and "require.js" not in html.lower()
        # no path of the building machine
        assert str(batch.project.root) not in html and str(ROOT) not in html and str(Path.home()) + "/" not in html
        assert batch.sid in html and 'href="index.html"' in html or page.name == "index.html"
    for name in RUNS:
        html = (batch.dir / f"{name}.html").read_text(encoding="utf-8")
        lang, word = ("en", "Sources") if name.endswith("-en") else ("id", "Sumber")
        assert f'<html lang="{lang}">' in html and word in html
        assert "<svg" in html and "data:image/svg+xml" not in html  # charts inline, not as images
        assert "import " not in html and "open_report(" not in html  # no code


def test_pages_render_offline_in_chromium(batch, browser):
    for page_path in [batch.dir / f"{name}.html" for name in RUNS] + [batch.dir / "index.html"]:
        blocked: list[str] = []
        errors: list[str] = []
        page = screenshot_tool.offline_page(browser, blocked)
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.goto(page_path.as_uri(), wait_until="load")
        if page_path.name != "index.html":
            run = next(r for r in batch.batch.runs if r.name == page_path.stem)
            marks = page.eval_on_selector_all(
                "svg.marks", "els => els.map(e => [e.querySelectorAll('g[class*=\"mark-\"] path, "
                "g[class*=\"mark-\"] rect, g[class*=\"mark-\"] line').length, e.getBoundingClientRect().width])")
            assert len(marks) >= len(run.charts), page_path.name
            for count, width in marks:
                assert count > 0 and width > 300, (page_path.name, count, width)
            shown = "".join(page.inner_text("body").split())  # a long chart title is drawn in lines (SVG tspans)
            assert "".join(run.charts[0].title.split()) in shown
            assert page.locator("table.ktpel-table").count() >= 1
        links = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
        targets = [Path(unquote(urlparse(u).path)) for u in links if u.startswith("file://")]
        assert len(targets) == len(links)  # every link is to a file of the batch
        for target in targets:
            assert target.is_file(), (page_path.name, target)
        assert not errors, (page_path.name, errors)
        assert not blocked, (page_path.name, blocked)
        page.context.close()


def test_index_names_runs_parameters_snapshot_and_sources(batch):
    html = (batch.dir / "index.html").read_text(encoding="utf-8")
    for name in RUNS:
        for target in (f"{name}.html", f"{name}.ipynb", f"charts/{name}--"):
            assert f'href="{target}' in html
    assert '<li class="set"><code>lang = &quot;en&quot;</code></li>' in html
    assert f'<time datetime="{batch.created_at}">' in html
    assert 'href="slides.pptx"' in html and 'href="slides-en.pptx"' in html
    assert "broken.failed.ipynb" in html
    from helpers.analysis.labels import source_title_parts

    for source in batch.sources:  # as published, cited; a curator's remark (or "untitled") in the page's language, not
        title, remark = source_title_parts({"title": source}, batch.batch.lang)
        assert title is None or f'<cite class="verbatim">{escape(title)}</cite>' in html
        assert remark is None or escape(remark) in html
    assert "Kota Batam" in html and "terbit ≥" in html  # regions; a date as honestly known


def test_chart_files(batch):
    for chart in batch.batch.charts:
        base = batch.dir / "charts" / chart.stem
        svg = base.with_suffix(".svg").read_text(encoding="utf-8")
        root = ET.fromstring(svg)
        drawn = " ".join(" ".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert all(line in drawn for line in title_lines(chart.title))  # a long title wraps
        width, height = float(root.get("width")), float(root.get("height"))
        image = Image.open(base.with_suffix(".png"))
        assert image.width >= 2 * width and image.height >= 2 * height
        gray = image.convert("L")
        pixels = list(gray.tobytes())
        assert sum(p < 250 for p in pixels) / len(pixels) > 0.02  # not blank
        band = gray.crop((0, 0, image.width, int(image.height * 0.12)))  # the title
        dark = [p for p in band.tobytes() if p < 90]
        assert len(dark) > 2000 and len(set(dark)) > 10  # text, anti-aliased
        pdf = base.with_suffix(".pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and re.search(rb"/Type\s*/Page\b", pdf) and pdf.rstrip().endswith(b"%%EOF")
        assert b"DejaVu" in pdf  # the shipped font, embedded


@pytest.mark.parametrize(("deck", "lang"), [("slides.pptx", "id"), ("slides-en.pptx", "en")])
def test_slide_deck(batch, deck, lang):
    prs = Presentation(str(batch.dir / deck))
    assert abs(prs.slide_width / prs.slide_height - 16 / 9) < 0.01
    charts = [c for r in batch.batch.runs if r.lang == lang for c in r.charts]
    slides = list(prs.slides)
    assert len(slides) == len(charts) + 2
    first = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert batch.sid in first and ("dibuat" if lang == "id" else "built") in first
    word = "Sumber" if lang == "id" else "Sources"
    for slide, chart in zip(slides[1:-1], charts):
        assert slide.shapes.title.text_frame.text == chart.title
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        # the image is the chart's slide image file (charts/<stem>.slide.png, rendered with the chart's files)
        assert pictures[0].image.blob == (batch.dir / "charts" / f"{chart.stem}.slide.png").read_bytes()
        assert pictures[0].left >= 0 and pictures[0].left + pictures[0].width <= prs.slide_width
        assert pictures[0].top + pictures[0].height <= prs.slide_height
        footers = [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text.startswith(word)]
        assert footers == [chart.footer]
    last = slides[-1]
    assert last.shapes.title.text_frame.text == ("Daftar sumber" if lang == "id" else "List of sources")
    closing = " ".join(s.text_frame.text for s in last.shapes if s.has_text_frame)
    for title in batch.titles[lang]:
        assert title in closing


def test_failed_export_keeps_previous_files(batch, monkeypatch):
    before = _files(batch.dir)
    calls = []

    def failing_png(svg: str) -> bytes:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("renderer died midway")
        return b"\x89PNG broken"

    monkeypatch.setattr(render, "render_png", failing_png)
    with pytest.raises(RuntimeError, match="midway"):
        export.export_batch(batch.project, batch.sid)
    assert _files(batch.dir) == before  # nothing rewritten: rendering comes before any write
    assert not _leftovers(batch.dir)
    monkeypatch.undo()

    # A failure while writing (here: the third rename) leaves whole files only, old or new.
    real_replace, renames = os.replace, []

    def failing_replace(src, dst):
        renames.append(dst)
        if len(renames) == 3:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OSError):
        export.export_batch(batch.project, batch.sid)
    monkeypatch.undo()
    after = _files(batch.dir)
    assert set(after) == set(before) and not _leftovers(batch.dir)
    changed = [p for p in after if after[p][1] != before[p][1]]
    assert len(changed) <= 2
    for path in changed:  # rewritten completely (same export, same bytes)
        assert after[path][0] == before[path][0] or path.suffix == ".pptx"
    export.export_batch(batch.project, batch.sid)


def test_cli_export(batch):
    env = {**os.environ, "KTPEL_PROJECT": ""}
    done = subprocess.run([str(BIN / "ktpel"), "--project", str(batch.project.root), "export", "--snapshot",
                           batch.sid, "--only", "region-comparison"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"reports/{batch.sid}/region-comparison.html" in lines and f"reports/{batch.sid}/index.html" in lines
    assert f"reports/{batch.sid}/charts/region-comparison--region-comparison.png" in lines
    assert not any("kabupaten-kota.html" in line for line in lines)
    assert str(batch.project.root) not in done.stdout
    done = subprocess.run([str(BIN / "ktpel"), "--project", str(batch.project.root), "export", "--only", "nope"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "available: data-quality-en, kabupaten-kota, region-comparison" in done.stderr


def test_screenshot_tool(batch, tmp_path):
    out = tmp_path / "shot.png"
    # its own process: the module's browser fixture already runs Playwright's event loop in this one
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "screenshot.py"),
                           str(batch.dir / "region-comparison.html"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "blocked" not in done.stderr
    assert out.stat().st_size < screenshot_tool.MAX_BYTES
    image = Image.open(io.BytesIO(out.read_bytes()))
    assert image.width == 1200 and image.height > 600


# --------------------------------------------------------------------------- the default batch, in both languages


@pytest.fixture(scope="module")
def default_batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The runs of ``reports.yaml`` as a user gets them (``ktpel report``), plus an English twin of each
    notebook, on a copy of the workspace."""
    import yaml

    root = tmp_path_factory.mktemp("default")
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    config = yaml.safe_load((ROOT / "reports.yaml").read_text(encoding="utf-8"))
    twins, seen = [], set()
    for run in config["runs"]:
        if run["notebook"] not in seen:
            seen.add(run["notebook"])
            twins.append({**run, "name": f"{run['name']}-en", "parameters": {**(run.get("parameters") or {}), "lang": "en"}})
    config["runs"] += twins
    (root / "reports.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "KTPEL_PROJECT": ""}
    for args in (["build"], ["report", "--jobs", "2"]):
        done = subprocess.run([str(BIN / "ktpel"), "--project", str(root), *args], capture_output=True, text=True,
                              env=env, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    project = Project(root)
    sid = sorted(p.name for p in project.reports_dir.iterdir() if p.is_dir())[0]
    return SimpleNamespace(project=project, sid=sid, dir=project.reports_dir / sid, config=config,
                           batch=load_batch(project, sid))


def _vocabulary(project: Project, sid: str, lang: str) -> set[str]:
    """Every word a ``lang`` page may show outside quotes and source titles: the catalogue of ``lang``, and
    data (region names, metric labels of ``lang``, publishers, the places sources were written in, month and
    day names of ``lang``)."""
    from helpers.i18n import catalogue, time_locale

    words = set()
    for template in catalogue(lang).values():
        words |= _words(re.sub(r"\{[^}]*\}", " ", template))
    con = duckdb.connect(str(project.snapshots_dir / f"{sid}.duckdb"), read_only=True)
    rows = con.execute(f"SELECT name FROM regions UNION ALL SELECT label_{lang} FROM metrics "
                       "UNION ALL SELECT publisher FROM sources WHERE publisher IS NOT NULL "
                       "UNION ALL SELECT place FROM sources WHERE place IS NOT NULL").fetchall()
    con.close()
    for (value,) in rows:
        words |= _words(str(value))
    words |= TECHNICAL
    locale = time_locale(lang)
    for key in ("months", "shortMonths", "days"):
        words |= _words(" ".join(locale[key]))  # type: ignore[arg-type]
    return words


#: Names of formats and time zones, the same in both languages.
TECHNICAL = {"png", "svg", "pdf", "utc", "ktp"}


def _title_words(project: Project, sid: str) -> set[str]:
    """Words of the sources' titles: a chart's footer names a source without a publisher by its title."""
    con = duckdb.connect(str(project.snapshots_dir / f"{sid}.duckdb"), read_only=True)
    titles = con.execute("SELECT title FROM sources").fetchall()
    con.close()
    return set().union(*(_words(str(t)) for (t,) in titles))


def _words(text: str) -> set[str]:
    """Words of two letters or more; letters glued to digits (ids such as ``c933696133ed``) are not words."""
    return {w.casefold() for w in re.findall(r"(?<![\w])[^\W\d_]{2,}(?![\w])", text)}


#: Visible text outside these is the page's own language: quotes and source titles stay as published.
VERBATIM_JS = """() => {
  const skip = el => el.closest('.verbatim, q, cite, code, style, script, title, svg title');
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || skip(el) || !node.textContent.trim()) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    out.push([node.textContent, !!el.closest('svg')]);
  }
  return out;
}"""


def foreign_words(texts: list[str], vocabulary: set[str]) -> list[str]:
    """Words not in ``vocabulary``; a word cut short by a chart's label limit (``Provin…``) is not a word."""
    return sorted({w for text in texts for w in _words(re.sub(r"[^\W\d_]+…", " ", text))} - vocabulary)


def test_language_rule_catches_a_sentence_in_the_other_language(default_batch):
    vocabulary = _vocabulary(default_batch.project, default_batch.sid, "id")
    assert foreign_words(["The latest like-for-like figure"], vocabulary) != []
    assert foreign_words(["Angka terakhir tiap wilayah: terendah Kota Batam, sekitar 98 % (Nov 2022)"], vocabulary) == []


def test_every_page_speaks_its_language_only(default_batch, browser):
    """Every visible text node of a page (its charts included) outside quotes and source titles is made of
    words of its language's catalogue or of data; an English word in an Indonesian page fails, and the reverse."""
    vocab = {lang: _vocabulary(default_batch.project, default_batch.sid, lang) for lang in ("id", "en")}
    titles = _title_words(default_batch.project, default_batch.sid)
    problems = {}
    for run in default_batch.batch.runs:
        page = screenshot_tool.offline_page(browser, [])
        page.goto((default_batch.dir / f"{run.name}.html").as_uri(), wait_until="load")
        texts = page.evaluate(VERBATIM_JS)
        page.context.close()
        other = (foreign_words([t for t, in_svg in texts if not in_svg], vocab[run.lang])
                 + foreign_words([t for t, in_svg in texts if in_svg], vocab[run.lang] | titles))
        if other:
            problems[run.name] = other
    assert problems == {}


NUMBER = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s?%")


def test_every_number_in_narrative_and_tables_links_to_a_listed_fact(default_batch, browser):
    """Percentages and counts in the narrative and tables sit inside a link to ``#fact-…`` or ``#target-…``,
    and every such link leads to an entry at the end of the page (quote, source, date, kind)."""
    from helpers.i18n import catalogue

    for run in default_batch.batch.runs:
        page = screenshot_tool.offline_page(browser, [])
        page.goto((default_batch.dir / f"{run.name}.html").as_uri(), wait_until="load")
        unlinked = page.evaluate("""() => {
          const out = [];
          for (const root of document.querySelectorAll('.jp-RenderedMarkdown, table.ktpel-table td.num')) {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
              const el = walker.currentNode.parentElement;
              if (!el.closest('a[href^="#fact-"], a[href^="#target-"], h1, .verbatim')) out.push(walker.currentNode.textContent);
            }
          }
          return out;
        }""")
        fixed = set(catalogue(run.lang).values())  # the catalogue's own wording ("di atas 100 %") is not data
        bad = [t for t in unlinked if NUMBER.search(t) and not re.fullmatch(r"\s*[\d.,]+\s*", t)
               and not any(t.strip() in f for f in fixed)]
        assert bad == [], (run.name, bad[:5])
        anchors = page.eval_on_selector_all('a[href^="#fact-"], a[href^="#target-"]', "as => as.map(a => a.hash)")
        for anchor in set(anchors):
            entry = page.locator(f"li{anchor}")
            assert entry.count() == 1, (run.name, anchor)
            text = entry.inner_text()
            assert ("Kutipan" in text or "Quote" in text or "dihitung" in text or "derived" in text), (run.name, text)
        page.context.close()


def test_no_two_labels_overlap_in_any_chart(default_batch, browser):
    """Every exported chart SVG, rendered in Chromium: the boxes of its text elements do not intersect."""
    overlaps = {}
    svgs = sorted((default_batch.dir / "charts").glob("*.svg"))
    assert len(svgs) >= len(default_batch.batch.charts)
    for svg in svgs:
        page = screenshot_tool.offline_page(browser, [])
        page.goto(svg.as_uri(), wait_until="load")
        found = page.evaluate("""() => {
          const boxes = [...document.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
            const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; });
          const out = [];
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const [a, b] = [boxes[i], boxes[j]];
            const w = Math.min(a[3], b[3]) - Math.max(a[1], b[1]), h = Math.min(a[4], b[4]) - Math.max(a[2], b[2]);
            if (w > 0.5 && h > 0.5) out.push([a[0], b[0]]);
          }
          return out;
        }""")
        page.context.close()
        if found:
            overlaps[svg.name] = found[:6]
    assert overlaps == {}


def test_decks_follow_reports_yaml_with_unique_titles_and_no_text_twice(default_batch):
    lang_of = {r["name"]: (r.get("parameters") or {}).get("lang", "id") for r in default_batch.config["runs"]}
    order = [name if lang_of[name] == "id" else f"{name}.{lang_of[name]}" for name in lang_of]  # <name>.<lang>.ipynb
    runs = {r.name: r for r in default_batch.batch.runs}
    for deck, lang in (("slides.pptx", "id"), ("slides-en.pptx", "en")):
        slides = list(Presentation(str(default_batch.dir / deck)).slides)[1:-1]
        expected = [c for name in order if name in runs and runs[name].lang == lang for c in runs[name].charts]
        titles = [s.shapes.title.text_frame.text for s in slides]
        assert len(set(titles)) == len(titles) == len(expected)
        notes = [s.notes_slide.notes_text_frame.text for s in slides]
        assert [c.chart_id in n and c.report in n for c, n in zip(expected, notes)] == [True] * len(expected)
        for slide, chart in zip(slides, expected):
            assert any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in slide.shapes)
            drawn = _svg_texts(render.render_svg(slide_spec(chart)))
            slide_text = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
            repeated = [x for x in slide_text if x and x in drawn]
            assert repeated == [] and not {chart.title, *title_lines(chart.title)} & drawn, (chart.stem, repeated)


def _svg_texts(svg: str) -> set[str]:
    root = ET.fromstring(svg)
    lines = {t.text for t in root.iter("{http://www.w3.org/2000/svg}tspan") if t.text}  # a wrapped text's lines
    return {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")} | lines

"""The slide deck of a batch (python-pptx, 16:9), in the language of its runs.

A title slide (snapshot id, build date, regions), one slide per chart in the order of ``reports.yaml``
(its finding as the slide title, unique within the deck; the chart drawn without its own title,
subtitle and footer, which the slide carries as text, so nothing is said twice; a footer with the
sources and their dates; the report and chart id in the speaker notes) and a closing slide listing
every source of the snapshot.  Titles are real title placeholders, so the outline and screen readers
see them.
"""

from __future__ import annotations

import io
import struct
import textwrap
from collections.abc import Mapping
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from helpers.analysis.charts import title_lines
from helpers.export.model import Batch, Chart, Run, source_line, text
from helpers.export.render import render_png, render_svg

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
GREY = RGBColor(0x55, 0x55, 0x55)
LAYOUT_TITLE, LAYOUT_TITLE_AND_CONTENT, LAYOUT_TITLE_ONLY = 0, 1, 5


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


def _place(shape: Any, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = Emu(left), Emu(top), Emu(width), Emu(height)


def _set_text(frame: Any, lines: list[str], size: int, bold: bool = False, color: RGBColor | None = None) -> None:
    frame.clear()
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        if color is not None:
            run.font.color.rgb = color


def _title_slide(prs: Any, batch: Batch, runs: list[Run], lang: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE])
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    _place(title, MARGIN, Inches(1.6), WIDTH - 2 * MARGIN, Inches(1.6))
    _set_text(title.text_frame, [text("deck_title", lang)], 40, bold=True)
    _place(subtitle, MARGIN, Inches(3.4), WIDTH - 2 * MARGIN, Inches(3.0))
    regions = batch.regions(runs)
    lines = [f"{text('snapshot', lang)} {batch.snapshot_id} · {text('built', lang)} {batch.built(lang)}"]
    if regions:
        lines.append(f"{text('regions', lang)}: {', '.join(regions)}")
    lines.append(f"{sum(len(r.charts) for r in runs)} {text('charts_count', lang)} · "
                 f"{len(runs)} {text('reports', lang).lower()}")
    _set_text(subtitle.text_frame, lines, 20, color=GREY)


def _texts_of(title: Any) -> set[str]:
    if isinstance(title, dict):
        return _texts_of(title.get("text")) | _texts_of(title.get("subtitle"))
    if isinstance(title, list):
        return {str(x) for x in title}
    return {str(title)} if title else set()


def without_titles(spec: Any, texts: set[str]) -> Any:
    """A copy of a Vega-Lite spec without the titles whose text is one of ``texts`` (the chart's finding,
    subtitle and footer, which the slide shows as text)."""
    if isinstance(spec, list):
        return [without_titles(x, texts) for x in spec]
    if not isinstance(spec, dict):
        return spec
    return {k: without_titles(v, texts) for k, v in spec.items()
            if not (k == "title" and _texts_of(v) and _texts_of(v) <= texts)}


def slide_spec(chart: Chart) -> dict[str, Any]:
    """The chart for a slide: without the title, subtitle and footer the slide already shows as text."""
    return without_titles(chart.spec, {chart.title, *title_lines(chart.title), *chart.subtitle, chart.footer,
                                       *textwrap.wrap(chart.footer, 100)})


def slide_png(chart: Chart) -> bytes:
    return render_png(render_svg(slide_spec(chart)))


def unique_titles(runs: list[Run]) -> dict[str, str]:
    """Chart stem -> slide title; a title that two charts share gets its report's title added, then a number."""
    titles = {c.stem: c.title for r in runs for c in r.charts}
    counts: dict[str, int] = {}
    for title in titles.values():
        counts[title] = counts.get(title, 0) + 1
    out: dict[str, str] = {}
    for run in runs:
        for chart in run.charts:
            title = chart.title if counts[chart.title] == 1 else f"{chart.title} — {run.title}"
            base, n = title, 2
            while title in out.values():
                title, n = f"{base} ({n})", n + 1
            out[chart.stem] = title
    return out


def _chart_slides(prs: Any, runs: list[Run], lang: str, images: Mapping[str, bytes]) -> None:
    titles = unique_titles(runs)
    for run in runs:
        for chart in run.charts:
            slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
            title = slide.shapes.title
            _place(title, MARGIN, Inches(0.25), WIDTH - 2 * MARGIN, Inches(1.05))
            _set_text(title.text_frame, [titles[chart.stem]], 24, bold=True)
            top = Inches(1.35)
            if chart.subtitle:
                box = slide.shapes.add_textbox(MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.35))
                _set_text(box.text_frame, [" · ".join(chart.subtitle)], 14, color=GREY)
                top = Inches(1.75)
            footer_top = HEIGHT - Inches(0.85)
            area_w, area_h = WIDTH - 2 * MARGIN, footer_top - Inches(0.1) - top
            png = images.get(chart.stem) or slide_png(chart)
            px_w, px_h = png_size(png)
            scale = min(area_w / px_w, area_h / px_h)
            pic_w, pic_h = int(px_w * scale), int(px_h * scale)
            slide.shapes.add_picture(io.BytesIO(png), Emu(int(MARGIN + (area_w - pic_w) / 2)), Emu(int(top)),
                                     Emu(pic_w), Emu(pic_h))
            footer = slide.shapes.add_textbox(MARGIN, footer_top, WIDTH - 2 * MARGIN, Inches(0.7))
            footer.name = "Sources"
            _set_text(footer.text_frame, [chart.footer or text("sources", lang)], 11, color=GREY)
            slide.notes_slide.notes_text_frame.text = text("slide_notes", lang, title=run.title, name=run.name,
                                                           chart=chart.chart_id)


def _sources_slide(prs: Any, batch: Batch, lang: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_AND_CONTENT])
    title, body = slide.shapes.title, slide.placeholders[1]
    _place(title, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(1.0))
    _set_text(title.text_frame, [text("source_list", lang)], 30, bold=True)
    _place(body, MARGIN, Inches(1.4), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.9))
    lines = [" — ".join(source_line(s, lang)) for s in batch.sources]
    size = 16 if len(lines) <= 6 else 13 if len(lines) <= 10 else 10
    _set_text(body.text_frame, lines, size)


def build_deck(batch: Batch, runs: list[Run], lang: str, images: Mapping[str, bytes] | None = None) -> bytes:
    """The deck of ``runs`` (all in ``lang``, in the order given) as .pptx bytes.  ``images``: chart stem ->
    its slide image (:func:`slide_png`) where already rendered; the others are rendered here."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = f"{text('deck_title', lang)} · {batch.snapshot_id}"
    prs.core_properties.language = "id-ID" if lang == "id" else "en-US"
    _title_slide(prs, batch, runs, lang)
    _chart_slides(prs, runs, lang, images or {})
    _sources_slide(prs, batch, lang)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()

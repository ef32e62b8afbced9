"""The slide deck of a batch (python-pptx, 16:9), in the language of its runs.

A title slide (snapshot id, build date, regions), one slide per chart (its finding as the slide
title, the PNG scaled to fit, a footer with the sources and their dates, the report and chart id
in the speaker notes) and a closing slide listing every source of the snapshot.  Titles are real
title placeholders, so the deck's outline and screen readers see them.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from helpers.export.model import Batch, Run, source_line, text

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


def _chart_slides(prs: Any, runs: list[Run], lang: str, pngs: dict[str, bytes]) -> None:
    for run in runs:
        for chart in run.charts:
            slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_ONLY])
            title = slide.shapes.title
            _place(title, MARGIN, Inches(0.25), WIDTH - 2 * MARGIN, Inches(1.05))
            _set_text(title.text_frame, [chart.title], 24, bold=True)
            top = Inches(1.35)
            if chart.subtitle:
                box = slide.shapes.add_textbox(MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.35))
                _set_text(box.text_frame, [" · ".join(chart.subtitle)], 14, color=GREY)
                top = Inches(1.75)
            footer_top = HEIGHT - Inches(0.85)
            area_w, area_h = WIDTH - 2 * MARGIN, footer_top - Inches(0.1) - top
            png = pngs[chart.stem]
            px_w, px_h = png_size(png)
            scale = min(area_w / px_w, area_h / px_h)
            pic_w, pic_h = int(px_w * scale), int(px_h * scale)
            slide.shapes.add_picture(io.BytesIO(png), Emu(int(MARGIN + (area_w - pic_w) / 2)), Emu(int(top)),
                                     Emu(pic_w), Emu(pic_h))
            footer = slide.shapes.add_textbox(MARGIN, footer_top, WIDTH - 2 * MARGIN, Inches(0.7))
            footer.name = "Sources"
            _set_text(footer.text_frame, [chart.footer or text("sources", lang)], 11, color=GREY)
            slide.notes_slide.notes_text_frame.text = (f"{text('report', lang)}: {run.title} ({run.name}); "
                                                       f"chart: {chart.chart_id}")


def _sources_slide(prs: Any, batch: Batch, lang: str) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[LAYOUT_TITLE_AND_CONTENT])
    title, body = slide.shapes.title, slide.placeholders[1]
    _place(title, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(1.0))
    _set_text(title.text_frame, [text("source_list", lang)], 30, bold=True)
    _place(body, MARGIN, Inches(1.4), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.9))
    lines = [" — ".join(source_line(s, lang)) for s in batch.sources]
    size = 16 if len(lines) <= 6 else 13 if len(lines) <= 10 else 10
    _set_text(body.text_frame, lines, size)


def build_deck(batch: Batch, runs: list[Run], lang: str, pngs: dict[str, bytes]) -> bytes:
    """The deck of ``runs`` (all in ``lang``) as .pptx bytes; ``pngs`` maps chart stems to PNG data."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = f"{text('deck_title', lang)} · {batch.snapshot_id}"
    prs.core_properties.language = "id-ID" if lang == "id" else "en-US"
    _title_slide(prs, batch, runs, lang)
    _chart_slides(prs, runs, lang, pngs)
    _sources_slide(prs, batch, lang)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()

"""Charts rendered offline by vl-convert: SVG (from :func:`helpers.analysis.charts.to_svg`), PNG and PDF."""

from __future__ import annotations

from typing import Any

from helpers.analysis.charts import register_fonts
from helpers.analysis.charts import to_svg as render_svg

#: Scale of the PNG files: 2x the chart's size in the spec, sharp on slides and high-dpi screens.
PNG_SCALE = 2

__all__ = ["PNG_SCALE", "render_chart", "render_pdf", "render_png", "render_svg"]


def _vlc() -> Any:
    import vl_convert as vlc

    register_fonts()  # the shipped DejaVu fonts: text renders the same on a bare machine
    return vlc


def render_png(svg: str) -> bytes:
    """PNG at :data:`PNG_SCALE`, rasterised from the SVG (as vl-convert's own PNG path does)."""
    return bytes(_vlc().svg_to_png(svg, scale=PNG_SCALE))


def render_pdf(svg: str) -> bytes:
    """PDF from the SVG, with the shipped fonts embedded."""
    return bytes(_vlc().svg_to_pdf(svg))


def render_chart(spec: dict[str, Any], svg: str | None = None) -> dict[str, bytes]:
    """The chart as SVG, PNG and PDF: the Vega scene is laid out once, to SVG (the slow step),
    then rasterised and converted, which takes half the time of rendering each format from the spec.
    ``svg``: the SVG the notebook stored beside the spec (the same function made it from the same spec
    when the notebook ran), so that step is not done twice."""
    svg = svg or render_svg(spec)
    return {"png": render_png(svg), "svg": svg.encode("utf-8"), "pdf": render_pdf(svg)}

"""Where text labels go on a chart so that no two overlap: a small greedy placer over estimated text
boxes (DejaVu Sans, the charts' font), in pixels of the plot area.  Labels are tried in order of
priority at a few offsets around their point; a label that fits nowhere is left out (its figure stays in
the tooltip, the narrative and the table).  ``tests/test_export.py`` measures the real boxes in Chromium."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

#: Average advance of a DejaVu Sans glyph, as a share of the font size (digits are 0.64; a margin for safety).
CHAR_WIDTH = 0.66
LINE_HEIGHT = 1.3
#: Offsets (dx, dy) tried around a point, in order; dy is the text's vertical centre.
OFFSETS = [(0, -13), (0, 15), (8, 0), (-8, 0), (8, -13), (8, 15), (-8, -13), (-8, 15), (0, -27), (0, 29)]


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def hits(self, other: Box, pad: float = 1.5) -> bool:
        return (self.left < other.right + pad and other.left < self.right + pad
                and self.top < other.bottom + pad and other.top < self.bottom + pad)


def text_box(x: float, y: float, text: str, size: float, align: str = "center") -> Box:
    """The box of ``text`` drawn at (x, y) with its vertical middle at y."""
    width, height = len(text) * size * CHAR_WIDTH, size * LINE_HEIGHT
    left = x - width / 2 if align == "center" else x if align == "left" else x - width
    return Box(left, y - height / 2, left + width, y + height / 2)


def place(points: Sequence[tuple[float, float, str]], size: float, width: float, height: float,
          taken: Sequence[Box] = (), offsets: Sequence[tuple[float, float]] = OFFSETS) -> list[Box | None]:
    """For each (x, y, text) in priority order: the box, around its point, that keeps it clear of every
    label placed before it, of the ``taken`` boxes and of the plot's edges (some slack right), or None."""
    placed: list[Box] = list(taken)
    out: list[Box | None] = []
    for x, y, text in points:
        choice = None
        for dx, dy in offsets:
            align = "left" if dx > 0 else "right" if dx < 0 else "center"
            box = text_box(x + dx, y + dy, text, size, align)
            inside = box.left >= -4 and box.right <= width + 60 and box.top >= -2 and box.bottom <= height + 2
            if inside and not any(box.hits(b) for b in placed):
                choice = box
                placed.append(box)
                break
        out.append(choice)
    return out


def scale(value: float, domain: tuple[float, float], pixels: float, flip: bool = False) -> float:
    lo, hi = domain
    share = 0.0 if hi == lo else (value - lo) / (hi - lo)
    return pixels * (1 - share if flip else share)


def unscale(pixel: float, domain: tuple[float, float], pixels: float, flip: bool = False) -> float:
    lo, hi = domain
    share = pixel / pixels
    return lo + (1 - share if flip else share) * (hi - lo)


def day_number(value: Any) -> float:
    return float(pd.Timestamp(value).toordinal())


def label_positions(df: pd.DataFrame, x: str, y: str, text: str, x_domain: tuple[float, float],
                    y_domain: tuple[float, float], width: float, height: float, size: float,
                    priority: Sequence[int] | None = None, time_x: bool = False) -> pd.DataFrame:
    """``df`` with ``label_x``, ``label_y`` (the centre of each label, in data units of the chart's scales,
    which must have exactly these domains) and ``label_shown`` for the labels that fit; every point's own
    marker is kept clear; rows are placed in ``priority`` order (positions in ``df``)."""
    xs = [scale(day_number(v) if time_x else float(v), x_domain, width) for v in df[x]]
    ys = [scale(float(v), y_domain, height, flip=True) for v in df[y]]
    order = list(priority) if priority is not None else list(range(len(df)))
    markers = [Box(px - 5, py - 5, px + 5, py + 5) for px, py in zip(xs, ys)]
    boxes = dict(zip(order, place([(xs[i], ys[i], str(df[text].iloc[i])) for i in order], size, width, height,
                                  markers)))
    centre_x = [None if (b := boxes.get(i)) is None else unscale((b.left + b.right) / 2, x_domain, width)
                for i in range(len(df))]
    centre_y = [None if (b := boxes.get(i)) is None else unscale((b.top + b.bottom) / 2, y_domain, height, True)
                for i in range(len(df))]
    if time_x:
        centre_x = [None if v is None else pd.Timestamp(date.fromordinal(int(v))) + pd.Timedelta(days=v % 1)
                    for v in centre_x]
    return df.assign(label_x=centre_x, label_y=centre_y, label_shown=[boxes.get(i) is not None for i in range(len(df))])

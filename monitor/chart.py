"""A stacked bar chart as PNG, drawn with Pillow (a plotting stack would add ~90 MB to the install)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

WIDTH, HEIGHT = 820, 340
PLOT = (60, 40, 620, 290)  # left, top, right, bottom of the bar area
COLOURS = ("#d1495b", "#edae49", "#00798c", "#30638e", "#8d6a9f", "#6a994e")
INK, GRID, PAPER = "#222222", "#dddddd", "#ffffff"


def stacked_bars(title: str, categories: Sequence[str], series: Mapping[str, Sequence[int]]) -> bytes:
    """Draw one bar per category, stacked by series, with a legend; return PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    top = max(1, max_total(categories, series))
    _axes(draw, font, title, top)
    _bars(draw, font, categories, series, top)
    _legend(draw, font, series)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def max_total(categories: Sequence[str], series: Mapping[str, Sequence[int]]) -> int:
    return max((sum(values[i] for values in series.values()) for i in range(len(categories))), default=0)


def nice_ticks(top: int, count: int = 5) -> list[int]:
    """Whole-number y ticks from 0 to at least `top`."""
    step = max(1, -(-top // count))
    return list(range(0, top + step, step))


def _y(value: float, top: int) -> float:
    _, upper, _, bottom = PLOT
    return bottom - (bottom - upper) * value / max(nice_ticks(top)[-1], 1)


def _axes(draw, font, title: str, top: int) -> None:
    left, upper, right, bottom = PLOT
    draw.text((left, 10), title, fill=INK, font=font)
    for tick in nice_ticks(top):
        y = _y(tick, top)
        draw.line((left, y, right, y), fill=GRID)
        draw.text((left - 8, y), str(tick), fill=INK, font=font, anchor="rm")
    draw.line((left, upper, left, bottom), fill=INK)
    draw.line((left, bottom, right, bottom), fill=INK)


def _bars(draw, font, categories: Sequence[str], series: Mapping[str, Sequence[int]], top: int) -> None:
    left, _, right, bottom = PLOT
    slot = (right - left) / max(len(categories), 1)
    for i, category in enumerate(categories):
        x0, x1 = left + slot * i + slot * 0.15, left + slot * (i + 1) - slot * 0.15
        base = 0
        for colour, values in zip(COLOURS, series.values()):
            if values[i]:
                draw.rectangle((x0, _y(base + values[i], top), x1, _y(base, top)), fill=colour)
            base += values[i]
        draw.text(((x0 + x1) / 2, bottom + 6), category, fill=INK, font=font, anchor="ma")


def _legend(draw, font, series: Mapping[str, Sequence[int]]) -> None:
    x, y = PLOT[2] + 20, PLOT[1]
    for colour, name in zip(COLOURS, series):
        draw.rectangle((x, y + 2, x + 12, y + 14), fill=colour)
        draw.text((x + 18, y), name, fill=INK, font=font)
        y += 22

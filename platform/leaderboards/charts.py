"""Score charts drawn on the server as inline SVG: no JavaScript library, no network.

A chart is a set of series over time; each is drawn as dots, as a step line
(best so far) or both. The y axis spans the data, so small improvements show.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from html import escape

# Every metric Podium ranks by (accuracy, F1, mAP, Dice, IoU) lies in [0, 1]: no axis runs outside it.
SCORE_BOUNDS = (0.0, 1.0)

PALETTE = ["#3b5bdb", "#12b886", "#f08c00", "#e64980", "#7048e8", "#1098ad", "#868e96"]


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[datetime, float]]
    dots: bool = False
    step: bool = True


def best_so_far(points: list[tuple[datetime, float]], higher_is_better: bool) -> list[tuple[datetime, float]]:
    best: list[tuple[datetime, float]] = []
    for when, value in sorted(points):
        if not best or (value > best[-1][1] if higher_is_better else value < best[-1][1]):
            best.append((when, value))
    return best


def axis(low: float, high: float, *, bounds: tuple[float, float] | None = None, count: int = 5) -> tuple[list[float], int]:
    """Round ticks (steps of 1, 2, 2.5 or 5 × 10^k) spanning [low, high] within `bounds`, and their decimals."""
    if high - low < 1e-9:
        low, high = low - 0.05, high + 0.05
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    raw = (high - low) / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    ticks = [round(k * step, 12) for k in range(first, last + 1)]
    if bounds is not None:
        ticks = [t for t in ticks if bounds[0] - 1e-12 <= t <= bounds[1] + 1e-12]
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if round(step / magnitude, 6) == 2.5 else 0)
    return ticks, decimals


def chart_svg(series: list[Series], *, title: str, width: int = 720, height: int = 240,
              bounds: tuple[float, float] | None = None) -> str:
    """`bounds`: the metric's range (most are within [0, 1]): the axis never runs outside it."""
    points = [p for s in series for p in s.points]
    if not points:
        return ""
    left, right, top, bottom = 56, 150, 28, 34
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    ticks, decimals = axis(min(p[1] for p in points), max(p[1] for p in points), bounds=bounds)
    v0, v1 = ticks[0], ticks[-1]
    span = max((t1 - t0).total_seconds(), 1.0)

    def x(when: datetime) -> float:
        return left + (when - t0).total_seconds() / span * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - (value - v0) / (v1 - v0)) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for value in ticks:
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">{value:.{decimals}f}</text>')
    # Time labels: the first and the last, or one where every point is within the same minute.
    labels = ((t0, "start"), (t1, "end")) if span >= 60 else ((t0, "start"),)
    for when, anchor in labels:
        # UTC here; app.js shows it in the viewer's time zone, UTC on hover, as every time on the site.
        parts.append(f'<text x="{x(when):.1f}" y="{height - 12}" text-anchor="{anchor}" class="tick" '
                     f'data-utc="{when.isoformat()}">{when:%Y-%m-%d %H:%M} UTC</text>')
    for index, item in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        ordered = sorted(item.points)
        if item.step and ordered:
            path = f"M{x(ordered[0][0]):.1f},{y(ordered[0][1]):.1f}"
            for when, value in ordered[1:]:
                path += f" H{x(when):.1f} V{y(value):.1f}"
            path += f" H{width - right:.1f}"
            parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        if item.dots:
            parts += [f'<circle cx="{x(w):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}" fill-opacity="0.55">'
                      f'<title data-utc="{w.isoformat()}">{v:.5f} at {w:%Y-%m-%d %H:%M} UTC</title></circle>'
                      for w, v in ordered]
        parts.append(f'<rect x="{width - right + 12}" y="{top + index * 18}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{width - right + 28}" y="{top + index * 18 + 9}" class="legend">{escape(item.label[:18])}</text>')
    parts.append("</svg>")
    return "".join(parts)

"""Score charts drawn on the server as inline SVG: no JavaScript library, no network.

A chart is a set of series over time; each is drawn as dots, as a step line
(best so far) or both. The y axis spans the data, so small improvements show.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

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


def chart_svg(series: list[Series], *, title: str, width: int = 720, height: int = 240) -> str:
    points = [p for s in series for p in s.points]
    if not points:
        return ""
    left, right, top, bottom = 56, 150, 28, 34
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    v0, v1 = min(p[1] for p in points), max(p[1] for p in points)
    if v1 - v0 < 1e-9:
        v0, v1 = v0 - 0.05, v1 + 0.05
    pad = (v1 - v0) * 0.08
    v0, v1 = v0 - pad, v1 + pad
    span = max((t1 - t0).total_seconds(), 1.0)

    def x(when: datetime) -> float:
        return left + (when - t0).total_seconds() / span * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - (value - v0) / (v1 - v0)) * (height - top - bottom)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for k in range(5):
        value = v0 + (v1 - v0) * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" class="tick">{value:.3f}</text>')
    for when, anchor in ((t0, "start"), (t1, "end")):
        parts.append(f'<text x="{x(when):.1f}" y="{height - 12}" text-anchor="{anchor}" class="tick">'
                     f'{when:%Y-%m-%d %H:%M}</text>')
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
                      f'<title>{v:.5f} at {w:%Y-%m-%d %H:%M} UTC</title></circle>' for w, v in ordered]
        parts.append(f'<rect x="{width - right + 12}" y="{top + index * 18}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{width - right + 28}" y="{top + index * 18 + 9}" class="legend">{escape(item.label[:18])}</text>')
    parts.append("</svg>")
    return "".join(parts)

"""Inline SVG charts for monitoring reports: no scripts, no external references.

Each function returns one ``<svg>`` element as a string. Labels are escaped here because the
template marks the SVG safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 560, 180
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 36
REF_COLOR, CUR_COLOR, BAD_COLOR, LINE_COLOR = "#7a8ca3", "#e08a2c", "#c62828", "#1f5fa8"


def _fmt(value: float) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    return f"{value:.2e}"


def _frame(y_max: float, y_min: float = 0.0) -> list[str]:
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">',
        f'<line x1="{_LEFT}" y1="{HEIGHT - _BOTTOM}" x2="{WIDTH - _RIGHT}" '
        f'y2="{HEIGHT - _BOTTOM}" stroke="#999"/>',
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{HEIGHT - _BOTTOM}" stroke="#999"/>',
        f'<text x="{_LEFT - 4}" y="{_TOP + 8}" font-size="9" text-anchor="end">'
        f"{_fmt(y_max)}</text>",
        f'<text x="{_LEFT - 4}" y="{HEIGHT - _BOTTOM}" font-size="9" text-anchor="end">'
        f"{_fmt(y_min)}</text>",
    ]
    return parts


def _y(value: float, y_min: float, y_max: float) -> float:
    span = (y_max - y_min) or 1.0
    return HEIGHT - _BOTTOM - (value - y_min) / span * (HEIGHT - _TOP - _BOTTOM)


def _x_labels(labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    step = max(1, math.ceil(len(labels) / 8))
    return [
        f'<text x="{x:.1f}" y="{HEIGHT - _BOTTOM + 12}" font-size="8" text-anchor="middle">'
        f"{escape(label[:16])}</text>"
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % step == 0
    ]


def distribution_svg(
    labels: Sequence[str], reference: Sequence[float], current: Sequence[float]
) -> str:
    """Grouped bars of reference and current shares per bin or category."""
    if not labels:
        return ""
    y_max = max([*reference, *current, 1e-12])
    parts = _frame(y_max)
    slot = (WIDTH - _LEFT - _RIGHT) / len(labels)
    bar = max(1.0, slot * 0.4)
    xs = []
    for i, (r, c) in enumerate(zip(reference, current, strict=True)):
        x0 = _LEFT + i * slot + slot * 0.1
        xs.append(x0 + bar)
        for offset, value, color in ((0.0, r, REF_COLOR), (bar, c, CUR_COLOR)):
            top = _y(value, 0.0, y_max)
            parts.append(
                f'<rect x="{x0 + offset:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                f'height="{HEIGHT - _BOTTOM - top:.1f}" fill="{color}"/>'
            )
    parts += _x_labels(labels, xs)
    parts.append(
        f'<text x="{WIDTH - _RIGHT}" y="{_TOP + 8}" font-size="9" text-anchor="end">'
        f'<tspan fill="{REF_COLOR}">&#9632; reference</tspan> '
        f'<tspan fill="{CUR_COLOR}">&#9632; current</tspan></text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def timeline_svg(
    labels: Sequence[str],
    values: Sequence[float | None],
    thresholds: Sequence[float | None],
    drifted: Sequence[bool],
    *,
    lower: Sequence[float | None] | None = None,
    upper: Sequence[float | None] | None = None,
    second: Sequence[float | None] | None = None,
) -> str:
    """A value per chunk with its threshold (dashed); drifted chunks in red.

    ``lower``/``upper`` draw a band (confidence interval) and ``second`` a second series
    (realized performance beside the estimate).
    """
    series = [*values, *thresholds, *(lower or []), *(upper or []), *(second or [])]
    finite = [v for v in series if v is not None and math.isfinite(v)]
    if not labels or not finite:
        return ""
    y_min, y_max = min(0.0, min(finite)), max(finite) * 1.05 or 1.0
    parts = _frame(y_max, y_min)
    n = len(labels)
    step = (WIDTH - _LEFT - _RIGHT) / max(1, n)
    xs = [_LEFT + step * (i + 0.5) for i in range(n)]

    def path(points: Sequence[float | None], style: str) -> None:
        coords = [
            f"{x:.1f},{_y(v, y_min, y_max):.1f}"
            for x, v in zip(xs, points, strict=True)
            if v is not None and math.isfinite(v)
        ]
        if len(coords) > 1:
            parts.append(f'<polyline points="{" ".join(coords)}" fill="none" {style}/>')

    if lower is not None and upper is not None:
        band = [
            (x, lo, hi)
            for x, lo, hi in zip(xs, lower, upper, strict=True)
            if lo is not None and hi is not None
        ]
        if len(band) > 1:
            top = [f"{x:.1f},{_y(hi, y_min, y_max):.1f}" for x, _, hi in band]
            bottom = [f"{x:.1f},{_y(lo, y_min, y_max):.1f}" for x, lo, _ in reversed(band)]
            parts.append(f'<polygon points="{" ".join(top + bottom)}" fill="#cfe0f5"/>')
    path(thresholds, f'stroke="{BAD_COLOR}" stroke-dasharray="4 3"')
    path(values, f'stroke="{LINE_COLOR}" stroke-width="1.5"')
    if second is not None:
        path(second, f'stroke="{CUR_COLOR}" stroke-width="1.5"')
    for x, v, bad in zip(xs, values, drifted, strict=True):
        if v is not None and math.isfinite(v):
            color = BAD_COLOR if bad else LINE_COLOR
            parts.append(
                f'<circle cx="{x:.1f}" cy="{_y(v, y_min, y_max):.1f}" r="3" fill="{color}"/>'
            )
    parts += _x_labels(labels, xs)
    parts.append("</svg>")
    return "".join(parts)

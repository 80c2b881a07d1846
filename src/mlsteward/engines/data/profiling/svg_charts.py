"""Small inline SVG charts for the HTML report: no plotting library, no network, no script.

Each function returns an ``<svg>`` element as text; every label is escaped, so values taken
from the data cannot inject markup into the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_BAR = "#4c72b0"
_AXIS = "#888"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def histogram_svg(
    edges: Sequence[object], counts: Sequence[int], *, width: int = 360, height: int = 140
) -> str:
    """Vertical bars, one per bin, with the range printed under the axis."""
    if not counts:
        return ""
    top = max(counts) or 1
    plot_h = height - 22
    bar_w = width / len(counts)
    bars = []
    for i, count in enumerate(counts):
        h = plot_h * count / top
        tip = f"[{_fmt(edges[i])}, {_fmt(edges[i + 1])}]: {count}"
        bars.append(
            f'<rect x="{i * bar_w:.2f}" y="{plot_h - h:.2f}" width="{max(bar_w - 1, 0.5):.2f}" '
            f'height="{h:.2f}" fill="{_BAR}"><title>{escape(tip)}</title></rect>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
        + "".join(bars)
        + f'<line x1="0" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="{_AXIS}"/>'
        f'<text x="0" y="{height - 6}" font-size="11">{escape(_fmt(edges[0]))}</text>'
        f'<text x="{width}" y="{height - 6}" font-size="11" text-anchor="end">'
        f"{escape(_fmt(edges[-1]))}</text></svg>"
    )


def bars_svg(
    labels: Sequence[object], counts: Sequence[int], *, width: int = 360, row_h: int = 18
) -> str:
    """Horizontal bars with their labels, for top-k frequencies."""
    if not counts:
        return ""
    top = max(counts) or 1
    label_w = 140
    plot_w = width - label_w - 60
    height = row_h * len(counts) + 4
    rows = []
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        y = i * row_h + 2
        w = plot_w * count / top
        text = str(label)
        short = text if len(text) <= 20 else text[:19] + "…"
        rows.append(
            f'<text x="{label_w - 6}" y="{y + row_h - 6}" font-size="11" text-anchor="end">'
            f"<title>{escape(text)}</title>{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w:.2f}" height="{row_h - 4}" fill="{_BAR}"/>'
            f'<text x="{label_w + w + 4:.2f}" y="{y + row_h - 6}" font-size="11">{count}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">' + "".join(rows) + "</svg>"
    )


def _diverging(value: float | None) -> str:
    """Blue for -1, white for 0, red for +1; grey when undefined."""
    if value is None:
        return "#ddd"
    v = max(-1.0, min(1.0, value))
    if v >= 0:
        r, g, b = 255, round(255 * (1 - v)), round(255 * (1 - v))
    else:
        r, g, b = round(255 * (1 + v)), round(255 * (1 + v)), 255
    return f"rgb({r},{g},{b})"


def heatmap_svg(names: Sequence[str], matrix: Sequence[Sequence[float | None]]) -> str:
    """A correlation matrix as coloured cells; hovering a cell shows the pair and value."""
    n = len(names)
    cell = max(8, min(28, 640 // max(n, 1)))
    label_w = 120
    size = label_w + cell * n
    cells = []
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            tip = f"{names[i]} ~ {names[j]}: {'n/a' if value is None else f'{value:.3f}'}"
            cells.append(
                f'<rect x="{label_w + j * cell}" y="{label_w + i * cell}" width="{cell}" '
                f'height="{cell}" fill="{_diverging(value)}"><title>{escape(tip)}</title></rect>'
            )
    labels = []
    for i, name in enumerate(names):
        short = escape(name if len(name) <= 16 else name[:15] + "…")
        mid = label_w + i * cell + cell / 2 + 4
        labels.append(
            f'<text x="{label_w - 4}" y="{mid:.1f}" font-size="10" text-anchor="end">{short}</text>'
            f'<text x="{mid:.1f}" y="{label_w - 4}" font-size="10" '
            f'transform="rotate(-90 {mid:.1f} {label_w - 4})">{short}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img">' + "".join(cells) + "".join(labels) + "</svg>"
    )

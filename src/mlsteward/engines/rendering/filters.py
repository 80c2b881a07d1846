"""The filters templates use to format values: numbers, shares and Markdown table cells."""

from __future__ import annotations

import math


def brief_number(value: object) -> str:
    """A statistic, p-value or metric to 4 significant digits; "-" when missing or not finite."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "-"
    return str(value)


def full_number(value: object) -> str:
    """A profile figure: counts with thousands separators, other numbers to 6 digits."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def percent(value: float | None) -> str:
    """A share in [0, 1] as a percentage with two decimals; "-" when missing."""
    return "-" if value is None else f"{100 * value:.2f}%"


def md_cell(value: object) -> str:
    """Text safe in a Markdown table cell: pipes escaped, line breaks kept as ``<br>``."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


FILTERS = {
    "brief_number": brief_number,
    "full_number": full_number,
    "percent": percent,
    "md_cell": md_cell,
}

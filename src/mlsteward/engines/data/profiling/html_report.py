"""Render a profile (from :func:`profile_table`) as one self-contained HTML page.

Everything is inline: CSS in a ``<style>`` element, plots as SVG; no script, font or
stylesheet is fetched, so the page works offline and can be stored as a single artifact.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from mlsteward.engines.data.profiling.svg_charts import bars_svg, heatmap_svg, histogram_svg
from mlsteward.engines.rendering import render


def _chart(variable: dict[str, Any]) -> str:
    histogram = variable.get("histogram")
    if histogram:
        return histogram_svg(histogram["edges"], histogram["counts"])
    top = variable.get("top")
    if top:
        return bars_svg([t["value"] for t in top], [t["count"] for t in top])
    return ""


def render_html_report(profile: dict[str, Any], *, title: str = "Data profile") -> str:
    """The HTML text of the report for ``profile``."""
    # The chart builders escape every label themselves, so their SVG is safe to embed.
    charts = {v["name"]: Markup(_chart(v)) for v in profile["variables"]}  # noqa: S704 - own SVG, labels escaped
    correlation = profile.get("correlation")
    heatmap = Markup(  # noqa: S704 - SVG built here from numbers and escaped column names
        heatmap_svg(correlation["columns"], correlation["matrix"]) if correlation else ""
    )
    return render(
        "data_profile.html.j2",
        title=title,
        profile=profile,
        charts=charts,
        heatmap=heatmap,
        correlation=correlation,
    )

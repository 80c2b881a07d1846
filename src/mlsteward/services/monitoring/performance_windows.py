"""One row per window of a late-label performance result: what the tables and checks read.

A window is a chunk (or the whole data when there is no chunking). Its row holds how many
predictions it has and how many of them are labelled, the realized metrics on the labelled
rows, the CBPE estimate with its confidence band and alert bounds when there is one, and notes
on rows the window left out for other reasons than a label not in yet.
"""

from __future__ import annotations

from typing import Any

from mlsteward.engines.drift import CBPEChunkResult, MetricsResult
from mlsteward.engines.drift.label_values import MISSING_LABEL, dropped_messages
from mlsteward.services.monitoring.late_label_figures import LateLabelFigures


def window_rows(perf: LateLabelFigures) -> list[dict[str, Any]]:
    """Rows for each chunk, or one row for the whole data without chunking.

    ``n_scored`` counts the labelled rows a realized metric was computed on (a label that is
    not one of the classes, or a missing prediction, is left out; ``notes`` say so).
    """
    realized = perf.realized.chunks or (perf.realized.whole,)
    coverage = perf.coverage[1:] if perf.realized.chunks else perf.coverage[:1]
    if perf.estimated is None:
        estimated: tuple[Any, ...] = (None,) * len(realized)
    else:
        estimated = perf.estimated.chunks if perf.realized.chunks else (perf.estimated.whole,)
    rows = []
    for result, cover, estimate in zip(realized, coverage, estimated, strict=True):
        info = result.chunk
        rows.append(
            {
                "window": info.key if info is not None else "whole",
                "start": info.start if info is not None else None,
                "n_predictions": cover.n_predictions,
                "n_labelled": cover.n_labelled,
                "n_scored": result.n_rows,
                "realized": dict(result.metrics),
                "estimated": (
                    {}
                    if estimate is None
                    else {
                        m.metric: {
                            "estimate": m.estimate,
                            "lower": m.lower,
                            "upper": m.upper,
                            "alert_lower": m.alert_lower,
                            "alert_upper": m.alert_upper,
                            "alert": m.alert,
                        }
                        for m in estimate.metrics
                    }
                ),
                "notes": _notes(result, estimate),
            }
        )
    return rows


def _notes(result: MetricsResult, estimate: CBPEChunkResult | None) -> list[str]:
    """Rows a window left out, and why (an unlabelled row is coverage, not a note)."""
    left = {k: n for k, n in result.dropped.items() if k != MISSING_LABEL}
    notes = [f"realized metrics: {m}" for m in dropped_messages(left)]
    if estimate is not None and estimate.message:
        notes.append(f"estimates: {estimate.message}")
    return notes

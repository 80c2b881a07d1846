"""What a report shows per column and per metric, as plain dicts with their SVG charts.

Distributions come from the reference profile (raw references are profiled once for the
plot) and the current data on the same bins, so a report looks the same whether the reference
was raw data or a stored profile.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mlsteward.engines.drift import (
    CBPEReport,
    ColumnDriftResult,
    ColumnTypeError,
    DriftReport,
    Frame,
    MultivariateDriftResult,
    PerformanceReport,
    ReferenceProfile,
    TestResult,
)
from mlsteward.engines.drift.profile import CategoricalProfile, NumericProfile
from mlsteward.services.monitoring.performance_config import breaks_bound, direction, rule
from mlsteward.services.monitoring.report_charts import distribution_svg, timeline_svg

PLOT_BINS = 20
PLOT_CATEGORIES = 12


def _num(value: float) -> str:
    return f"{value:.3g}"


def _numeric_distribution(profile: NumericProfile, values: np.ndarray) -> str:
    edges = np.asarray(profile.histogram.edges, dtype=np.float64)
    counts = np.asarray(profile.histogram.counts, dtype=np.float64)
    if edges.size == 0 or counts.sum() <= 0:
        return ""
    step = max(1, math.ceil(edges.size / PLOT_BINS))
    keep = np.arange(0, edges.size, step)
    cum = np.cumsum(counts)
    ref_counts = np.diff(np.concatenate([[0.0], cum[keep], [cum[-1]]]))
    finite = np.sort(values[np.isfinite(values)])
    at_edges = np.searchsorted(finite, edges[keep], side="right").astype(np.float64)
    cur_counts = np.diff(np.concatenate([[0.0], at_edges, [float(finite.size)]]))
    cut = edges[keep]
    labels = [f"<={_num(cut[0])}"]
    labels += [f"{_num(a)}..{_num(b)}" for a, b in itertools.pairwise(cut)]
    labels.append(f">{_num(cut[-1])}")
    ref_share = ref_counts / max(ref_counts.sum(), 1.0)
    cur_share = cur_counts / max(cur_counts.sum(), 1.0)
    return distribution_svg(labels, ref_share.tolist(), cur_share.tolist())


def _categorical_distribution(profile: CategoricalProfile, frame: Frame, name: str) -> str:
    codes, labels = frame.categorical(name)
    valid = codes[codes >= 0]
    current = {
        str(labels[i]): int(c) for i, c in enumerate(np.bincount(valid, minlength=len(labels)))
    }
    ref_total = max(sum(profile.counts.values()), 1)
    cur_total = max(sum(current.values()), 1)
    names = set(profile.counts) | set(current)
    ranked = sorted(
        names,
        key=lambda k: -(profile.counts.get(k, 0) / ref_total + current.get(k, 0) / cur_total),
    )[:PLOT_CATEGORIES]
    return distribution_svg(
        ranked,
        [profile.counts.get(k, 0) / ref_total for k in ranked],
        [current.get(k, 0) / cur_total for k in ranked],
    )


def _distribution(profile: ReferenceProfile | None, frame: Frame | None, name: str) -> str:
    if profile is None or frame is None or not frame.has(name):
        return ""
    column = profile.columns.get(name)
    try:
        if isinstance(column, NumericProfile):
            return _numeric_distribution(column, frame.numeric(name))
        if isinstance(column, CategoricalProfile):
            return _categorical_distribution(column, frame, name)
    except (ColumnTypeError, ValueError, TypeError):
        return ""  # the column's own result already says what is wrong with it
    return ""


def _headline(col: ColumnDriftResult) -> TestResult | None:
    if col.main_test is None:
        return None
    try:
        return col.test(col.main_test)
    except KeyError:
        return None


def _score(test: TestResult | None) -> tuple[float | None, float | None]:
    """The plotted value and its threshold: the p-value for p-value tests, else the statistic."""
    if test is None:
        return None, None
    value = test.p_value if test.threshold_kind == "p_value" else test.statistic
    return value, test.threshold


def column_views(
    report: DriftReport, profile: ReferenceProfile | None, current: Frame | None
) -> list[dict[str, Any]]:
    """Per column: verdict, headline test, messages, distribution and score over chunks,
    when its drift began and the chunks where it crossed its threshold outside that run."""
    views = []
    labels = [ch.chunk.start or ch.chunk.key for ch in report.chunks]
    for col in report.whole.columns:
        test = _headline(col)
        values, thresholds, flags = [], [], []
        for ch in report.chunks:
            try:
                chunk_col = ch.result.column(col.column)
            except KeyError:
                chunk_col = None
            value, threshold = _score(_headline(chunk_col) if chunk_col else None)
            values.append(value)
            thresholds.append(threshold)
            flags.append(bool(chunk_col and chunk_col.drifted))
        views.append(
            {
                "name": col.column,
                "kind": col.kind,
                "status": col.status,
                "drifted": col.drifted,
                "message": col.message,
                "test": test.test if test else None,
                "score_name": "p-value" if test and test.threshold_kind == "p_value" else "score",
                "statistic": test.statistic if test else None,
                "p_value": test.p_value if test else None,
                "threshold": test.threshold if test else None,
                "threshold_source": test.threshold_source if test else None,
                "note": test.note if test else None,
                "reason": col.choice_reason,
                "new_categories": list(col.new_categories),
                "missing": col.missing.to_dict() if col.missing else None,
                "began": report.column_drift_began.get(col.column),
                "isolated": list(report.isolated_crossings.get(col.column, ())),
                "role": col.role,
                "distribution_svg": _distribution(profile, current, col.column),
                "timeline_svg": timeline_svg(labels, values, thresholds, flags),
            }
        )
    return views


def _chunk_labels(chunks: Sequence[Any]) -> list[str]:
    """The x-axis labels of per-chunk results: each chunk's start, else its key."""
    return [(c.chunk.start or c.chunk.key) if c.chunk else "" for c in chunks]


def performance_views(
    performance: CBPEReport | PerformanceReport | None,
    check: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Per metric: estimate (with band) and realized values over chunks.

    With a monitor's performance ``check`` summary, a metric it bounds is drawn against that
    bound (dashed), and chunks are red where the monitor would alert: the realized value, or
    for an estimate its whole band, on the wrong side. Otherwise the dashed line is CBPE's
    own lower alert bound, learned from the reference.
    """
    if performance is None:
        return []
    bounds: Mapping[str, float] = (check or {}).get("bounds") or {}
    task = (check or {}).get("task")

    def bound_of(name: str) -> tuple[float, str, str] | None:
        if name not in bounds or task is None:
            return None
        try:
            way = direction(task, name)
        except KeyError:
            return None
        return float(bounds[name]), way, rule(task, name, float(bounds[name]))

    if isinstance(performance, PerformanceReport):
        chunks = performance.chunks
        labels = _chunk_labels(chunks)
        views = []
        for name in performance.whole.metrics:
            values = [c.metrics.get(name) for c in chunks]
            judged = bound_of(name)
            line: list[float | None] = [judged[0] if judged else None] * len(chunks)
            red = (
                [breaks_bound(v, judged[0], judged[1]) for v in values]
                if judged
                else [False] * len(values)
            )
            views.append(
                {
                    "metric": name,
                    "whole": performance.whole.metrics.get(name),
                    "estimated": False,
                    "bound_rule": judged[2] if judged else None,
                    "svg": timeline_svg(labels, values, line, red),
                }
            )
        return views
    chunks_e = performance.chunks
    labels = _chunk_labels(chunks_e)
    views = []
    for metric in performance.whole.metrics:
        per = [c.metric(metric.metric) for c in chunks_e]
        judged = bound_of(metric.metric)
        if judged is None:
            line = [m.alert_lower for m in per]
            red = [m.alert for m in per]
        else:
            # The estimate's band wholly beyond the bound: the monitor's estimate alert.
            far_side = [m.upper if judged[1] == "higher" else m.lower for m in per]
            line = [judged[0]] * len(per)
            red = [breaks_bound(v, judged[0], judged[1]) for v in far_side]
        views.append(
            {
                "metric": metric.metric,
                "whole": metric.estimate,
                "realized": metric.realized,
                "estimated": True,
                "alerts": sum(red),
                "bound_rule": judged[2] if judged else None,
                "svg": timeline_svg(
                    labels,
                    [m.estimate for m in per],
                    line,
                    red,
                    lower=[m.lower for m in per],
                    upper=[m.upper for m in per],
                    second=[m.realized for m in per],
                ),
            }
        )
    return views


METHOD_TITLES = {
    "pca_reconstruction": "PCA reconstruction error",
    "domain_classifier": "domain classifier ROC AUC",
}


def multivariate_views(results: Sequence[MultivariateDriftResult]) -> list[dict[str, Any]]:
    """Per method: the whole window's score, its bounds, and the score per chunk."""
    views = []
    for res in results:
        chunks = res.chunks
        labels = _chunk_labels(chunks)
        has_band = any(c.lower is not None for c in chunks)
        views.append(
            {
                "method": res.method,
                "title": METHOD_TITLES.get(res.method, res.method),
                "whole": res.whole,
                "columns": len(res.columns),
                "n_components": res.n_components,
                "messages": list(res.messages),
                "svg": timeline_svg(
                    labels,
                    [c.value for c in chunks],
                    [None if has_band else c.upper for c in chunks],
                    [c.drifted for c in chunks],
                    lower=[c.lower for c in chunks] if has_band else None,
                    upper=[c.upper for c in chunks] if has_band else None,
                ),
            }
        )
    return views


def summary_of(report: DriftReport) -> Mapping[str, Any]:
    """The few numbers a monitor run keeps in its row."""
    whole = report.whole
    return {
        "n_rows": whole.n_rows,
        "n_columns_tested": whole.n_columns_tested,
        "n_drifted": whole.n_drifted,
        "share_drifted": whole.share_drifted,
        "drifted": whole.drifted,
        "drift_began": report.drift_began,
        "drifted_columns": [c.column for c in whole.columns if c.drifted],
        "errors": {c.column: c.message for c in whole.columns if c.status == "error"},
    }


def _band(cell: Mapping[str, Any] | None) -> str:
    if not cell or cell.get("estimate") is None:
        return "-"
    lo, hi = cell.get("lower"), cell.get("upper")
    band = f" [{_num(lo)}, {_num(hi)}]" if lo is not None and hi is not None else ""
    return _num(cell["estimate"]) + band


def _alert_text(cell: Mapping[str, Any]) -> str | None:
    """``alert: outside [lo, hi]`` for an estimate beyond its alert bounds, else None."""
    if not cell.get("alert"):
        return None
    lo, hi = cell.get("alert_lower"), cell.get("alert_upper")
    if lo is None or hi is None:
        return "alert"
    return f"alert: outside [{_num(lo)}, {_num(hi)}]"


def performance_table(check: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Per window: labelled/total, realized and estimated (with band) for each metric.

    An estimate outside its alert bounds (learned from the reference's chunks) is flagged with
    the bounds beside it, and each window's notes say which rows it left out and why, so the
    page says what ``--json`` says. ``check`` is the summary of a performance check (or of a
    one-shot late-label result): the metrics shown are its bounded ones, else every realized
    metric.
    """
    if not check or "windows" not in check:
        return None
    windows = check["windows"]
    metrics = list(check.get("bounds") or {}) or (list(windows[0]["realized"]) if windows else [])
    rows = []
    for w in windows:
        cells = []
        for m in metrics:
            value = w["realized"].get(m)
            estimate = w["estimated"].get(m) or {}
            cells.append(
                {
                    "realized": "-" if value is None else _num(value),
                    "estimate": _band(estimate),
                    "bad": m in w.get("breached", ()),
                    "bad_estimate": m in w.get("estimate_breached", ()),
                    "alert": _alert_text(estimate),
                }
            )
        rows.append(
            {
                "window": w.get("start") or w["window"],
                "coverage": f"{w['n_labelled']}/{w['n_predictions']}",
                "judged": w.get("judged", True),
                "cells": cells,
                "notes": list(w.get("notes") or []),
            }
        )
    return {
        "metrics": metrics,
        "rows": rows,
        "estimated": bool(check.get("estimated")),
        "rules": list(check.get("rules") or []),
        "messages": list(check.get("messages") or []),
    }

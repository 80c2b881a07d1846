"""A monitor's performance check: join late labels, judge realized and estimated metrics.

Each run reads the labels (and the labelled reference, when configured) afresh, joins them to
the predictions by id, and judges each chunk against the configured bounds:

* a realized metric breaks its bound in a chunk with at least ``min_labels`` scored rows:
  a ``performance`` alert (critical: the labels prove it);
* an estimated metric's whole confidence band lies on the wrong side of its bound: a
  ``performance_estimate`` alert (warning: it is an estimate).

Few or no labels is not an error: the run says how many there were. Bad data (a missing id or
label column, unparsable values) becomes a message; the drift checks run regardless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError
from mlsteward.domain.monitoring import Monitor
from mlsteward.engines.drift import CBPEReport, PerformanceReport
from mlsteward.services.context import ServiceContext
from mlsteward.services.monitoring.alerts import Breach
from mlsteward.services.monitoring.late_labels import (
    NO_REFERENCE,
    LateLabelPerformance,
    late_label_performance,
)
from mlsteward.services.monitoring.performance_config import (
    breaks_bound,
    describe_bounds,
    direction,
    rule,
)
from mlsteward.services.monitoring.performance_windows import window_rows
from mlsteward.services.monitoring.targets import read_target

#: Windows listed in a run's summary and in an alert's evidence (the newest are kept).
MAX_WINDOWS = 200
MAX_EVIDENCE_WINDOWS = 20


@dataclass(frozen=True)
class PerformanceOutcome:
    """What the check found: the summary, breaches, and which alert checks it could judge.

    ``judged`` names the alert checks (``performance``, ``performance_estimate``) that had
    something to judge this run; only their open alerts may be resolved when not breached.
    """

    summary: dict[str, Any]
    breaches: list[Breach] = field(default_factory=list)
    report: CBPEReport | PerformanceReport | None = None
    messages: list[str] = field(default_factory=list)
    judged: tuple[str, ...] = ()


def _read(ctx: ServiceContext, target: str, what: str, notes: list[str]) -> pd.DataFrame | None:
    """All rows of a labels/reference target (every file of a glob), None when there are none."""
    data = read_target(ctx, target, [], missing_ok=True)
    notes += [f"{what}: {m}" for m in data.messages]
    return data.frame


def _compute(
    predictions: pd.DataFrame,
    labels: pd.DataFrame,
    reference: pd.DataFrame | None,
    config: Mapping[str, Any],
    chunking: Mapping[str, Any],
) -> tuple[LateLabelPerformance, list[str]]:
    """The join and metrics; estimates that cannot be made are a message, not a failure."""

    def run(ref: pd.DataFrame | None) -> LateLabelPerformance:
        return late_label_performance(
            predictions,
            labels,
            id_column=config["id_column"],
            task=config["task"],
            prediction=config["prediction"],
            label_column=config["label_column"],
            scores=config["scores"],
            classes=config["classes"],
            reference=ref,
            reference_label=config["reference_label"],
            chunk_by=dict(chunking) or None,
        )

    if reference is None:
        return run(None), []
    try:
        return run(reference), []
    except InvalidArgumentError as error:
        perf = run(None)  # bad data raises again here, as itself
        # A reference was given: say why it gave no estimates, not that there was none.
        kept = tuple(m for m in perf.messages if m != NO_REFERENCE)
        return replace(perf, messages=kept), [f"no performance estimates: {error.message}"]


def _judge(rows: list[dict[str, Any]], config: Mapping[str, Any]) -> tuple[list[Breach], set[str]]:
    """Breaches per bound metric; each row also gets ``judged`` and its breached metrics."""
    task, min_labels = config["task"], config["min_labels"]
    breaches: list[Breach] = []
    judged: set[str] = set()
    for row in rows:
        row.update(judged=row["n_scored"] >= min_labels, breached=[], estimate_breached=[])
    for metric, bound in config["bounds"].items():
        way = direction(task, metric)
        realized, estimated = [], []
        for row in rows:
            if row["n_scored"] >= min_labels and row["realized"].get(metric) is not None:
                judged.add("performance")
                value = row["realized"][metric]
                if breaks_bound(value, bound, way):
                    row["breached"].append(metric)
                    realized.append(
                        {
                            "window": row["window"],
                            "value": value,
                            "n_labelled": row["n_scored"],
                            "n_predictions": row["n_predictions"],
                        }
                    )
            band = row["estimated"].get(metric)
            if band and band["lower"] is not None and band["upper"] is not None:
                judged.add("performance_estimate")
                # The whole band on the wrong side: the model is worse even at best.
                edge = band["upper"] if way == "higher" else band["lower"]
                if breaks_bound(edge, bound, way):
                    row["estimate_breached"].append(metric)
                    estimated.append({"window": row["window"], **band})
        common = {
            "metric": metric,
            "bound": bound,
            "rule": rule(task, metric, bound),
            "min_labels": min_labels,
        }
        if realized:
            values = [w["value"] for w in realized]
            breaches.append(
                Breach(
                    "performance",
                    metric,
                    "critical",
                    {
                        **common,
                        "worst": min(values) if way == "higher" else max(values),
                        "n_windows": len(realized),
                        "windows": realized[-MAX_EVIDENCE_WINDOWS:],
                    },
                )
            )
        if estimated:
            breaches.append(
                Breach(
                    "performance_estimate",
                    metric,
                    "warning",
                    {
                        **common,
                        "n_windows": len(estimated),
                        "windows": estimated[-MAX_EVIDENCE_WINDOWS:],
                    },
                )
            )
    return breaches, judged


def evaluate_performance(
    ctx: ServiceContext,
    monitor: Monitor,
    predictions: pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
) -> PerformanceOutcome:
    """Run the monitor's performance check on ``predictions`` (never raises for data).

    ``labels`` are the rows to join when the caller read them (a deployment's feedback);
    otherwise they are read from the configuration's ``labels`` target.
    """
    config = monitor.performance
    if config is None:
        raise RuntimeError(f"monitor {monitor.name!r} has no performance check to evaluate")
    try:
        notes: list[str] = []
        if labels is None:
            labels = _read(ctx, config["labels"], "labels", notes)
        if labels is None:
            notes = notes or [f"no labels yet at {config['labels']!r}"]
            labels = pd.DataFrame({config["id_column"]: [], config["label_column"]: []})
        reference = None
        if config["reference"] is not None:
            reference = _read(ctx, config["reference"], "reference", notes)
            if reference is None:
                notes.append("the labelled reference has no rows: no estimates")
        perf, more = _compute(predictions, labels, reference, config, monitor.chunking)
        rows = window_rows(perf)
    except (MlstewardError, KeyError, OSError, TypeError, ValueError) as error:
        text = error.message if isinstance(error, MlstewardError) else f"{error}"
        message = f"performance check failed: {text}"
        return PerformanceOutcome({"error": message}, messages=[message])
    breaches, judged = _judge(rows, config)
    whole = perf.coverage[0]
    n_judged = sum(r["n_scored"] >= config["min_labels"] for r in rows)
    headline = (
        f"performance: {whole.n_labelled} of {whole.n_predictions} predictions labelled "
        f"({whole.share:.0%}, {len(labels)} label rows); {n_judged} of {len(rows)} window(s) "
        f"with >= {config['min_labels']} labels judged"
    )
    messages = [headline, *notes, *perf.messages, *more]
    summary = {
        "task": perf.task,
        "n_predictions": whole.n_predictions,
        "n_labelled": whole.n_labelled,
        "n_label_rows": len(labels),
        "min_labels": config["min_labels"],
        "bounds": dict(config["bounds"]),
        "rules": describe_bounds(config),
        "estimated": perf.estimated is not None,
        "windows": rows[-MAX_WINDOWS:],
        "breaches": [f"{b.check}:{b.column}" for b in breaches],
        "messages": messages,
    }
    return PerformanceOutcome(summary, breaches, perf.for_report, messages, tuple(sorted(judged)))

"""Performance charts drawn against a monitor's bounds, or CBPE's own alert bound without them."""

from __future__ import annotations

import pandas as pd

from mlsteward.engines.drift import CBPE, Chunker, realized_performance
from mlsteward.services.monitoring.report_views import performance_views

from .perf_data import predictions


def _current() -> pd.DataFrame:
    good, bad = predictions(800, seed=2), predictions(800, seed=3, flip=0.4)
    return pd.concat([good, bad], ignore_index=True)


def test_realized_chart_marks_chunks_beyond_the_monitors_bound() -> None:
    report = realized_performance(
        _current(), task="binary", target="label", prediction="pred", chunker=Chunker(size=400)
    )
    check = {"task": "binary", "bounds": {"accuracy": 0.8}}
    views = {v["metric"]: v for v in performance_views(report, check)}
    accuracy = views["accuracy"]
    assert accuracy["bound_rule"] == "accuracy >= 0.8"
    per_chunk = [c.metrics["accuracy"] for c in report.chunks]
    beyond = sum(a < 0.8 for a in per_chunk)
    assert beyond == 2  # the two mislabelled chunks
    assert accuracy["svg"].count('fill="#') >= len(per_chunk)
    assert accuracy["svg"].count("stroke-dasharray") == 1  # the bound line
    assert views["f1"]["bound_rule"] is None  # not bounded: no line
    assert "stroke-dasharray" not in views["f1"]["svg"]


def test_estimate_chart_uses_the_bound_when_given_else_cbpes_own() -> None:
    reference = predictions(4_000, seed=1)
    cbpe = CBPE(task="binary", y_true="label", y_pred_proba="proba", y_pred="pred")
    report = cbpe.fit(reference).estimate(_current().assign(label=None))
    own = {v["metric"]: v for v in performance_views(report)}
    assert own["accuracy"]["bound_rule"] is None
    impossible = {"task": "binary", "bounds": {"accuracy": 0.999}}
    bounded = {v["metric"]: v for v in performance_views(report, impossible)}
    assert bounded["accuracy"]["bound_rule"] == "accuracy >= 0.999"
    # Every chunk's band lies below an accuracy no model here reaches.
    assert bounded["accuracy"]["alerts"] == len(report.chunks)
    easy = {"task": "binary", "bounds": {"accuracy": 0.1}}
    assert {v["metric"]: v for v in performance_views(report, easy)}["accuracy"]["alerts"] == 0

"""One analysis of a rollout: what the prediction log says about the candidate in a window.

Read from the log the data planes write: per route, answers and failures (status >= 500)
and the p99 latency; the candidate's predictions against the stable version's with the drift
engine (the stable version's answers since shortly before the rollout began, so a blue/green
switch that leaves it no traffic still has a reference); and, where labels arrived for both,
each route's accuracy. The verdict is ``fail`` (roll back), ``pass`` (the step may advance)
or ``wait`` (too few answers to say).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.domain.deployments import Rollout
from mlsteward.services.deployment.rollout_routes import CANARY, SHADOW, STABLE
from mlsteward.storage.prediction_log import (
    FeedbackLog,
    PredictionLogReader,
    column_values,
    id_floor,
    rows_frame,
)

COLUMNS = ["prediction_id", "route", "model_version", "status", "latency_ms", "outputs"]


@dataclass(frozen=True)
class Verdict:
    """What the analysis concluded and the figures it concluded it from."""

    outcome: str
    reasons: tuple[str, ...]
    evidence: dict[str, Any]


def candidate_route(rollout: Rollout) -> str:
    return SHADOW if rollout.strategy == "shadow" else CANARY


def _route_stats(table: pa.Table) -> dict[str, Any]:
    requests = table.num_rows
    failed = int(pc.sum(pc.greater_equal(table["status"], 500)).as_py() or 0) if requests else 0
    ok = table.filter(pc.less(table["status"], 500)) if requests else table
    latencies = sorted(ok["latency_ms"].to_pylist())
    p99 = latencies[max(0, math.ceil(0.99 * len(latencies)) - 1)] if latencies else None
    return {
        "requests": requests,
        "errors": failed,
        "error_rate": failed / requests if requests else 0.0,
        "p99_latency_ms": p99,
    }


def _of(table: pa.Table, route: str, version: int) -> pa.Table:
    return table.filter(
        pc.and_(pc.equal(table["route"], route), pc.equal(table["model_version"], version))
    )


def _prediction_columns(table: pa.Table) -> Any:
    """The logged outputs, one row per request row, scalar columns only."""
    frame = rows_frame(table, "outputs").drop(columns=["prediction_id", "row"], errors="ignore")
    keep = [
        name
        for name in frame.columns
        if not frame[name].map(lambda value: isinstance(value, list | dict)).any()
    ]
    return frame[keep]


def _drift(stable: pa.Table, candidate: pa.Table, p_value: float) -> dict[str, Any]:
    """Whether the candidate's predictions drifted from the stable version's (tests with a
    p-value judged at ``p_value``, distances at their defaults)."""
    from mlsteward.engines.drift import DriftAnalyzer, default_registry

    reference = _prediction_columns(stable)
    current = _prediction_columns(candidate)
    shared = [name for name in reference.columns if name in current.columns]
    if not shared:
        return {"checked": False, "why": "no prediction column in common"}
    registry = default_registry()
    thresholds = {
        name: p_value
        for name in registry.names()
        if registry.get(name).spec.threshold_kind == "p_value"
    }
    analyzer = DriftAnalyzer(reference[shared], thresholds=thresholds, n_jobs=1)
    result = analyzer.compare(current[shared])
    return {
        "checked": True,
        "drifted": bool(result.drifted),
        "columns": {
            c.column: {
                "drifted": c.drifted,
                "test": c.main_test,
                **(
                    {"statistic": c.test(c.main_test).statistic}
                    if c.main_test and c.status == "ok"
                    else {}
                ),
            }
            for c in result.columns
        },
    }


def _accuracy(table: pa.Table, labels: dict[str, list[Any]]) -> tuple[int, float | None]:
    """Rows with a label and the share predicted right (first output against the label)."""
    total = right = 0
    for prediction_id, outputs in zip(
        table["prediction_id"].to_pylist(), column_values(table, "outputs"), strict=True
    ):
        truth = labels.get(prediction_id)
        if truth is None or not outputs:
            continue
        predicted = next(iter(outputs.values()))
        for guess, label in zip(predicted, truth, strict=False):
            total += 1
            right += guess == label
    return total, (right / total if total else None)


def _labels(feedback: FeedbackLog, deployment: str, start_ms: int) -> dict[str, list[Any]]:
    try:
        table = feedback.read(deployment, start_ms, None)
    except (FileNotFoundError, ValueError):
        return {}
    return {
        prediction_id: json.loads(text)
        for prediction_id, text in zip(
            table["prediction_id"].to_pylist(), table["labels"].to_pylist(), strict=True
        )
    }


def analyze_window(log_root: str, deployment: str, rollout: Rollout, now_ms: int) -> Verdict:
    """Judge the rollout's current step over ``[step start, now)``."""
    criteria = rollout.criteria
    lookback_ms = int(criteria.interval_s * 1000)
    start = rollout.step_started_ms
    reference_start = min(start, rollout.started_ms - lookback_ms)
    reader = PredictionLogReader(log_root)
    table = reader.query(deployment, reference_start, now_ms + 1, columns=COLUMNS)
    route = candidate_route(rollout)
    in_step = table.filter(pc.greater_equal(table["prediction_id"], id_floor(start)))
    candidate = _of(in_step, route, rollout.candidate_version)
    stable_step = _of(in_step, STABLE, rollout.stable_version)
    stable_ref = _of(table, STABLE, rollout.stable_version)
    cand = _route_stats(candidate)
    evidence: dict[str, Any] = {
        "window": {"start_ms": start, "end_ms": now_ms},
        "step": rollout.step,
        "weight": rollout.weight,
        "candidate": {"route": route, "version": rollout.candidate_version, **cand},
        "stable": {"version": rollout.stable_version, **_route_stats(stable_step)},
    }
    reasons: list[str] = []
    if cand["requests"] and cand["error_rate"] > criteria.max_error_rate:
        reasons.append(
            f"error rate {cand['error_rate']:.2%} over {criteria.max_error_rate:.2%} "
            f"({cand['errors']} of {cand['requests']})"
        )
    p99 = cand["p99_latency_ms"]
    if p99 is not None and p99 > criteria.max_p99_latency_ms:
        reasons.append(f"p99 latency {p99:.1f} ms over {criteria.max_p99_latency_ms:g} ms")
    enough = cand["requests"] >= criteria.min_requests
    ok_candidate = candidate.filter(pc.less(candidate["status"], 500))
    ok_stable = stable_ref.filter(pc.less(stable_ref["status"], 500))
    if criteria.check_drift and enough and ok_stable.num_rows >= criteria.min_requests:
        drift = _drift(ok_stable, ok_candidate, criteria.drift_p_value)
        evidence["drift"] = drift
        if drift.get("drifted"):
            drifted = [name for name, c in drift["columns"].items() if c["drifted"]]
            reasons.append(f"predictions drifted from the stable version's ({', '.join(drifted)})")
    labels = _labels(FeedbackLog(log_root), deployment, start)
    if labels:
        n_cand, acc_cand = _accuracy(ok_candidate, labels)
        n_stab, acc_stab = _accuracy(ok_stable, labels)
        evidence["labels"] = {
            "candidate": {"rows": n_cand, "accuracy": acc_cand},
            "stable": {"rows": n_stab, "accuracy": acc_stab},
        }
        if (
            acc_cand is not None
            and acc_stab is not None
            and min(n_cand, n_stab) >= criteria.min_labels
            and acc_stab - acc_cand > criteria.max_accuracy_drop
        ):
            reasons.append(
                f"accuracy {acc_cand:.3f} is {acc_stab - acc_cand:.3f} below the stable "
                f"version's {acc_stab:.3f}"
            )
    if reasons:
        outcome = "fail"
    elif enough or (rollout.weight == 0.0 and rollout.strategy != "shadow"):
        outcome = "pass"  # enough answers, or a blue/green candidate that only had to warm
    else:
        outcome = "wait"
    evidence["outcome"] = outcome
    evidence["reasons"] = list(reasons)
    return Verdict(outcome, tuple(reasons), evidence)

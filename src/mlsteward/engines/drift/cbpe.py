"""Confidence-based performance estimation (CBPE): classifier metrics without labels.

If predicted probabilities are calibrated, a row predicted positive with probability q is a true
positive with probability q and a false positive with probability 1 - q. Summing over a chunk
gives the *expected* confusion matrix, from which accuracy, precision, recall and F1 follow;
ROC AUC follows from the expected share of correctly ordered positive/negative pairs.

Steps: (1) on labelled reference data, fit an isotonic calibration map per class (one-vs-rest,
rows renormalized for multiclass); (2) on each unlabelled chunk, calibrate the model's
probabilities and compute the expected metrics; (3) confidence bands: draw labels from the
calibrated probabilities many times, compute the realized metric of each draw, and report the
2.5%-97.5% range -- the spread a correct model would show on a chunk of this size. Alert bounds
come from realized metrics of reference chunks (mean +/- 3 std). When labels are present the
realized metric is reported beside the estimate.

The estimate relies on the calibration holding under drift (no concept drift); it degrades when
P(y | x) itself changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mlsteward.engines.drift.chunking import Chunker
from mlsteward.engines.drift.frames import Frame
from mlsteward.engines.drift.label_values import (
    MISSING,
    MISSING_LABEL,
    MISSING_PREDICTION,
    MISSING_PROBABILITY,
    UNKNOWN,
    Label,
    class_list,
    count_reasons,
    distinct_labels,
    dropped_messages,
    infer_classes,
    label_codes,
    label_text,
    not_a_class,
)
from mlsteward.engines.drift.performance import (
    CLASSIFICATION_METRICS,
    binary_metrics,
    binary_rates,
    metrics_from_confusion,
    multiclass_metrics,
)
from mlsteward.engines.drift.results import ChunkInfo, _Jsonable

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EstimatedMetric(_Jsonable):
    """An estimated metric with its band, alert bounds and realized value when known."""

    metric: str
    estimate: float | None
    lower: float | None
    upper: float | None
    realized: float | None = None
    alert_lower: float | None = None
    alert_upper: float | None = None
    alert: bool = False


@dataclass(frozen=True)
class CBPEChunkResult(_Jsonable):
    """Estimates of one window on ``n_rows`` rows; ``n_dropped`` rows were left out (no
    probability, or a prediction that is none of the classes), counted per reason in
    ``dropped`` and said in ``message``."""

    chunk: ChunkInfo | None
    n_rows: int
    metrics: tuple[EstimatedMetric, ...]
    n_dropped: int = 0
    message: str | None = None
    dropped: dict[str, int] = field(default_factory=dict)

    def metric(self, name: str) -> EstimatedMetric:
        for m in self.metrics:
            if m.metric == name:
                return m
        raise KeyError(name)


@dataclass(frozen=True)
class CBPEReport(_Jsonable):
    """Whole-window and per-chunk estimates; ``classes`` as text, positive last (binary);
    ``messages`` say which rows were left out (reference, estimate, realized) and why."""

    task: str
    classes: tuple[str, ...]
    whole: CBPEChunkResult
    chunks: tuple[CBPEChunkResult, ...] = ()
    messages: tuple[str, ...] = ()


def _none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def expected_auc(scores: FloatArray, q: FloatArray) -> float:
    """Expected ROC AUC when row i is positive with probability q_i (ties count one half)."""
    order = np.argsort(scores, kind="stable")
    s, qq = scores[order], q[order]
    neg = 1.0 - qq
    starts = np.flatnonzero(np.diff(s, prepend=np.nan) != 0)
    grp_q = np.add.reduceat(qq, starts)
    grp_n = np.add.reduceat(neg, starts)
    grp_c = np.add.reduceat(qq * neg, starts)
    below = np.concatenate([[0.0], np.cumsum(grp_n)[:-1]])
    numerator = float(np.sum(grp_q * below) + 0.5 * np.sum(grp_q * grp_n - grp_c))
    denominator = float(qq.sum() * neg.sum() - np.sum(qq * neg))
    return numerator / denominator if denominator > 0 else math.nan


class CBPE:
    """Estimate classifier metrics on unlabelled data from calibrated probabilities.

    ``y_pred_proba`` is the positive-class probability column (binary) or a mapping class ->
    probability column (multiclass). ``y_pred`` is the predicted-label column; without it the
    label is ``proba >= threshold`` (binary) or the arg-max class. For binary, ``classes``
    names the two labels with the positive one last (default: the reference's labels sorted).
    Labels, predictions and classes are compared by value whatever their type (``1``, ``1.0``,
    ``True`` and ``"1"`` are one class; see :mod:`~mlsteward.engines.drift.label_values`).
    """

    def __init__(
        self,
        *,
        task: str,
        y_true: str,
        y_pred_proba: str | Mapping[object, str],
        y_pred: str | None = None,
        threshold: float = 0.5,
        calibrate: bool = True,
        chunker: Chunker | None = None,
        n_simulations: int = 200,
        seed: int = 0,
        classes: Sequence[object] | None = None,
    ) -> None:
        if task not in ("binary", "multiclass"):
            raise ValueError("task must be 'binary' or 'multiclass'")
        if task == "binary" and classes is not None and len(classes) != 2:
            raise ValueError(f"binary task needs two classes, got {list(classes)}")
        if task == "multiclass" and isinstance(y_pred_proba, str):
            raise ValueError("multiclass needs a mapping class -> probability column")
        self.task, self.y_true, self.y_pred = task, y_true, y_pred
        self.proba = y_pred_proba
        self.threshold, self.calibrate = threshold, calibrate
        self.chunker, self.n_simulations, self.seed = chunker, n_simulations, seed
        self._calibrators: list[object] = []
        self._given_classes = class_list(classes) if classes is not None else None
        self.classes: list[Label] = []
        self.alert_bounds: dict[str, tuple[float, float]] = {}
        #: What fitting left out of the reference, for the reports.
        self.fit_messages: list[str] = []

    # -- inputs ----------------------------------------------------------------------------
    def _proba(self, frame: Frame) -> FloatArray:
        if isinstance(self.proba, str):
            p1 = frame.numeric(self.proba)
            return np.column_stack([1.0 - p1, p1])
        return np.column_stack([frame.numeric(c) for c in self.proba.values()])

    def _pred(self, frame: Frame, proba: FloatArray) -> NDArray[np.int64]:
        if self.y_pred is not None and frame.has(self.y_pred):
            return label_codes(frame.series(self.y_pred), self.classes, self.y_pred)
        if self.task == "binary":
            return (proba[:, 1] >= self.threshold).astype(np.int64)
        return np.argmax(proba, axis=1).astype(np.int64)

    def _labels(self, frame: Frame) -> NDArray[np.int64]:
        return label_codes(frame.series(self.y_true), self.classes, self.y_true)

    def _fit_classes(self, frame: Frame) -> list[Label]:
        """The binary classes: named, else the reference's labels (0/1 when only one is seen)."""
        if not isinstance(self.proba, str):
            return class_list(self.proba)
        labels = distinct_labels(frame.series(self.y_true), names=(self.y_true,))
        if self._given_classes is not None:
            unknown = [label_text(v) for v in labels if v not in self._given_classes]
            if unknown:
                raise ValueError(f"reference labels {unknown} are not one of the classes")
            return list(self._given_classes)
        classes = infer_classes(self.task, labels, "the reference's labels")
        if len(classes) != 2:
            raise ValueError(
                f"binary task but the reference has only the label {label_text(labels[0])}: "
                "give the two classes (negative, positive)"
            )
        return classes

    def _calibrated(self, proba: FloatArray) -> FloatArray:
        if not self._calibrators:
            return proba
        cols = [c.predict(proba[:, k]) for k, c in enumerate(self._calibrators)]  # type: ignore[attr-defined]
        q = np.column_stack(cols)
        if self.task == "binary":
            return np.column_stack([1.0 - q[:, 1], q[:, 1]])
        total = q.sum(axis=1, keepdims=True)
        return np.where(total > 0, q / np.where(total > 0, total, 1.0), proba)

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, reference: object) -> CBPE:
        """Calibrate on labelled reference data and set alert bounds from its chunks."""
        from sklearn.isotonic import IsotonicRegression

        frame = Frame(reference)
        if not frame.has(self.y_true):
            raise ValueError(f"the reference has no label column {self.y_true!r}")
        self.classes = self._fit_classes(frame)
        y_all = self._labels(frame)
        proba_all = self._proba(frame)
        reasons = [
            (MISSING_LABEL, y_all == MISSING),
            (not_a_class("label", self.classes), y_all == UNKNOWN),
            (MISSING_PROBABILITY, ~np.isfinite(proba_all).all(axis=1)),
        ]
        ok = ~np.logical_or.reduce([mask for _, mask in reasons])
        dropped = dropped_messages(count_reasons(reasons))
        if not ok.any():
            raise ValueError(
                "no reference row has a label that is one of the classes and probabilities"
                + (f" ({'; '.join(dropped)})" if dropped else "")
            )
        self.fit_messages = [f"reference: {m}" for m in dropped]
        y, proba = y_all[ok], proba_all[ok]
        self._calibrators = []
        if self.calibrate:
            ks = [1] if self.task == "binary" else range(len(self.classes))
            for k in range(proba.shape[1]):
                iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
                if k in ks:
                    iso.fit(proba[:, k], (y == k).astype(np.float64))
                else:
                    iso.fit([0.0, 1.0], [0.0, 1.0])
                self._calibrators.append(iso)
        if self.chunker is not None:
            chunks = self.chunker.split(frame).chunks
            pred = self._pred(frame, proba_all)
            values: dict[str, list[float]] = {m: [] for m in CLASSIFICATION_METRICS}
            for c in chunks:
                m = self._realized(y_all[c.rows], pred[c.rows], proba_all[c.rows])
                for metric, v in m.items():
                    if math.isfinite(v):
                        values[metric].append(v)
            for metric, vs in values.items():
                if len(vs) >= 2:
                    mu, sd = float(np.mean(vs)), float(np.std(vs, ddof=1))
                    self.alert_bounds[metric] = (mu - 3 * sd, mu + 3 * sd)
        return self

    # -- metrics ---------------------------------------------------------------------------
    def _realized(
        self, y: NDArray[np.int64], pred: NDArray[np.int64], proba: FloatArray
    ) -> dict[str, float]:
        ok = (y >= 0) & (pred >= 0) & np.isfinite(proba).all(axis=1)
        if not ok.any():
            return {m: math.nan for m in CLASSIFICATION_METRICS}
        if self.task == "binary":
            return binary_metrics(y[ok] == 1, pred[ok] == 1, proba[ok, 1])
        return multiclass_metrics(y[ok], pred[ok], len(self.classes), proba[ok])

    def _expected(
        self, q: FloatArray, pred: NDArray[np.int64], proba: FloatArray
    ) -> dict[str, float]:
        k = q.shape[1]
        cm = np.zeros((k, k))
        for c in range(k):
            cm[:, c] = q[pred == c].sum(axis=0)
        if self.task == "binary":
            out = binary_rates(cm[1, 1], cm[0, 1], cm[1, 0], cm.sum())
            out["roc_auc"] = expected_auc(proba[:, 1], q[:, 1])
        else:
            out = metrics_from_confusion(cm)
            aucs = [expected_auc(proba[:, c], q[:, c]) for c in range(k)]
            out["roc_auc"] = float(np.nanmean(aucs)) if np.isfinite(aucs).any() else math.nan
        return out

    def _bands(
        self, q: FloatArray, pred: NDArray[np.int64], proba: FloatArray
    ) -> dict[str, tuple[float, float]]:
        """2.5%-97.5% range of realized metrics over labels drawn from ``q`` (vectorized)."""
        from scipy import stats

        rng = np.random.default_rng(self.seed)
        n, k = q.shape
        cum = np.cumsum(q, axis=1)
        ranks = np.column_stack([stats.rankdata(proba[:, c]) for c in range(k)])
        draws: dict[str, list[FloatArray]] = {m: [] for m in CLASSIFICATION_METRICS}
        batch = max(1, min(self.n_simulations, 2_000_000 // max(n * k, 1)))
        done = 0
        while done < self.n_simulations:
            b = min(batch, self.n_simulations - done)
            u = rng.random((b, n, 1))
            labels = np.minimum((u > cum[None, :, :]).sum(axis=2), k - 1)  # (b, n)
            # Confusion matrices of all draws at once: cm[s, true, predicted].
            flat = labels * k + pred[None, :]
            offsets = (np.arange(b) * k * k)[:, None]
            cm = np.bincount((flat + offsets).ravel(), minlength=b * k * k).reshape(b, k, k)
            diag = np.diagonal(cm, axis1=1, axis2=2).astype(np.float64)
            col, row = cm.sum(axis=1), cm.sum(axis=2)
            with np.errstate(invalid="ignore", divide="ignore"):
                prec, rec, f1 = diag / col, diag / row, 2 * diag / (col + row)
                aucs = np.empty((b, k))
                for c in range(k):
                    pos = labels == c
                    n_pos = pos.sum(axis=1).astype(np.float64)
                    rank_sum = np.where(pos, ranks[None, :, c], 0.0).sum(axis=1)
                    aucs[:, c] = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * (n - n_pos))
            draws["accuracy"].append(diag.sum(axis=1) / n)
            if self.task == "binary":
                draws["precision"].append(prec[:, 1])
                draws["recall"].append(rec[:, 1])
                draws["f1"].append(f1[:, 1])
                draws["roc_auc"].append(aucs[:, 1])
            else:
                with np.errstate(invalid="ignore"):
                    draws["precision"].append(np.nanmean(prec, axis=1))
                    draws["recall"].append(np.nanmean(rec, axis=1))
                    draws["f1"].append(np.nanmean(f1, axis=1))
                    draws["roc_auc"].append(np.nanmean(aucs, axis=1))
            done += b
        out = {}
        for name, parts in draws.items():
            arr = np.concatenate(parts)
            arr = arr[np.isfinite(arr)]
            if arr.size:
                out[name] = (float(np.quantile(arr, 0.025)), float(np.quantile(arr, 0.975)))
        return out

    def _window(
        self,
        rows: slice | np.ndarray,
        info: ChunkInfo | None,
        proba: FloatArray,
        pred: NDArray[np.int64],
        y: NDArray[np.int64] | None,
    ) -> CBPEChunkResult:
        p, pr = proba[rows], pred[rows]
        reasons = self._estimate_reasons(p, pr)
        ok = ~np.logical_or.reduce([mask for _, mask in reasons])
        dropped = count_reasons(reasons)
        n_dropped = int(ok.size - ok.sum())
        p, pr = p[ok], pr[ok]
        if p.shape[0] == 0:
            metrics = tuple(EstimatedMetric(m, None, None, None) for m in CLASSIFICATION_METRICS)
            lead = "no row to estimate" if ok.size else "no rows"
            empty = "; ".join([lead, *dropped_messages(dropped)])
            return CBPEChunkResult(info, 0, metrics, n_dropped, empty, dropped)
        q = self._calibrated(p)
        est = self._expected(q, pr, p)
        bands = self._bands(q, pr, p) if self.n_simulations > 0 else {}
        realized = self._realized(y[rows][ok], pr, p) if y is not None else {}
        out = []
        for m in CLASSIFICATION_METRICS:
            lo, hi = bands.get(m, (math.nan, math.nan))
            a_lo, a_hi = self.alert_bounds.get(m, (math.nan, math.nan))
            e = est.get(m, math.nan)
            alert = math.isfinite(e) and math.isfinite(a_lo) and not (a_lo <= e <= a_hi)
            out.append(
                EstimatedMetric(
                    m,
                    _none(e),
                    _none(lo),
                    _none(hi),
                    _none(realized.get(m, math.nan)),
                    _none(a_lo),
                    _none(a_hi),
                    alert,
                )
            )
        message = "; ".join(dropped_messages(dropped)) or None
        return CBPEChunkResult(info, int(p.shape[0]), tuple(out), n_dropped, message, dropped)

    def _estimate_reasons(
        self, proba: FloatArray, pred: NDArray[np.int64]
    ) -> list[tuple[str, NDArray[np.bool_]]]:
        """Why a row cannot be estimated: no probability, or no usable prediction."""
        return [
            (MISSING_PROBABILITY, ~np.isfinite(proba).all(axis=1)),
            (MISSING_PREDICTION, pred == MISSING),
            (not_a_class("prediction", self.classes), pred == UNKNOWN),
        ]

    def estimate(self, current: object, chunker: Chunker | None = None) -> CBPEReport:
        """Estimated metrics for the whole current table and each chunk."""
        if not self.classes:
            raise RuntimeError("call fit() on labelled reference data first")
        frame = Frame(current)
        proba = self._proba(frame)
        pred = self._pred(frame, proba)
        y = None
        notes: list[str] = []
        if frame.has(self.y_true):
            y = self._labels(frame)
            label_reasons = [
                (MISSING_LABEL, y == MISSING),
                (not_a_class("label", self.classes), y == UNKNOWN),
            ]
            if not (y >= 0).any():
                y = None
                notes.append("labels present but none is one of the classes: no realized metrics")
            else:
                notes.append("labels present: realized metrics shown beside estimates")
            estimable = ~np.logical_or.reduce([m for _, m in self._estimate_reasons(proba, pred)])
            lacking = count_reasons(label_reasons, np.flatnonzero(estimable))
            notes += [f"realized metrics: {m}" for m in dropped_messages(lacking)]
        chunker = chunker or self.chunker
        chunks = chunker.split(frame).chunks if chunker is not None else ()
        whole = self._window(slice(None), None, proba, pred, y)
        messages = [*self.fit_messages, *dropped_messages(whole.dropped)]
        if whole.n_rows == 0:
            messages.insert(0, "no row left to estimate: every estimate is empty")
        return CBPEReport(
            self.task,
            tuple(label_text(c) for c in self.classes),
            whole,
            tuple(self._window(c.rows, c.info, proba, pred, y) for c in chunks),
            tuple(messages + notes),
        )

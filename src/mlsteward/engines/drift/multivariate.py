"""Multivariate drift: changes in the joint distribution that single columns can miss.

Two methods. **PCA reconstruction error**: a PCA fitted on the reference keeps the directions
explaining most of its variance; when the correlation structure changes, current rows are
reconstructed worse. Thresholds come from reference chunks scored out of fold (the reference is
split into two folds of chunks; each fold is scored by a PCA fitted on the other), so no chunk is
scored by a model that saw it. **Domain classifier**: the cross-validated AUC of a model telling
reference rows from current rows (see :mod:`domain_classifier`).

Numeric columns are standardized with the reference's mean and std (missing -> mean);
categorical columns are encoded by their reference frequency (unseen -> 0), then standardized.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from mlsteward.engines.drift.chunking import Chunk, Chunker
from mlsteward.engines.drift.domain_classifier import domain_classifier_auc
from mlsteward.engines.drift.frames import Frame
from mlsteward.engines.drift.results import ChunkInfo, _Jsonable
from mlsteward.engines.drift.samples import FloatArray
from mlsteward.engines.drift.spec import ColumnKind


@dataclass(frozen=True)
class MultivariateChunkResult(_Jsonable):
    """One window's multivariate score against its bounds."""

    chunk: ChunkInfo | None
    value: float
    lower: float | None
    upper: float | None
    drifted: bool
    p_value: float | None = None


@dataclass(frozen=True)
class MultivariateDriftResult(_Jsonable):
    """Whole-window and per-chunk multivariate drift, with how the bounds were set."""

    method: str
    columns: tuple[str, ...]
    whole: MultivariateChunkResult
    chunks: tuple[MultivariateChunkResult, ...] = ()
    reference_scores: tuple[float, ...] = ()
    n_components: int | None = None
    messages: tuple[str, ...] = ()


class TabularEncoder:
    """Numeric matrix of a table's columns, scaled by reference statistics.

    Build it with :meth:`fit`, which also returns the reference transformed, so the
    reference's columns are converted once.
    """

    mean: FloatArray
    std: FloatArray

    def __init__(self, reference: Frame, columns: Sequence[str] | None = None) -> None:
        """Choose the columns and each categorical column's reference frequencies."""
        self.columns: list[str] = []
        self.kinds: dict[str, ColumnKind] = {}
        self._freq: dict[str, dict[str, float]] = {}
        for name in columns if columns is not None else reference.columns:
            kind = reference.infer_kind(name)
            if kind is None or kind is ColumnKind.EMBEDDING:
                continue
            self.columns.append(name)
            self.kinds[name] = kind
            if kind is not ColumnKind.NUMERIC:
                codes, labels = reference.categorical(name)
                counts = np.bincount(codes[codes >= 0], minlength=len(labels))
                total = max(int(counts.sum()), 1)
                self._freq[name] = {lab: c / total for lab, c in zip(labels, counts, strict=True)}

    @classmethod
    def fit(
        cls, reference: Frame, columns: Sequence[str] | None = None
    ) -> tuple[TabularEncoder, FloatArray]:
        """An encoder scaled by the reference's statistics, and the reference transformed."""
        enc = cls(reference, columns)
        raw = enc._raw(reference, slice(None))
        mean = np.nanmean(raw, axis=0) if raw.size else np.zeros(0)
        enc.mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.nanstd(raw, axis=0) if raw.size else np.zeros(0)
        enc.std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        return enc, enc._scaled(raw)

    def _raw(self, frame: Frame, rows: slice | np.ndarray) -> FloatArray:
        out = np.empty((len(np.arange(frame.n_rows)[rows]), len(self.columns)))
        for j, name in enumerate(self.columns):
            if not frame.has(name):
                out[:, j] = np.nan
                continue
            if self.kinds[name] is ColumnKind.NUMERIC:
                try:
                    out[:, j] = frame.numeric(name)[rows]
                except ValueError:
                    out[:, j] = np.nan
            else:
                codes, labels = frame.categorical(name)
                freq = self._freq[name]
                lookup = np.array([freq.get(lab, 0.0) for lab in labels] + [np.nan])
                out[:, j] = lookup[codes[rows]]  # code -1 (missing) reads the trailing NaN
        return out

    def transform(self, frame: Frame, rows: slice | np.ndarray = slice(None)) -> FloatArray:
        return self._scaled(self._raw(frame, rows))

    def _scaled(self, x: FloatArray) -> FloatArray:
        """Standardize ``x`` in place (non-finite results -> 0)."""
        x -= self.mean
        x /= self.std
        x[~np.isfinite(x)] = 0.0
        return x


def _fit_pca(x: FloatArray, variance: float) -> FloatArray:
    """Principal axes (columns) explaining at least ``variance`` of the total variance."""
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred / max(x.shape[0] - 1, 1)
    vals, vecs = np.linalg.eigh(cov)
    order = np.argsort(vals)[::-1]
    vals, vecs = np.clip(vals[order], 0, None), vecs[:, order]
    total = vals.sum()
    if total <= 0:
        return vecs[:, :1]
    k = int(np.searchsorted(np.cumsum(vals) / total, variance) + 1)
    return vecs[:, : min(k, vecs.shape[1])]


def _reconstruction_error(x: FloatArray, axes: FloatArray) -> float:
    """Mean Euclidean distance between rows and their projection on the axes."""
    if x.shape[0] == 0:
        return float("nan")
    resid = x - (x @ axes) @ axes.T
    return float(np.sqrt((resid * resid).sum(axis=1)).mean())


class PCAReconstructionDrift:
    """PCA reconstruction-error drift with out-of-fold reference bounds (mean +/- k std)."""

    def __init__(
        self,
        reference: object,
        *,
        columns: Sequence[str] | None = None,
        chunker: Chunker | None = None,
        variance: float = 0.65,
        k: float = 3.0,
        max_fit_rows: int = 200_000,
        seed: int = 0,
    ) -> None:
        frame = Frame(reference)
        self.chunker = chunker
        self.encoder, x = TabularEncoder.fit(frame, columns)
        self.messages: list[str] = []
        if not self.encoder.columns:
            raise ValueError("no numeric or categorical columns for multivariate drift")
        rng = np.random.default_rng(seed)

        def fit(rows: np.ndarray) -> FloatArray:
            if rows.size > max_fit_rows:
                rows = rng.choice(rows, max_fit_rows, replace=False)
            return _fit_pca(x[rows], variance)

        self.axes = fit(np.arange(x.shape[0]))
        scores: list[float] = []
        if chunker is not None:
            chunks = chunker.split(frame).chunks
            if len(chunks) >= 2:
                scores = self._out_of_fold(x, chunks, fit)
            else:
                self.messages.append("fewer than two reference chunks: no learned bounds")
        else:
            self.messages.append(
                "no reference chunks (no chunker): the reconstruction error is shown "
                "without learned bounds and never flagged"
            )
        self.reference_scores = tuple(scores)
        if len(scores) >= 2:
            mean, std = float(np.mean(scores)), float(np.std(scores, ddof=1))
            self.lower: float | None = mean - k * std
            self.upper: float | None = mean + k * std
        else:
            self.lower = self.upper = None

    @staticmethod
    def _out_of_fold(
        x: FloatArray, chunks: Sequence[Chunk], fit: Callable[[np.ndarray], FloatArray]
    ) -> list[float]:
        positions = [np.arange(x.shape[0])[c.rows] for c in chunks]
        folds = [np.concatenate(positions[f::2]) for f in (0, 1)]
        models = [fit(folds[1]), fit(folds[0])]
        return [_reconstruction_error(x[pos], models[i % 2]) for i, pos in enumerate(positions)]

    def _score(self, x: FloatArray, info: ChunkInfo | None) -> MultivariateChunkResult:
        value = _reconstruction_error(x, self.axes)
        drifted = bool(
            np.isfinite(value)
            and self.upper is not None
            and self.lower is not None
            and not (self.lower <= value <= self.upper)
        )
        return MultivariateChunkResult(info, value, self.lower, self.upper, drifted)

    def run(self, current: object, chunker: Chunker | None = None) -> MultivariateDriftResult:
        """Reconstruction error of the whole current table and of each chunk."""
        frame = Frame(current)
        x = self.encoder.transform(frame)
        chunker = chunker or self.chunker
        chunks = chunker.split(frame).chunks if chunker is not None else ()
        return MultivariateDriftResult(
            "pca_reconstruction",
            tuple(self.encoder.columns),
            self._score(x, None),
            tuple(self._score(x[c.rows], c.info) for c in chunks),
            self.reference_scores,
            int(self.axes.shape[1]),
            tuple(self.messages),
        )


def domain_classifier_drift(
    reference: object,
    current: object,
    *,
    columns: Sequence[str] | None = None,
    chunker: Chunker | None = None,
    threshold: float = 0.55,
    max_rows: int = 10_000,
    seed: int = 0,
) -> MultivariateDriftResult:
    """Cross-validated AUC of a random forest separating reference from current rows.

    Drift when the AUC reaches ``threshold`` (0.5 is chance). Each side is subsampled to
    ``max_rows`` rows; chunks are each compared with the same reference subsample.
    """
    ref_frame, cur_frame = Frame(reference), Frame(current)
    enc, x_ref = TabularEncoder.fit(ref_frame, columns)
    if not enc.columns:
        raise ValueError("no numeric or categorical columns for multivariate drift")
    x_cur = enc.transform(cur_frame)

    def score(x: FloatArray, info: ChunkInfo | None) -> MultivariateChunkResult:
        res = domain_classifier_auc(x_ref, x, model="trees", max_rows=max_rows, seed=seed)
        return MultivariateChunkResult(
            info, res.auc, None, threshold, res.auc >= threshold, res.p_value
        )

    chunks = chunker.split(cur_frame).chunks if chunker is not None else ()
    return MultivariateDriftResult(
        "domain_classifier",
        tuple(enc.columns),
        score(x_cur, None),
        tuple(score(x_cur[c.rows], c.info) for c in chunks),
    )


#: The multivariate methods by name, as reports and settings spell them.
MULTIVARIATE_METHODS = ("pca_reconstruction", "domain_classifier")


def multivariate_drift(
    reference: object,
    current: object,
    methods: Sequence[str],
    *,
    chunker: Chunker | None = None,
    columns: Sequence[str] | None = None,
) -> tuple[tuple[MultivariateDriftResult, ...], tuple[str, ...]]:
    """Run the named methods; returns the results and messages for what could not run.

    The PCA's bounds are learned from the reference cut by ``chunker`` (out of fold).
    Unknown method names raise ValueError; data problems become messages.
    """
    unknown = [m for m in methods if m not in MULTIVARIATE_METHODS]
    if unknown:
        raise ValueError(f"unknown multivariate method(s) {unknown}; use {MULTIVARIATE_METHODS}")
    results: list[MultivariateDriftResult] = []
    messages: list[str] = []
    for method in dict.fromkeys(methods):
        try:
            if method == "pca_reconstruction":
                pca = PCAReconstructionDrift(reference, columns=columns, chunker=chunker)
                results.append(pca.run(current, chunker))
            else:
                results.append(
                    domain_classifier_drift(reference, current, columns=columns, chunker=chunker)
                )
        except ValueError as error:
            messages.append(f"{method}: not computed: {error}")
    return tuple(results), tuple(messages)

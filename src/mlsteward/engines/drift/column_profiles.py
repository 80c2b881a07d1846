"""Per-column profiles: the mergeable summaries a reference profile is made of.

Numeric: exact counts on fixed histogram edges, a quantile sketch, moments, missing count.
Categorical: counts per category. Embedding: per-dimension moments and a reservoir subsample.
Each merges with another profile of the same column and converts to and from a JSON-able dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlsteward.engines.drift.quantile_sketch import QuantileSketch
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    FloatArray,
    Histogram,
    Moments,
    NumericSample,
)
from mlsteward.engines.drift.spec import ColumnKind

RESERVOIR_SIZE = 2_000


@dataclass
class NumericProfile:
    """Exact histogram on fixed edges, quantile sketch, moments and missing count."""

    histogram: Histogram
    moments: Moments = field(default_factory=Moments)
    n_missing: int = 0
    sketch: QuantileSketch | None = None

    def update(self, values: FloatArray) -> None:
        finite = np.isfinite(values)
        v = values[finite]
        self.n_missing += int(values.size - v.size)
        self.histogram = self.histogram.merge(Histogram.of_unsorted(v, self.histogram.edges))
        self.moments = self.moments.merge(Moments.of(v))
        if self.sketch is not None:
            self.sketch.update(v)

    def merge(self, other: NumericProfile) -> NumericProfile:
        sketch = None
        if self.sketch is not None and other.sketch is not None:
            sketch = self.sketch.merge(other.sketch)
        return NumericProfile(
            self.histogram.merge(other.histogram),
            self.moments.merge(other.moments),
            self.n_missing + other.n_missing,
            sketch,
        )

    def subtract(self, part: NumericProfile) -> NumericProfile:
        return NumericProfile(
            self.histogram.subtract(part.histogram),
            self.moments.subtract(part.moments),
            self.n_missing - part.n_missing,
        )

    def sample(self) -> NumericSample:
        return NumericSample.from_histogram(self.histogram, self.moments, self.n_missing)

    def to_dict(self) -> dict[str, Any]:
        m = self.moments
        return {
            "kind": "numeric",
            "edges": self.histogram.edges.tolist(),
            "counts": self.histogram.counts.tolist(),
            "moments": {
                "n": m.n,
                "mean": m.mean,
                "m2": m.m2,
                "min": m.minimum if m.n else None,
                "max": m.maximum if m.n else None,
            },
            "n_missing": self.n_missing,
            "sketch": self.sketch.to_dict() if self.sketch is not None else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NumericProfile:
        m = d["moments"]
        moments = Moments(
            int(m["n"]),
            float(m["mean"]),
            float(m["m2"]),
            float(m["min"]) if m["min"] is not None else np.inf,
            float(m["max"]) if m["max"] is not None else -np.inf,
        )
        hist = Histogram(
            np.asarray(d["edges"], dtype=np.float64), np.asarray(d["counts"], dtype=np.int64)
        )
        sketch = QuantileSketch.from_dict(d["sketch"]) if d.get("sketch") else None
        return cls(hist, moments, int(d["n_missing"]), sketch)


@dataclass
class CategoricalProfile:
    """Counts per category and missing count."""

    counts: dict[str, int] = field(default_factory=dict)
    n_missing: int = 0
    binary: bool = False

    def update_codes(self, codes: np.ndarray, labels: list[str]) -> None:
        self.n_missing += int(np.count_nonzero(codes < 0))
        tally = np.bincount(codes[codes >= 0], minlength=len(labels))
        for label, c in zip(labels, tally, strict=True):
            if c:
                self.counts[label] = self.counts.get(label, 0) + int(c)

    def merge(self, other: CategoricalProfile) -> CategoricalProfile:
        counts = dict(self.counts)
        for k, v in other.counts.items():
            counts[k] = counts.get(k, 0) + v
        return CategoricalProfile(counts, self.n_missing + other.n_missing, self.binary)

    def subtract(self, part: CategoricalProfile) -> CategoricalProfile:
        counts = {k: v - part.counts.get(k, 0) for k, v in self.counts.items()}
        return CategoricalProfile(counts, self.n_missing - part.n_missing, self.binary)

    def sample(self) -> CategoricalSample:
        return CategoricalSample.from_mapping(self.counts, self.n_missing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "binary" if self.binary else "categorical",
            "counts": dict(self.counts),
            "n_missing": self.n_missing,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CategoricalProfile:
        counts = {str(k): int(v) for k, v in d["counts"].items()}
        return cls(counts, int(d["n_missing"]), d["kind"] == "binary")


@dataclass
class EmbeddingProfile:
    """Per-dimension moments and a uniform reservoir subsample of complete vectors."""

    dim: int
    n: int = 0
    mean: FloatArray | None = None
    m2: FloatArray | None = None
    n_missing: int = 0
    reservoir: FloatArray | None = None
    seed: int = 0

    def update(self, matrix: FloatArray) -> None:
        ok = np.isfinite(matrix).all(axis=1)
        self.n_missing += int(matrix.shape[0] - np.count_nonzero(ok))
        part = EmbeddingProfile.of(matrix[ok], self.seed + self.n)
        merged = self.merge(part)
        self.n, self.mean, self.m2, self.reservoir = (
            merged.n,
            merged.mean,
            merged.m2,
            merged.reservoir,
        )

    @classmethod
    def of(cls, m: FloatArray, seed: int = 0) -> EmbeddingProfile:
        n, d = m.shape
        if n == 0:
            return cls(d)
        mean = m.mean(axis=0)
        rng = np.random.default_rng(seed)
        keep = m if n <= RESERVOIR_SIZE else m[rng.choice(n, RESERVOIR_SIZE, replace=False)]
        return cls(d, n, mean, ((m - mean) ** 2).sum(axis=0), 0, keep.copy(), seed)

    def merge(self, other: EmbeddingProfile) -> EmbeddingProfile:
        if other.n == 0 or other.mean is None or other.m2 is None:
            return EmbeddingProfile(
                self.dim,
                self.n,
                self.mean,
                self.m2,
                self.n_missing + other.n_missing,
                self.reservoir,
                self.seed,
            )
        if self.n == 0 or self.mean is None or self.m2 is None:
            return EmbeddingProfile(
                other.dim,
                other.n,
                other.mean,
                other.m2,
                self.n_missing + other.n_missing,
                other.reservoir,
                self.seed,
            )
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta**2 * self.n * other.n / n
        # Reservoir merge: draw from each side in proportion to the rows it stands for.
        rng = np.random.default_rng(self.seed + n)
        a = self.reservoir if self.reservoir is not None else np.zeros((0, self.dim))
        b = other.reservoir if other.reservoir is not None else np.zeros((0, self.dim))
        take = min(RESERVOIR_SIZE, a.shape[0] + b.shape[0])
        from_a = int(rng.binomial(take, self.n / n))
        from_a = min(from_a, a.shape[0])
        from_b = min(take - from_a, b.shape[0])
        res = np.vstack(
            [
                a[rng.choice(a.shape[0], from_a, replace=False)],
                b[rng.choice(b.shape[0], from_b, replace=False)],
            ]
        )
        return EmbeddingProfile(
            self.dim, n, mean, m2, self.n_missing + other.n_missing, res, self.seed
        )

    def sample(self) -> EmbeddingSample:
        if self.n == 0 or self.mean is None or self.m2 is None:
            z = np.zeros(self.dim)
            return EmbeddingSample(0, z, z.copy(), None, self.n_missing, is_raw=False)
        return EmbeddingSample(
            self.n, self.mean, self.m2 / self.n, self.reservoir, self.n_missing, is_raw=False
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "embedding",
            "dim": self.dim,
            "n": self.n,
            "mean": None if self.mean is None else self.mean.tolist(),
            "m2": None if self.m2 is None else self.m2.tolist(),
            "n_missing": self.n_missing,
            "reservoir": None if self.reservoir is None else self.reservoir.tolist(),
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EmbeddingProfile:
        def arr(x: Any) -> FloatArray | None:
            return None if x is None else np.asarray(x, dtype=np.float64)

        res = arr(d["reservoir"])
        if res is not None:
            res = res.reshape(-1, int(d["dim"]))
        return cls(
            int(d["dim"]),
            int(d["n"]),
            arr(d["mean"]),
            arr(d["m2"]),
            int(d["n_missing"]),
            res,
            int(d.get("seed", 0)),
        )


ColumnProfile = NumericProfile | CategoricalProfile | EmbeddingProfile


def column_profile_from_dict(d: Mapping[str, Any]) -> ColumnProfile:
    kind = d["kind"]
    if kind == "numeric":
        return NumericProfile.from_dict(d)
    if kind in ("categorical", "binary"):
        return CategoricalProfile.from_dict(d)
    if kind == "embedding":
        return EmbeddingProfile.from_dict(d)
    raise ValueError(f"unknown column profile kind {kind!r}")


def merge_column_profiles(a: ColumnProfile, b: ColumnProfile) -> ColumnProfile:
    """Merge two profiles of one column; they must be of the same kind."""
    if isinstance(a, NumericProfile) and isinstance(b, NumericProfile):
        return a.merge(b)
    if isinstance(a, CategoricalProfile) and isinstance(b, CategoricalProfile):
        return a.merge(b)
    if isinstance(a, EmbeddingProfile) and isinstance(b, EmbeddingProfile):
        return a.merge(b)
    raise ValueError(f"cannot merge a {type(a).__name__} with a {type(b).__name__}")


def subtract_column_profiles(whole: ColumnProfile, part: ColumnProfile) -> ColumnProfile:
    """Profile of ``whole`` without ``part`` (numeric and categorical only)."""
    if isinstance(whole, NumericProfile) and isinstance(part, NumericProfile):
        return whole.subtract(part)
    if isinstance(whole, CategoricalProfile) and isinstance(part, CategoricalProfile):
        return whole.subtract(part)
    raise ValueError(f"cannot subtract {type(part).__name__} from {type(whole).__name__}")


def profile_kind(p: ColumnProfile) -> ColumnKind:
    if isinstance(p, NumericProfile):
        return ColumnKind.NUMERIC
    if isinstance(p, EmbeddingProfile):
        return ColumnKind.EMBEDDING
    return ColumnKind.BINARY if p.binary else ColumnKind.CATEGORICAL

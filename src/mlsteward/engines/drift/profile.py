"""Reference profiles: a mergeable, serializable summary of a reference dataset.

A profile holds, per column, what the drift tests need without the raw rows: exact counts on
fixed histogram edges, a quantile sketch, moments and missing counts for numeric columns;
category counts for categorical ones; mean, variance and a reservoir subsample for embeddings.
It is built by streaming chunks through :class:`ProfileBuilder` (memory stays flat whatever the
reference size), two profiles on the same edges merge, and ``to_dict``/``from_dict`` round-trip
through JSON so a service can store it beside a model or dataset version.

Histogram edges are fixed by the first chunk (equal-frequency there, open-ended at both ends)
or given by the caller; later chunks are counted on the same edges so counts stay exact.
Optionally the builder keeps per-chunk summaries, from which thresholds can later be learned
out of sample without the raw reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.quantile_sketch import QuantileSketch
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    FloatArray,
    Histogram,
    Moments,
    NumericSample,
    quantile_edges,
)
from mlsteward.engines.drift.spec import ColumnKind

PROFILE_FORMAT = 1
DEFAULT_BINS = 100
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


def _column_profile_from_dict(d: Mapping[str, Any]) -> ColumnProfile:
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


@dataclass
class ReferenceProfile:
    """Per-column profiles of a reference, plus optional per-chunk profiles."""

    columns: dict[str, ColumnProfile]
    n_rows: int
    chunks: list[dict[str, ColumnProfile]] = field(default_factory=list)
    chunk_rows: list[int] = field(default_factory=list)

    def kinds(self) -> dict[str, ColumnKind]:
        return {name: profile_kind(p) for name, p in self.columns.items()}

    def merge(self, other: ReferenceProfile) -> ReferenceProfile:
        """Profile of both references; columns present in only one are kept as they are."""
        cols: dict[str, ColumnProfile] = dict(self.columns)
        for name, p in other.columns.items():
            mine = cols.get(name)
            cols[name] = p if mine is None else merge_column_profiles(mine, p)
        return ReferenceProfile(
            cols,
            self.n_rows + other.n_rows,
            self.chunks + other.chunks,
            self.chunk_rows + other.chunk_rows,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "n_rows": self.n_rows,
            "columns": {name: p.to_dict() for name, p in self.columns.items()},
            "chunks": [{n: p.to_dict() for n, p in ch.items()} for ch in self.chunks],
            "chunk_rows": list(self.chunk_rows),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReferenceProfile:
        if int(d.get("format", 0)) != PROFILE_FORMAT:
            raise ValueError(f"unsupported profile format {d.get('format')!r}")
        return cls(
            {n: _column_profile_from_dict(p) for n, p in d["columns"].items()},
            int(d["n_rows"]),
            [{n: _column_profile_from_dict(p) for n, p in ch.items()} for ch in d["chunks"]],
            [int(x) for x in d.get("chunk_rows", [])],
        )


class ProfileBuilder:
    """Builds a :class:`ReferenceProfile` from chunks streamed one at a time.

    ``kinds`` fixes column kinds (inferred from the first chunk otherwise); ``edges`` fixes
    histogram edges per numeric column (equal-frequency on the first chunk otherwise).
    ``keep_chunks`` stores each chunk's own summary (no sketch), for learned thresholds.
    """

    def __init__(
        self,
        *,
        columns: Iterable[str] | None = None,
        kinds: Mapping[str, ColumnKind] | None = None,
        edges: Mapping[str, FloatArray] | None = None,
        bins: int = DEFAULT_BINS,
        sketch_k: int = 256,
        keep_chunks: bool = False,
    ) -> None:
        self._columns = list(columns) if columns is not None else None
        self._kinds = dict(kinds or {})
        self._edges = {k: np.asarray(v, dtype=np.float64) for k, v in (edges or {}).items()}
        self._bins = bins
        self._sketch_k = sketch_k
        self._keep_chunks = keep_chunks
        self._profiles: dict[str, ColumnProfile] = {}
        self._chunks: list[dict[str, ColumnProfile]] = []
        self._chunk_rows: list[int] = []
        self._rows = 0
        self.messages: list[str] = []

    def update(self, data: object) -> None:
        """Add one chunk (anything :class:`Frame` accepts)."""
        frame = Frame(data)
        names = self._columns if self._columns is not None else frame.columns
        chunk: dict[str, ColumnProfile] = {}
        for name in names:
            if not frame.has(name):
                self.messages.append(f"column {name!r} missing from a reference chunk")
                continue
            kind = self._kinds.get(name)
            if kind is None:
                kind = frame.infer_kind(name)
                if kind is None:
                    continue
                self._kinds[name] = kind
            try:
                part = self._profile_chunk(frame, name, kind)
            except ColumnTypeError as exc:
                self.messages.append(str(exc))
                continue
            chunk[name] = part
            have = self._profiles.get(name)
            self._profiles[name] = part if have is None else merge_column_profiles(have, part)
        self._rows += frame.n_rows
        if self._keep_chunks:
            for p in chunk.values():
                if isinstance(p, NumericProfile):
                    p.sketch = None
            self._chunks.append(chunk)
            self._chunk_rows.append(frame.n_rows)

    def _profile_chunk(self, frame: Frame, name: str, kind: ColumnKind) -> ColumnProfile:
        if kind is ColumnKind.NUMERIC:
            values = frame.numeric(name)
            edges = self._edges.get(name)
            if edges is None:
                finite = np.sort(values[np.isfinite(values)])
                edges = quantile_edges(finite, self._bins)
                self._edges[name] = edges
            p = NumericProfile(
                Histogram(edges, np.zeros(edges.size + 1, dtype=np.int64)),
                sketch=QuantileSketch(self._sketch_k),
            )
            p.update(values)
            return p
        if kind is ColumnKind.EMBEDDING:
            m = frame.embedding(name)
            e = EmbeddingProfile(m.shape[1], seed=self._rows)
            e.update(m)
            return e
        codes, labels = frame.categorical(name)
        c = CategoricalProfile(binary=kind is ColumnKind.BINARY)
        c.update_codes(codes, labels)
        return c

    def build(self) -> ReferenceProfile:
        return ReferenceProfile(
            dict(self._profiles), self._rows, list(self._chunks), list(self._chunk_rows)
        )


def build_profile(
    data: object, *, chunk_size: int | None = None, **options: Any
) -> ReferenceProfile:
    """Profile an in-memory table, optionally in chunks of ``chunk_size`` rows."""
    frame = Frame(data)
    builder = ProfileBuilder(keep_chunks=chunk_size is not None, **options)
    if chunk_size is None:
        builder.update(frame)
        return builder.build()
    for start in range(0, frame.n_rows, chunk_size):
        builder.update(_slice_rows(data, slice(start, min(start + chunk_size, frame.n_rows))))
    return builder.build()


def _slice_rows(data: object, rows: slice) -> object:
    if isinstance(data, Frame):
        data = data._data
    if hasattr(data, "iloc"):
        return data.iloc[rows]
    if hasattr(data, "slice") and hasattr(data, "num_rows"):
        return data.slice(rows.start, rows.stop - rows.start)
    if isinstance(data, Mapping):
        return {k: np.asarray(v)[rows] for k, v in data.items()}
    raise TypeError(f"cannot slice {type(data).__name__}")

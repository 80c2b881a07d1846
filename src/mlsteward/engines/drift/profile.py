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
out of sample without the raw reference. By default it also keeps a seeded reservoir sample
of whole rows (``DEFAULT_SAMPLE_SIZE``, see :mod:`row_reservoir`), so multivariate checks,
which need rows, can run against a stored profile; ``sample_size=0`` keeps none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.engines.drift.column_profiles import (
    CategoricalProfile,
    ColumnProfile,
    EmbeddingProfile,
    NumericProfile,
    column_profile_from_dict,
    merge_column_profiles,
    profile_kind,
    subtract_column_profiles,
)
from mlsteward.engines.drift.float_sort import sort_finite
from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.quantile_sketch import QuantileSketch
from mlsteward.engines.drift.row_reservoir import (
    RowReservoir,
    merge_samples,
    sample_from_text,
    sample_to_text,
)
from mlsteward.engines.drift.samples import FloatArray, Histogram, quantile_edges
from mlsteward.engines.drift.spec import ColumnKind

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "CategoricalProfile",
    "ColumnProfile",
    "EmbeddingProfile",
    "NumericProfile",
    "ProfileBuilder",
    "ReferenceProfile",
    "build_profile",
    "merge_column_profiles",
    "profile_kind",
    "subtract_column_profiles",
]

PROFILE_FORMAT = 1
DEFAULT_BINS = 100
#: Reference rows a profile keeps for multivariate checks unless told otherwise.
DEFAULT_SAMPLE_SIZE = 5_000


@dataclass
class ReferenceProfile:
    """Per-column profiles of a reference, plus optional per-chunk profiles."""

    columns: dict[str, ColumnProfile]
    n_rows: int
    chunks: list[dict[str, ColumnProfile]] = field(default_factory=list)
    chunk_rows: list[int] = field(default_factory=list)
    #: What profiling noted (columns left untested and why); shown in every report against it.
    messages: list[str] = field(default_factory=list)
    #: A seeded uniform sample of reference rows (profiled columns but embeddings), for
    #: multivariate checks; None when the profile was built without one.
    sample: pa.Table | None = field(default=None, repr=False)

    @property
    def sample_rows(self) -> int:
        """Rows in :attr:`sample` (0 when there is none)."""
        return 0 if self.sample is None else int(self.sample.num_rows)

    def kinds(self) -> dict[str, ColumnKind]:
        return {name: profile_kind(p) for name, p in self.columns.items()}

    def merge(self, other: ReferenceProfile) -> ReferenceProfile:
        """Profile of both references; columns present in only one are kept as they are."""
        cols: dict[str, ColumnProfile] = dict(self.columns)
        for name, p in other.columns.items():
            mine = cols.get(name)
            cols[name] = p if mine is None else merge_column_profiles(mine, p)
        sample = None
        if self.sample is not None and other.sample is not None:
            # A uniform sample of both only when both kept one, as large as the larger.
            size = max(self.sample_rows, other.sample_rows)
            sample = merge_samples(self.sample, self.n_rows, other.sample, other.n_rows, size)
        return ReferenceProfile(
            cols,
            self.n_rows + other.n_rows,
            self.chunks + other.chunks,
            self.chunk_rows + other.chunk_rows,
            list(dict.fromkeys(self.messages + other.messages)),
            sample,
        )

    def to_dict(self) -> dict[str, Any]:
        out = {
            "format": PROFILE_FORMAT,
            "n_rows": self.n_rows,
            "columns": {name: p.to_dict() for name, p in self.columns.items()},
            "chunks": [{n: p.to_dict() for n, p in ch.items()} for ch in self.chunks],
            "chunk_rows": list(self.chunk_rows),
            "messages": list(self.messages),
        }
        if self.sample is not None:
            # Compressed Parquet in base64: a few bytes a row, where JSON lists take dozens.
            out["sample"] = {"rows": self.sample_rows, "parquet": sample_to_text(self.sample)}
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReferenceProfile:
        if int(d.get("format", 0)) != PROFILE_FORMAT:
            raise ValueError(f"unsupported profile format {d.get('format')!r}")
        sample = d.get("sample")  # profiles stored before samples existed have none
        if sample is not None and not isinstance(sample, Mapping):
            raise ValueError("a profile's sample is an object with its Parquet bytes")
        return cls(
            {n: column_profile_from_dict(p) for n, p in d["columns"].items()},
            int(d["n_rows"]),
            [{n: column_profile_from_dict(p) for n, p in ch.items()} for ch in d["chunks"]],
            [int(x) for x in d.get("chunk_rows", [])],
            [str(m) for m in d.get("messages", [])],
            None if sample is None else _sample_from(sample),
        )


class ProfileBuilder:
    """Builds a :class:`ReferenceProfile` from chunks streamed one at a time.

    ``kinds`` fixes column kinds (inferred from the first chunk otherwise); ``edges`` fixes
    histogram edges per numeric column (equal-frequency on the first chunk otherwise).
    ``keep_chunks`` stores each chunk's own summary (no sketch), for learned thresholds.
    ``sample_size`` rows are kept as a reservoir sample drawn with ``seed`` (0: none).
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
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        seed: int = 0,
    ) -> None:
        self._columns = list(columns) if columns is not None else None
        self._kinds = dict(kinds or {})
        self._edges = {k: np.asarray(v, dtype=np.float64) for k, v in (edges or {}).items()}
        self._bins = bins
        self._sketch_k = sketch_k
        self._keep_chunks = keep_chunks
        self._profiles: dict[str, ColumnProfile] = {}
        self._untested: set[str] = set()  # decided on the first chunk, like the kinds
        self._chunks: list[dict[str, ColumnProfile]] = []
        self._chunk_rows: list[int] = []
        self._rows = 0
        self._reservoir = RowReservoir(sample_size, seed)
        self.messages: list[str] = []

    def update(self, data: object) -> None:
        """Add one chunk (anything :class:`Frame` accepts)."""
        frame = Frame(data)
        names = self._columns if self._columns is not None else frame.columns
        chunk: dict[str, ColumnProfile] = {}
        rows, slots = self._reservoir.plan(frame.n_rows)
        picked: dict[str, pa.Array] = {}
        for name in names:
            if not frame.has(name):
                self.messages.append(f"column {name!r} missing from a reference chunk")
                continue
            if name in self._untested:
                continue
            kind = self._kinds.get(name)
            if kind is None:
                kind = frame.infer_kind(name)
                if kind is None:
                    self._untested.add(name)
                    if name in frame.untested:
                        self.messages.append(f"column {name!r} not tested: {frame.untested[name]}")
                    continue
                self._kinds[name] = kind
            try:
                part, sampled = self._profile_chunk(frame, name, kind, rows)
            except ColumnTypeError as exc:
                self.messages.append(str(exc))
                continue
            if sampled is not None:
                picked[name] = sampled
            chunk[name] = part
            have = self._profiles.get(name)
            self._profiles[name] = part if have is None else merge_column_profiles(have, part)
        self._reservoir.add(slots, picked)
        self._rows += frame.n_rows
        if self._keep_chunks:
            for p in chunk.values():
                if isinstance(p, NumericProfile):
                    p.sketch = None
            self._chunks.append(chunk)
            self._chunk_rows.append(frame.n_rows)

    def _profile_chunk(
        self, frame: Frame, name: str, kind: ColumnKind, rows: np.ndarray
    ) -> tuple[ColumnProfile, pa.Array | None]:
        """The chunk's summary of one column, and its values at ``rows`` for the sample
        (None for an embedding, whose profile keeps vectors of its own)."""
        if kind is ColumnKind.NUMERIC:
            values = frame.numeric(name)
            edges = self._edges.get(name)
            if edges is None:
                finite = values[np.isfinite(values)]
                sort_finite(finite)
                edges = quantile_edges(finite, self._bins)
                self._edges[name] = edges
            p = NumericProfile(
                Histogram(edges, np.zeros(edges.size + 1, dtype=np.int64)),
                sketch=QuantileSketch(self._sketch_k),
            )
            p.update(values)
            return p, pa.array(values[rows], type=pa.float64(), from_pandas=True)
        if kind is ColumnKind.EMBEDDING:
            m = frame.embedding(name)
            e = EmbeddingProfile(m.shape[1], seed=self._rows)
            e.update(m)
            return e, None
        codes, labels = frame.categorical(name)
        c = CategoricalProfile(binary=kind is ColumnKind.BINARY)
        c.update_codes(codes, labels)
        return c, _labels_at(codes, labels, rows)

    def build(self) -> ReferenceProfile:
        return ReferenceProfile(
            dict(self._profiles),
            self._rows,
            list(self._chunks),
            list(self._chunk_rows),
            list(self.messages),
            self._reservoir.table,
        )


def build_profile(
    data: object,
    *,
    chunk_size: int | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = 0,
    **options: Any,
) -> ReferenceProfile:
    """Profile an in-memory table, optionally in chunks of ``chunk_size`` rows, keeping a
    reservoir sample of ``sample_size`` rows drawn with ``seed`` (0 keeps none)."""
    frame = Frame(data)
    builder = ProfileBuilder(
        keep_chunks=chunk_size is not None, sample_size=sample_size, seed=seed, **options
    )
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


def _labels_at(codes: np.ndarray, labels: list[str], rows: np.ndarray) -> pa.Array:
    """Category labels of the sampled rows as text (missing as null)."""
    chosen = codes[rows]
    text = np.asarray([*labels, None], dtype=object)[np.where(chosen >= 0, chosen, len(labels))]
    return pa.array(text, type=pa.string())


def _sample_from(raw: Mapping[str, Any]) -> pa.Table:
    text = raw.get("parquet")
    if not isinstance(text, str):
        raise ValueError("a profile's sample holds its rows as base64 Parquet")
    try:
        return sample_from_text(text)
    except (ValueError, OSError, pa.ArrowException) as error:
        raise ValueError(f"unreadable profile sample: {error}") from error

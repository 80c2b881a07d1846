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
from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.quantile_sketch import QuantileSketch
from mlsteward.engines.drift.samples import FloatArray, Histogram, quantile_edges
from mlsteward.engines.drift.spec import ColumnKind

__all__ = [
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


@dataclass
class ReferenceProfile:
    """Per-column profiles of a reference, plus optional per-chunk profiles."""

    columns: dict[str, ColumnProfile]
    n_rows: int
    chunks: list[dict[str, ColumnProfile]] = field(default_factory=list)
    chunk_rows: list[int] = field(default_factory=list)
    #: What profiling noted (columns left untested and why); shown in every report against it.
    messages: list[str] = field(default_factory=list)

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
            list(dict.fromkeys(self.messages + other.messages)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "n_rows": self.n_rows,
            "columns": {name: p.to_dict() for name, p in self.columns.items()},
            "chunks": [{n: p.to_dict() for n, p in ch.items()} for ch in self.chunks],
            "chunk_rows": list(self.chunk_rows),
            "messages": list(self.messages),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReferenceProfile:
        if int(d.get("format", 0)) != PROFILE_FORMAT:
            raise ValueError(f"unsupported profile format {d.get('format')!r}")
        return cls(
            {n: column_profile_from_dict(p) for n, p in d["columns"].items()},
            int(d["n_rows"]),
            [{n: column_profile_from_dict(p) for n, p in ch.items()} for ch in d["chunks"]],
            [int(x) for x in d.get("chunk_rows", [])],
            [str(m) for m in d.get("messages", [])],
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
        self._untested: set[str] = set()  # decided on the first chunk, like the kinds
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
            dict(self._profiles),
            self._rows,
            list(self._chunks),
            list(self._chunk_rows),
            list(self.messages),
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

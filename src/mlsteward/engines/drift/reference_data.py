"""The reference side, prepared once: per-column samples from raw data or from a profile.

Preparing sorts each numeric reference column once; every window and chunk of current data is
then compared against the same prepared samples. For learned thresholds it also yields, for each
reference chunk, the pair *(reference without that chunk, that chunk)*: the chunk is never
scored against a reference that contains it. From raw data this uses one argsort per column
(both halves stay sorted by masking); from a profile it subtracts the chunk's stored counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mlsteward.engines.drift.chunking import Chunk, Chunker
from mlsteward.engines.drift.column_evaluation import ColumnConfig, Sample, summarize
from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.profile import (
    EmbeddingProfile,
    ReferenceProfile,
    profile_kind,
    subtract_column_profiles,
)
from mlsteward.engines.drift.results import ColumnSummary
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    NumericSample,
)
from mlsteward.engines.drift.spec import ColumnKind


def is_two_valued(values: np.ndarray) -> bool:
    """True when the finite values take at most two distinct values (a numeric flag)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    lo, hi = finite.min(), finite.max()
    return bool(np.count_nonzero((finite == lo) | (finite == hi)) == finite.size)


def categorical_sample(codes: np.ndarray, labels: list[str]) -> CategoricalSample:
    """Counts of integer codes (-1 = missing) as a sample."""
    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=len(labels)).astype(np.int64)
    return CategoricalSample(tuple(labels), counts, int(codes.size - np.count_nonzero(valid)))


@dataclass
class _RawColumn:
    values: np.ndarray | None = None  # numeric, unsorted, NaN for missing
    order: np.ndarray | None = None  # argsort of values (NaN last), computed on demand
    codes: np.ndarray | None = None  # categorical codes
    labels: list[str] | None = None
    matrix: np.ndarray | None = None  # embeddings


class PreparedReference:
    """Per-column kinds, samples and summaries of the reference, ready for comparisons."""

    def __init__(self) -> None:
        self.kinds: dict[str, ColumnKind] = {}
        self.samples: dict[str, Sample] = {}
        self.summaries: dict[str, ColumnSummary] = {}
        self.messages: list[str] = []
        self.n_rows = 0
        self._raw: dict[str, _RawColumn] = {}
        self._frame: Frame | None = None
        self._profile: ReferenceProfile | None = None

    @property
    def is_profile(self) -> bool:
        return self._profile is not None

    @classmethod
    def from_data(
        cls,
        data: object,
        *,
        columns: Sequence[str] | None = None,
        config: Mapping[str, ColumnConfig] | None = None,
        keep_raw: bool = False,
    ) -> PreparedReference:
        """Prepare raw reference data; ``keep_raw`` keeps what learned thresholds need."""
        self = cls()
        frame = Frame(data)
        self._frame = frame
        self.n_rows = frame.n_rows
        config = config or {}
        for name in columns if columns is not None else frame.columns:
            cfg = config.get(name, ColumnConfig())
            if cfg.skip:
                continue
            if not frame.has(name):
                self.messages.append(f"column {name!r} not in the reference: not tested")
                continue
            try:
                self._prepare(frame, name, cfg.kind, keep_raw)
            except ColumnTypeError as exc:
                self.messages.append(f"reference {exc}: not tested")
        return self

    def _prepare(self, frame: Frame, name: str, kind: ColumnKind | None, keep: bool) -> None:
        explicit = kind is not None
        kind = kind or frame.infer_kind(name)
        if kind is None:
            return
        raw = _RawColumn()
        if kind is ColumnKind.NUMERIC:
            values = frame.numeric(name)
            if not explicit and is_two_valued(values):
                kind = ColumnKind.BINARY
            else:
                sample: Sample = NumericSample.from_values(values)
                raw.values = values if keep else None
        if kind in (ColumnKind.CATEGORICAL, ColumnKind.BINARY):
            codes, labels = frame.categorical(name)
            sample = categorical_sample(codes, labels)
            raw.codes, raw.labels = (codes, labels) if keep else (None, None)
        elif kind is ColumnKind.EMBEDDING:
            matrix = frame.embedding(name)
            sample = EmbeddingSample.from_matrix(matrix)
            raw.matrix = matrix if keep else None
        self.kinds[name] = kind
        self.samples[name] = sample
        self.summaries[name] = summarize(sample)
        if keep:
            self._raw[name] = raw

    @classmethod
    def from_profile(
        cls,
        profile: ReferenceProfile,
        *,
        columns: Sequence[str] | None = None,
        config: Mapping[str, ColumnConfig] | None = None,
    ) -> PreparedReference:
        """Prepare a stored profile (no raw values: tests that need them approximate)."""
        self = cls()
        self._profile = profile
        self.n_rows = profile.n_rows
        config = config or {}
        for name in columns if columns is not None else list(profile.columns):
            if config.get(name, ColumnConfig()).skip:
                continue
            p = profile.columns.get(name)
            if p is None:
                self.messages.append(f"column {name!r} not in the reference profile: not tested")
                continue
            self.kinds[name] = profile_kind(p)
            self.samples[name] = p.sample()
            self.summaries[name] = summarize(self.samples[name])
        return self

    def out_of_sample_chunks(
        self, chunker: Chunker | None
    ) -> Iterator[tuple[int, dict[str, tuple[Sample, Sample]]]]:
        """For each reference chunk: ``{column: (reference without chunk, chunk)}``."""
        if self._profile is not None:
            yield from self._profile_chunks()
            return
        if self._frame is None or chunker is None:
            return
        plan = chunker.split(self._frame)
        self.messages.extend(plan.messages)
        for chunk in plan.chunks:
            yield chunk.info.index, {name: self._raw_split(name, chunk) for name in self._raw}

    def _raw_split(self, name: str, chunk: Chunk) -> tuple[Sample, Sample]:
        raw = self._raw[name]
        mask = np.zeros(self.n_rows, dtype=bool)
        mask[chunk.rows] = True
        if raw.values is not None:
            whole = self.samples[name]
            assert isinstance(whole, NumericSample) and whole.values is not None
            sorted_vals = whole.values  # the finite values in argsort order (NaN sort last)
            if raw.order is None:
                raw.order = np.argsort(raw.values, kind="stable")[: sorted_vals.size]
            in_chunk = mask[raw.order]
            chunk_missing = int(np.count_nonzero(mask)) - int(np.count_nonzero(in_chunk))
            total_missing = whole.n_missing
            return (
                NumericSample.from_sorted(sorted_vals[~in_chunk], total_missing - chunk_missing),
                NumericSample.from_sorted(sorted_vals[in_chunk], chunk_missing),
            )
        if raw.codes is not None and raw.labels is not None:
            part = categorical_sample(raw.codes[chunk.rows], raw.labels)
            whole = self.samples[name]
            assert isinstance(whole, CategoricalSample)
            rest = CategoricalSample(
                whole.categories, whole.counts - part.counts, whole.n_missing - part.n_missing
            )
            return rest, part
        assert raw.matrix is not None
        return (
            EmbeddingSample.from_matrix(raw.matrix[~mask]),
            EmbeddingSample.from_matrix(raw.matrix[mask]),
        )

    def _profile_chunks(self) -> Iterator[tuple[int, dict[str, tuple[Sample, Sample]]]]:
        assert self._profile is not None
        if not self._profile.chunks:
            self.messages.append(
                "reference profile has no per-chunk summaries: thresholds cannot be learned"
            )
            return
        for i, chunk in enumerate(self._profile.chunks):
            pairs: dict[str, tuple[Sample, Sample]] = {}
            for name, part in chunk.items():
                whole = self._profile.columns.get(name)
                if whole is None or name not in self.kinds or isinstance(whole, EmbeddingProfile):
                    continue
                rest = subtract_column_profiles(whole, part)
                pairs[name] = (rest.sample(), part.sample())
            yield i, pairs

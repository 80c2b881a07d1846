"""The reference side, prepared once: per-column samples from raw data or from a profile.

Preparing sorts each numeric reference column once; every window and chunk of current data is
then compared against the same prepared samples. For learned thresholds it also yields, for each
reference chunk, the pair *(reference without that chunk, that chunk)*: the chunk is never
scored against a reference that contains it. From raw data this uses one argsort per column
(both halves stay sorted by masking); from a profile it subtracts the chunk's stored counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlsteward.engines.drift.chunking import Chunker, ChunkPlan
from mlsteward.engines.drift.column_evaluation import ColumnConfig, Sample, summarize
from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.column_roles import ColumnRoles
from mlsteward.engines.drift.float_sort import sort_finite
from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.holdout_pair import HoldoutPair, SortedReference
from mlsteward.engines.drift.profile import (
    EmbeddingProfile,
    ReferenceProfile,
    profile_kind,
    subtract_column_profiles,
)
from mlsteward.engines.drift.ranked_windows import ChunkRows, SortedChunks, sort_by_chunks
from mlsteward.engines.drift.results import ColumnSummary
from mlsteward.engines.drift.samples import (
    CategoricalSample,
    EmbeddingSample,
    FloatArray,
    NumericSample,
)
from mlsteward.engines.drift.spec import ColumnKind


def is_two_valued(values: np.ndarray) -> bool:
    """True when the finite values take exactly two distinct values (a numeric flag).

    A constant column is not a flag: it stays numeric, so any spread in current data shows
    as drift of the distribution.
    """
    head = values[:1_000]
    head = head[np.isfinite(head)]
    if head.size and np.unique(head).size > 2:
        return False  # the usual case, decided without a pass over the column
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    lo, hi = finite.min(), finite.max()
    return bool(lo < hi and np.count_nonzero((finite == lo) | (finite == hi)) == finite.size)


def categorical_sample(codes: np.ndarray, labels: list[str]) -> CategoricalSample:
    """Counts of integer codes (-1 = missing) as a sample."""
    valid = codes >= 0
    counts = np.bincount(codes[valid], minlength=len(labels)).astype(np.int64)
    return CategoricalSample(tuple(labels), counts, int(codes.size - np.count_nonzero(valid)))


@dataclass
class _RawColumn:
    # Each chunk's values sorted and located in the sorted sample; work buffers, valid until
    # this thread prepares its next column (its chunks are scored right after).
    sorted_chunks: SortedChunks | None = None
    codes: np.ndarray | None = None  # categorical codes
    labels: list[str] | None = None
    matrix: np.ndarray | None = None  # embeddings


_Prepared = tuple[ColumnKind, Sample, "_RawColumn"]
#: ``(column, kind, its out-of-sample pairs) -> scores``: learns from one column's chunks.
ColumnLearner = Callable[
    [str, ColumnKind, Iterator[tuple[str, int, Sample, Sample, ColumnPair | None]]], Any
]


def _prepare_column(
    frame: Frame,
    name: str,
    kind: ColumnKind | None,
    chunks: ChunkRows | None,
    slot: FloatArray,
    *,
    infer_identifiers: bool = True,
) -> _Prepared | None:
    """Kind, sample and (given the rows of every chunk) what learned thresholds need.

    A numeric column's sorted values are written into ``slot`` (its row of the reference's
    one block of sorted values) rather than a new array. ``infer_identifiers`` False tests
    a column even when its values look like keys (the user named a test for it).
    """
    keep = chunks is not None
    explicit = kind is not None
    kind = kind or frame.infer_kind(name, identifiers=infer_identifiers)
    if kind is None:
        return None
    raw = _RawColumn()
    sample: Sample
    if kind is ColumnKind.NUMERIC:
        values = frame.numeric(name)
        if not explicit and is_two_valued(values):
            kind = ColumnKind.BINARY
        elif chunks is not None:
            # Each chunk sorted on its own and the sorted runs merged: the sorted sample and,
            # for learned thresholds, every chunk's positions in it (cheaper than an argsort).
            raw.sorted_chunks = sort_by_chunks(values, chunks, out=slot)
            sorted_values = raw.sorted_chunks.merged
            sample = NumericSample.from_sorted(sorted_values, values.size - sorted_values.size)
        else:
            finite = np.isfinite(values)
            n_finite = int(np.count_nonzero(finite))
            sorted_values = slot[:n_finite]
            sorted_values[:] = values if n_finite == values.size else values[finite]
            sort_finite(sorted_values)
            sample = NumericSample.from_sorted(sorted_values, values.size - n_finite)
    if kind in (ColumnKind.CATEGORICAL, ColumnKind.BINARY):
        codes, labels = frame.categorical(name)
        sample = categorical_sample(codes, labels)
        if keep:
            small = np.int16 if len(labels) < 2**15 else np.int32
            raw.codes, raw.labels = codes.astype(small), labels
    elif kind is ColumnKind.EMBEDDING:
        matrix = frame.embedding(name)
        sample = EmbeddingSample.from_matrix(matrix)
        raw.matrix = matrix if keep else None
    return kind, sample, raw


class PreparedReference:
    """Per-column kinds, samples and summaries of the reference, ready for comparisons."""

    def __init__(self) -> None:
        self.kinds: dict[str, ColumnKind] = {}
        self.samples: dict[str, Sample] = {}
        self.summaries: dict[str, ColumnSummary] = {}
        self.messages: list[str] = []
        self.n_rows = 0
        self._plan: ChunkPlan | None = None
        self._profile: ReferenceProfile | None = None
        #: What a ``learn`` callback returned per column (see :meth:`from_data`).
        self.learned_scores: dict[str, Any] = {}
        #: Every column the reference has, tested or not (to tell a misspelt setting).
        self.column_names: frozenset[str] = frozenset()

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
        chunker: Chunker | None = None,
        n_jobs: int = 1,
        learn: ColumnLearner | None = None,
        roles: ColumnRoles | None = None,
    ) -> PreparedReference:
        """Prepare raw reference data (``n_jobs`` threads prepare columns in parallel).

        Columns ``roles`` names as identifiers or the timestamp are left out whatever else
        says to test them; a column with a kind or tests in ``config`` is tested even when its
        values look like keys.

        Given a ``chunker`` and ``learn``, each column's out-of-sample pairs go to ``learn`` as
        soon as the column is prepared, on the same thread, and nothing is kept for later:
        ``learned_scores`` holds what it returned. (Scoring is mostly Python and sorting
        mostly not, so one thread's scoring overlaps the other's sorting.) The chunk plan is
        kept until :meth:`release_raw`.
        """
        self = cls()
        frame = Frame(data, roles)
        self.n_rows = frame.n_rows
        self.column_names = frozenset(frame.columns)
        chunk_of_row = None
        chunk_rows = None
        if chunker is not None:
            self._plan = chunker.split(frame)
            self.messages.extend(self._plan.messages)
            if learn is not None:
                chunk_of_row = self._chunk_of_row()
                chunk_rows = ChunkRows.of([c.rows for c in self._plan.chunks], self.n_rows)
                if chunk_rows is None:
                    raise RuntimeError("a chunk plan with overlapping chunks")
        config = config or {}
        names = []
        for name in columns if columns is not None else frame.columns:
            cfg = config.get(name, ColumnConfig())
            if cfg.skip or self._left_out_by_role(name, roles):
                continue
            if not frame.has(name):
                self.messages.append(f"column {name!r} not in the reference: not tested")
                continue
            names.append(name)

        # One block holds every numeric column's sorted values. Being large, it is mapped
        # apart from the allocator's heaps, so these long-lived arrays do not pin the heaps
        # that column-sized temporaries come and go in; rows of columns that turn out not
        # to be numeric are never touched and take no memory.
        block = np.empty((len(names), self.n_rows), dtype=np.float64)

        def prepare(i: int) -> tuple[_Prepared | None, str | None]:
            name = names[i]
            try:
                cfg = config.get(name, ColumnConfig())
                column = _prepare_column(
                    frame, name, cfg.kind, chunk_rows, block[i], infer_identifiers=not cfg.tests
                )
            except ColumnTypeError as exc:
                return None, f"reference {exc}: not tested"
            finally:
                frame.forget()
            if column is not None and learn is not None and chunk_of_row is not None:
                kind, sample, raw = column
                pairs = self._raw_pairs(name, sample, raw, chunk_of_row)
                self.learned_scores[name] = learn(name, kind, pairs)
            return column, None

        if n_jobs > 1 and len(names) > 1:
            with ThreadPoolExecutor(max_workers=n_jobs) as pool:
                prepared = list(pool.map(prepare, range(len(names))))
        else:
            prepared = [prepare(i) for i in range(len(names))]
        for name, (column, error) in zip(names, prepared, strict=True):
            if error is not None:
                self.messages.append(error)
            if column is None:
                if name in frame.untested:
                    self.messages.append(f"column {name!r} not tested: {frame.untested[name]}")
                continue
            kind, sample, _ = column
            self.kinds[name] = kind
            self.samples[name] = sample
            self.summaries[name] = summarize(sample)
        return self

    @classmethod
    def from_profile(
        cls,
        profile: ReferenceProfile,
        *,
        columns: Sequence[str] | None = None,
        config: Mapping[str, ColumnConfig] | None = None,
        roles: ColumnRoles | None = None,
    ) -> PreparedReference:
        """Prepare a stored profile (no raw values: tests that need them approximate).

        Columns ``roles`` names as identifiers or the timestamp are left out even when the
        profile has them (a profile made before they were named).
        """
        self = cls()
        self._profile = profile
        self.n_rows = profile.n_rows
        self.column_names = frozenset(profile.columns)
        self.messages.extend(profile.messages)
        config = config or {}
        for name in columns if columns is not None else list(profile.columns):
            if config.get(name, ColumnConfig()).skip or self._left_out_by_role(name, roles):
                continue
            p = profile.columns.get(name)
            if p is None:
                self.messages.append(f"column {name!r} not in the reference profile: not tested")
                continue
            self.kinds[name] = profile_kind(p)
            self.samples[name] = p.sample()
            self.summaries[name] = summarize(self.samples[name])
        return self

    def _left_out_by_role(self, name: str, roles: ColumnRoles | None) -> bool:
        """True (and a message says why) for a column named as an identifier or timestamp."""
        reason = roles.untested_reason(name) if roles is not None else None
        if reason is not None:
            self.messages.append(f"column {name!r} not tested: {reason}")
        return reason is not None

    def release_raw(self) -> None:
        """Drop what only out-of-sample chunk scores needed (once thresholds are learned)."""
        self._plan = None

    def chunk_rows(self) -> list[int]:
        """Row counts of the reference chunks thresholds are learned from."""
        if self._profile is not None:
            return list(self._profile.chunk_rows)
        return [c.info.n_rows for c in self._plan.chunks] if self._plan is not None else []

    @property
    def has_chunk_profiles(self) -> bool:
        return self._profile is not None and bool(self._profile.chunks)

    def out_of_sample_columns(self) -> list[str]:
        """Columns of a profile that have out-of-sample chunk pairs (a raw reference's were
        scored while it was prepared: see :meth:`from_data`)."""
        if self._profile is None:
            return []
        cols = self._profile.columns
        return [n for n in self.kinds if n in cols and not isinstance(cols[n], EmbeddingProfile)]

    def out_of_sample_pairs_of(
        self, name: str
    ) -> Iterator[tuple[str, int, Sample, Sample, ColumnPair | None]]:
        """The out-of-sample pairs of one profile column (safe to call from several threads)."""
        if self._profile is None:
            raise RuntimeError("a raw reference's out-of-sample pairs are scored as it is prepared")
        whole = self._profile.columns.get(name)
        if whole is None or isinstance(whole, EmbeddingProfile):
            return
        for i, chunk in enumerate(self._profile.chunks):
            part = chunk.get(name)
            if part is None:
                continue
            rest = subtract_column_profiles(whole, part)
            yield name, i, rest.sample(), part.sample(), None

    def _chunk_of_row(self) -> np.ndarray:
        """The reference chunk of every row (-1 for rows in none)."""
        if self._plan is None:
            raise RuntimeError("reference rows assigned to chunks before the reference was cut")
        n_chunks = len(self._plan.chunks)
        ids = np.full(self.n_rows, -1, dtype=np.int16 if n_chunks < 2**15 else np.int32)
        for chunk in self._plan.chunks:
            ids[chunk.rows] = chunk.info.index
        return ids

    def _raw_pairs(
        self, name: str, whole: Sample, raw: _RawColumn, chunk_of_row: np.ndarray
    ) -> Iterator[tuple[str, int, Sample, Sample, ColumnPair | None]]:
        if self._plan is None:
            raise RuntimeError("out-of-sample pairs asked for after the chunk plan was released")
        if raw.sorted_chunks is not None:
            if not isinstance(whole, NumericSample) or whole.values is None:
                raise RuntimeError(f"column {name!r}: sorted chunks kept for a non-numeric sample")
            sorted_ref = SortedReference(whole)
            for chunk in self._plan.chunks:
                k = chunk.info.index
                # The chunk's positions in the sorted reference, ascending, and its values
                # (sorted already: the same as the sorted reference's at those positions).
                positions = raw.sorted_chunks.positions(k)
                part_missing = chunk.info.n_rows - positions.size
                part = NumericSample.from_sorted(raw.sorted_chunks.chunk(k), part_missing)
                # The rest is never materialized: HoldoutPair derives it from the whole.
                rest = NumericSample(
                    whole.moments.subtract(part.moments), whole.n_missing - part_missing
                )
                yield name, k, rest, part, HoldoutPair(sorted_ref, positions, rest, part)
        elif raw.codes is not None and raw.labels is not None:
            if not isinstance(whole, CategoricalSample):
                raise RuntimeError(f"column {name!r}: category codes kept for another kind")
            for chunk in self._plan.chunks:
                part_c = categorical_sample(raw.codes[chunk.rows], raw.labels)
                rest_c = CategoricalSample(
                    whole.categories,
                    whole.counts - part_c.counts,
                    whole.n_missing - part_c.n_missing,
                )
                yield name, chunk.info.index, rest_c, part_c, None
        elif raw.matrix is not None:
            for chunk in self._plan.chunks:
                mask = chunk_of_row == chunk.info.index
                yield (
                    name,
                    chunk.info.index,
                    EmbeddingSample.from_matrix(raw.matrix[~mask]),
                    EmbeddingSample.from_matrix(raw.matrix[mask]),
                    None,
                )

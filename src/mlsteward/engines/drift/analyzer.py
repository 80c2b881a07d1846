"""Drift of a current table against a reference: whole window, chunks, learned thresholds.

:class:`DriftAnalyzer` prepares the reference once (raw data or a stored profile) and then
compares any number of current tables or streamed chunks against it. Work is column-major: one
current column is converted once and cut into the whole window and every chunk before the next
column is touched, so peak memory stays near one column's worth of temporaries.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from mlsteward.engines.drift import work_buffers
from mlsteward.engines.drift.chunking import Chunk, Chunker, Rows
from mlsteward.engines.drift.column_evaluation import (
    ColumnConfig,
    LearnedBound,
    Sample,
    evaluate_column,
)
from mlsteward.engines.drift.column_pair import ColumnPair
from mlsteward.engines.drift.column_roles import ColumnRoles
from mlsteward.engines.drift.frames import ColumnTypeError, Frame
from mlsteward.engines.drift.onset import find_onsets
from mlsteward.engines.drift.profile import ReferenceProfile
from mlsteward.engines.drift.ranked_windows import ranked_windows
from mlsteward.engines.drift.reference_data import PreparedReference, categorical_sample
from mlsteward.engines.drift.registry import DriftTestRegistry, default_registry
from mlsteward.engines.drift.results import (
    ChunkDriftResult,
    ChunkInfo,
    ColumnDriftResult,
    DatasetDriftResult,
    DriftReport,
    LearnedThreshold,
)
from mlsteward.engines.drift.samples import EmbeddingSample, NumericSample
from mlsteward.engines.drift.spec import ColumnKind
from mlsteward.engines.drift.window_parts import (
    judge_by_parts,
    part_windows,
    small_window_note,
    window_scale,
)

DEFAULT_DRIFT_SHARE = 0.5
DEFAULT_LEARNED_K = 3.0
#: Threads by default: columns are independent, but each thread holds its own work arrays.
MAX_DEFAULT_JOBS = 4


def default_jobs() -> int:
    """Threads to test columns with: the CPUs this process may use, at most MAX_DEFAULT_JOBS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_JOBS))


class DriftAnalyzer:
    """Compares current data with a reference, column by column and chunk by chunk.

    ``reference`` is a table (pandas, Arrow or mapping of arrays) or a
    :class:`ReferenceProfile`. ``column_config`` overrides kinds, tests and thresholds per
    column; ``extra_tests`` run on every column they apply to besides the headline test;
    ``thresholds`` override default thresholds per test name. With ``learn_thresholds`` the
    reference is cut by ``chunker`` and each test's statistic gets an upper bound of
    ``mean + learned_k * std`` over out-of-sample reference chunks; a window more than twice
    the learned chunk size is judged in chunk-sized parts
    (:mod:`~mlsteward.engines.drift.window_parts`). ``drift_share`` is the share of drifted
    columns at which a whole window counts as drifted. ``roles`` names identifier and
    timestamp columns (never tested) and prediction columns (tested, flagged in results).
    ``n_jobs`` threads test columns in parallel (default: the CPUs this process may use, at
    most ``MAX_DEFAULT_JOBS``; each thread adds work arrays of about a column's size).
    """

    def __init__(
        self,
        reference: object,
        *,
        columns: Sequence[str] | None = None,
        column_config: Mapping[str, ColumnConfig] | None = None,
        extra_tests: Sequence[str] = (),
        thresholds: Mapping[str, float] | None = None,
        chunker: Chunker | None = None,
        learn_thresholds: bool = False,
        learned_k: float = DEFAULT_LEARNED_K,
        drift_share: float = DEFAULT_DRIFT_SHARE,
        registry: DriftTestRegistry | None = None,
        n_jobs: int | None = None,
        roles: ColumnRoles | None = None,
    ) -> None:
        self.roles = roles or ColumnRoles()
        self.n_jobs = default_jobs() if n_jobs is None else max(1, n_jobs)
        self.config = dict(column_config or {})
        self.extra_tests = tuple(extra_tests)
        self.thresholds = dict(thresholds or {})
        self.chunker = chunker
        self.drift_share = drift_share
        self.registry = registry or default_registry()
        for name in {t for c in self.config.values() for t in c.tests} | set(self.extra_tests):
            self.registry.get(name)  # fail fast on a typo in the configuration
        self.learned: dict[str, dict[str, LearnedBound]] = {}
        self._learned_records: list[LearnedThreshold] = []
        self._learned_rows: float | None = None
        profile = isinstance(reference, ReferenceProfile)
        if learn_thresholds and chunker is None and not profile:
            raise ValueError("learning thresholds needs a chunker to cut the reference")
        if isinstance(reference, ReferenceProfile):
            self.reference = PreparedReference.from_profile(
                reference, columns=columns, config=self.config, roles=self.roles
            )
        else:
            # Each column is scored on its reference chunks as soon as it is prepared.
            self.reference = PreparedReference.from_data(
                reference,
                columns=columns,
                config=self.config,
                chunker=chunker if learn_thresholds else None,
                n_jobs=self.n_jobs,
                learn=self._column_scores if learn_thresholds else None,
                roles=self.roles,
            )
        for name in self.config:
            if name not in self.reference.column_names:
                self.reference.messages.append(
                    f"settings given for column {name!r}, which is not in the reference"
                )
        if learn_thresholds:
            self._learn(learned_k)
            self.reference.release_raw()

    # -- learned thresholds ----------------------------------------------------------------
    def _learn(self, k: float) -> None:
        if self.reference.is_profile and not self.reference.has_chunk_profiles:
            self.reference.messages.append(
                "reference profile has no per-chunk summaries: thresholds cannot be learned"
            )

        def column_scores(name: str) -> dict[str, list[float]]:
            pairs = self.reference.out_of_sample_pairs_of(name)
            return self._column_scores(name, self.reference.kinds[name], pairs)

        rows = self.reference.chunk_rows()
        self._learned_rows = float(np.mean(rows)) if rows else None
        # Raw references were scored while being prepared; profiles are scored here.
        done = self.reference.learned_scores  # filled in whichever order threads finished
        scores: dict[str, dict[str, list[float]]] = {
            n: done[n] for n in self.reference.kinds if n in done
        }
        names = self.reference.out_of_sample_columns()
        if self.n_jobs > 1 and len(names) > 1:
            with ThreadPoolExecutor(max_workers=self.n_jobs) as pool:
                scores.update(zip(names, pool.map(column_scores, names), strict=True))
        else:
            scores.update((name, column_scores(name)) for name in names)
        for name, per_test in scores.items():
            for test, values in per_test.items():
                if len(values) < 2:
                    continue
                arr = np.asarray(values)
                mean, std = float(arr.mean()), float(arr.std(ddof=1))
                bound = LearnedBound(mean + k * std, mean, std, arr.size)
                self.learned.setdefault(name, {})[test] = bound
                self._learned_records.append(
                    LearnedThreshold(name, test, bound.upper, mean, std, arr.size, tuple(values))
                )
        if not self._learned_records:
            self.reference.messages.append(
                "no thresholds learned (fewer than two usable reference chunks): defaults used"
            )

    def _column_scores(
        self,
        name: str,
        kind: ColumnKind,
        pairs: Iterator[tuple[str, int, Sample, Sample, ColumnPair | None]],
    ) -> dict[str, list[float]]:
        """Each test's statistic on every (rest of the reference, reference chunk) pair."""
        found: dict[str, list[float]] = {}
        for _, _, rest, part, pair in pairs:
            res = self._evaluate(
                name, rest, part, learned=False, pair=pair, kind=kind, statistics_only=True
            )
            for t in res.tests:
                if t.statistic is not None and math.isfinite(t.statistic):
                    found.setdefault(t.test, []).append(t.statistic)
        return found

    # -- evaluation ------------------------------------------------------------------------
    def _evaluate(
        self,
        name: str,
        reference: Sample,
        current: Sample,
        *,
        learned: bool = True,
        pair: ColumnPair | None = None,
        kind: ColumnKind | None = None,
        statistics_only: bool = False,
    ) -> ColumnDriftResult:
        """One column on one window. Learned bounds apply as they are to a window within a
        factor two of the learned chunk size; a larger one gets fixed thresholds here and is
        judged in parts by :meth:`_by_parts`; a smaller one keeps them, with a note."""
        bounds = self.learned.get(name) if learned else None
        n_rows = current.n + current.n_missing
        scale = window_scale(n_rows, self._learned_rows) if bounds else "fits"
        result = evaluate_column(
            name,
            kind or self.reference.kinds[name],
            reference,
            current,
            registry=self.registry,
            config=self.config.get(name),
            extra_tests=self.extra_tests,
            thresholds=self.thresholds,
            learned=bounds if scale == "fits" else None,
            reference_summary=self.reference.summaries.get(name) if learned else None,
            pair=pair,
            statistics_only=statistics_only,
        )
        if bounds and scale == "small" and self._learned_rows is not None:
            result = small_window_note(result, bounds, n_rows, self._learned_rows)
        role = self.roles.role_of(name)
        return dataclasses.replace(result, role=role) if role else result

    def _parts_of(
        self, name: str, windows: Sequence[tuple[int, Rows | None]]
    ) -> dict[int, list[tuple[int, Rows]]]:
        """The windows of a column with learned bounds that are too large for them, each cut
        into parts of about the learned chunk size."""
        size = self._learned_rows
        if size is None or not self.learned.get(name):
            return {}
        return {
            i: part_windows(n_rows, rows, size)
            for i, (n_rows, rows) in enumerate(windows)
            if window_scale(n_rows, size) == "large"
        }

    def _by_parts(
        self, name: str, whole: ColumnDriftResult, parts: list[Sample]
    ) -> ColumnDriftResult:
        """A large window's result, its learned tests judged on its parts' statistics."""
        if self._learned_rows is None:
            return whole
        ref_sample = self.reference.samples[name]
        judged = [self._evaluate(name, ref_sample, part, learned=False) for part in parts]
        return judge_by_parts(whole, judged, self.learned.get(name, {}), self._learned_rows)

    def _extractor(self, frame: Frame, name: str) -> Callable[[Rows | None], Sample]:
        kind = self.reference.kinds[name]
        if kind is ColumnKind.NUMERIC:
            values = frame.numeric(name)
            return lambda rows: NumericSample.from_values(values if rows is None else values[rows])
        if kind is ColumnKind.EMBEDDING:
            matrix = frame.embedding(name)
            return lambda rows: EmbeddingSample.from_matrix(
                matrix if rows is None else matrix[rows]
            )
        codes, labels = frame.categorical(name)
        return lambda rows: categorical_sample(codes if rows is None else codes[rows], labels)

    def _windows(
        self,
        frame: Frame,
        windows: Sequence[tuple[int, Rows | None]],
        skip: str | None = None,
    ) -> list[DatasetDriftResult]:
        """Test every column (but ``skip``) on every window; column-major to convert each
        column once."""
        names = [n for n in self.reference.kinds if n != skip]

        def one_column(name: str) -> list[ColumnDriftResult]:
            try:
                return test_column(name)
            finally:
                frame.forget()

        def test_column(name: str) -> list[ColumnDriftResult]:
            ref_sample = self.reference.samples[name]
            split = self._parts_of(name, windows)
            try:
                if not frame.has(name):
                    raise ColumnTypeError("column missing from current data")
                if isinstance(ref_sample, NumericSample) and ref_sample.is_raw:
                    # Rank the column against the sorted reference once for all windows.
                    values = frame.numeric(name)
                    ranked = ranked_windows(values, ref_sample, windows)
                    if ranked is not None:
                        out = [self._evaluate(name, ref_sample, s, pair=p) for s, p in ranked]
                        for i in self._reuse_parts(name, out, windows, split):
                            out[i] = self._ranked_parts(name, values, windows[i], out[i])
                        return out
                extract = self._extractor(frame, name)
            except ColumnTypeError as exc:
                err = ColumnDriftResult(
                    name,
                    self.reference.kinds[name].value,
                    "error",
                    False,
                    message=str(exc),
                    reference=self.reference.summaries.get(name),
                )
                return [err] * len(windows)
            out = [self._evaluate(name, ref_sample, extract(rows)) for _, rows in windows]
            for i, parts in self._reuse_parts(name, out, windows, split).items():
                out[i] = self._by_parts(name, out[i], [extract(rows) for _, rows in parts])
            return out

        if self.n_jobs > 1 and len(names) > 1:
            # NumPy releases the GIL in sorting and searching, so threads share the work.
            with ThreadPoolExecutor(max_workers=self.n_jobs) as pool:
                by_column = list(pool.map(one_column, names))
        else:
            by_column = [one_column(name) for name in names]
            work_buffers.release()  # pool threads take their buffers with them
        return [
            self._dataset([col[i] for col in by_column], n_rows)
            for i, (n_rows, _) in enumerate(windows)
        ]

    def _reuse_parts(
        self,
        name: str,
        out: list[ColumnDriftResult],
        windows: Sequence[tuple[int, Rows | None]],
        split: dict[int, list[tuple[int, Rows]]],
    ) -> dict[int, list[tuple[int, Rows]]]:
        """Judge in ``out`` each split window whose parts are all windows of this run too (a
        whole window cut just as its chunks were); returns the splits left to judge.

        A part's statistics do not depend on thresholds, so the chunk's result serves as the
        part's: ranking and testing the same rows again would repeat the work exactly.
        """
        if self._learned_rows is None or not split:
            return split
        at = {_span(rows): j for j, (_, rows) in enumerate(windows) if j not in split}
        at.pop(None, None)
        left = {}
        for i, parts in split.items():
            found = [at.get(_span(rows)) for _, rows in parts]
            if any(j is None for j in found):
                left[i] = parts
                continue
            same = [out[j] for j in found if j is not None]
            out[i] = judge_by_parts(out[i], same, self.learned.get(name, {}), self._learned_rows)
        return left

    def _ranked_parts(
        self,
        name: str,
        values: np.ndarray,
        window: tuple[int, Rows | None],
        whole: ColumnDriftResult,
    ) -> ColumnDriftResult:
        """:meth:`_by_parts` for a raw numeric column: the window's parts ranked in one pass.

        Called after the window's own results are made: ranking reuses the thread's buffers.
        """
        size = self._learned_rows
        ref_sample = self.reference.samples[name]
        if size is None or not isinstance(ref_sample, NumericSample):
            return whole
        n_rows, rows = window
        sub = values if rows is None else values[rows]
        parts = part_windows(n_rows, None, size)
        ranked = ranked_windows(sub, ref_sample, [(n_rows, None), *parts])
        if ranked is None:
            samples = [NumericSample.from_values(sub[r]) for _, r in parts]
            return self._by_parts(name, whole, list(samples))
        judged = [self._evaluate(name, ref_sample, s, learned=False, pair=p) for s, p in ranked[1:]]
        return judge_by_parts(whole, judged, self.learned.get(name, {}), size)

    def _dataset(self, columns: list[ColumnDriftResult], n_rows: int) -> DatasetDriftResult:
        tested = [c for c in columns if c.status == "ok"]
        drifted = sum(c.drifted for c in tested)
        share = drifted / len(tested) if tested else 0.0
        return DatasetDriftResult(
            n_rows,
            len(tested),
            drifted,
            share,
            self.drift_share,
            bool(tested) and share >= self.drift_share,
            tuple(columns),
        )

    # -- public entry points ---------------------------------------------------------------
    def compare(self, current: object) -> DatasetDriftResult:
        """One window: the whole current table against the reference."""
        frame = Frame(current)
        return self._windows(frame, [(frame.n_rows, None)])[0]

    def run(self, current: object, chunker: Chunker | None = None) -> DriftReport:
        """Whole window plus each chunk (``chunker`` or the analyzer's) against the reference."""
        frame = Frame(current)
        chunker = chunker or self.chunker
        messages = list(self.reference.messages)
        chunks: tuple[Chunk, ...] = ()
        time_axis = None
        if chunker is not None:
            plan = chunker.split(frame)
            chunks = plan.chunks
            messages.extend(plan.messages)
            if chunker.period is not None and chunker.timestamp_column in self.reference.kinds:
                time_axis = chunker.timestamp_column
                messages.append(
                    f"column {time_axis!r} not tested: it is the time axis of the chunks"
                )
        windows: list[tuple[int, Rows | None]] = [(frame.n_rows, None)]
        windows += [(c.info.n_rows, c.rows) for c in chunks]
        results = self._windows(frame, windows, skip=time_axis)
        chunk_results = tuple(
            ChunkDriftResult(c.info, r) for c, r in zip(chunks, results[1:], strict=True)
        )
        return self._report(results[0], chunk_results, messages, chunker)

    def run_stream(self, tables: Iterable[object]) -> Iterator[ChunkDriftResult]:
        """Each table of a stream is one chunk; results are yielded as they come (flat memory)."""
        start = 0
        for i, table in enumerate(tables):
            frame = Frame(table)
            result = self._windows(frame, [(frame.n_rows, None)])[0]
            info = ChunkInfo(i, f"[{start}:{start + frame.n_rows}]", frame.n_rows)
            start += frame.n_rows
            yield ChunkDriftResult(info, result)

    def _report(
        self,
        whole: DatasetDriftResult,
        chunks: tuple[ChunkDriftResult, ...],
        messages: list[str],
        chunker: Chunker | None,
    ) -> DriftReport:
        onsets = find_onsets(whole, chunks)
        settings: dict[str, Any] = {
            "chunker": chunker.to_dict() if chunker else None,
            "drift_share": self.drift_share,
            "extra_tests": list(self.extra_tests),
            "thresholds": dict(self.thresholds),
            "reference": "profile" if self.reference.is_profile else "raw",
            "reference_rows": self.reference.n_rows,
        }
        if self.roles.identifiers or self.roles.timestamp or self.roles.predictions:
            settings["roles"] = dataclasses.asdict(self.roles)
        return DriftReport(
            whole,
            chunks,
            None if onsets.chunk is None else chunks[onsets.chunk].chunk.index,
            onsets.label,
            onsets.columns,
            tuple(self._learned_records),
            (*messages, *onsets.messages),
            settings,
            onsets.isolated,
        )


def _span(rows: Rows | None) -> tuple[int, int] | None:
    """``(start, stop)`` of a contiguous slice of rows (to find equal windows); else None."""
    if not isinstance(rows, slice) or rows.step not in (None, 1):
        return None
    start, stop = rows.start, rows.stop
    return (start, stop) if isinstance(start, int) and isinstance(stop, int) else None


def detect_drift(reference: object, current: object, **options: Any) -> DriftReport:
    """One-call drift report: ``DriftAnalyzer(reference, **options).run(current)``."""
    return DriftAnalyzer(reference, **options).run(current)

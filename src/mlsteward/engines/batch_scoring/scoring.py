"""Where a job's model runs: the seam between :class:`ChunkScorer` and a scoring engine.

The scorer reads, checks, writes and logs chunks in order in this process; an engine only
turns each checked chunk's model input into the model's answers. :class:`LocalScoring`
calls the model here, one chunk after another; the Ray engine (``ray_engine``) sends chunks
ahead to workers that load the model once each. Either hands the answers back in chunk
order, so the parts, IDs, manifest and log a job writes do not depend on the engine.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from mlsteward.engines.batch_scoring.chunks import Chunk
from mlsteward.engines.batch_scoring.errors import BadRowError
from mlsteward.engines.batch_scoring.features import Conformed
from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.serving.model_runner import PREDICT, PREDICT_PROBA, as_array

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class Resumed:
    """A chunk a previous run finished: counted, not redone."""

    index: int
    done: dict[str, Any]


@dataclass
class Prepared:
    """A chunk checked against the signature: the rows that fit (``positions``), the rows
    that do not, and the bad-row error to raise when its turn comes (``on_bad_rows='fail'``)."""

    chunk: Chunk
    conformed: Conformed
    rejected: pa.Table
    positions: np.ndarray
    error: BadRowError | None = None

    @property
    def needs_model(self) -> bool:
        return self.error is None and len(self.positions) > 0


@dataclass(frozen=True)
class Failure:
    """Why the model gave no answer for a chunk: it raised (``detail`` is ``Type: message``),
    or an output had the wrong ``shape`` for ``rows`` rows. Data, so a worker can send it."""

    kind: str
    detail: str = ""
    output: str = ""
    shape: tuple[int, ...] = ()
    rows: int = 0


@dataclass(frozen=True)
class Scores:
    """The model's answers for a chunk's valid rows, by output, and its time on them."""

    answers: dict[str, np.ndarray]
    seconds: float
    failure: Failure | None = None
    cause: BaseException | None = field(default=None, compare=False)


Entry = Resumed | Prepared


class ScoringEngine(Protocol):
    """Scores ``entries`` with ``model``; yields each entry with its scores (None for a
    resumed chunk or one with a bad-row error), in the order the entries came."""

    name: str

    def scored(
        self, model: LoadedModel, outputs: Sequence[str], entries: Iterator[Entry]
    ) -> Generator[tuple[Entry, Scores | None], None, None]: ...


def score_input(model: LoadedModel, outputs: Sequence[str], model_input: Any, rows: int) -> Scores:
    """Every output asked for on ``model_input`` (``rows`` rows), or why not: the one
    function both engines run, so their answers are the same arrays."""
    if rows == 0:
        return Scores({name: np.empty(0) for name in outputs}, 0.0)
    calls = {PREDICT: model.predict, PREDICT_PROBA: model.predict_proba}
    answers: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    for name in outputs:
        try:
            array = as_array(calls[name](model_input))
        except Exception as error:  # the model's failure, reported with where it happened
            detail = f"{type(error).__name__}: {error}"
            seconds = time.perf_counter() - started
            return Scores({}, seconds, Failure("raised", detail=detail), cause=error)
        if array.ndim == 0 or array.shape[0] != rows or array.ndim > 2:
            failure = Failure("shape", output=name, shape=tuple(array.shape), rows=rows)
            return Scores({}, time.perf_counter() - started, failure)
        answers[name] = array
    return Scores(answers, time.perf_counter() - started)


class LocalScoring:
    """The model in this process, one chunk after another (the default engine)."""

    name = "local"

    def scored(
        self, model: LoadedModel, outputs: Sequence[str], entries: Iterator[Entry]
    ) -> Generator[tuple[Entry, Scores | None], None, None]:
        for entry in entries:
            if isinstance(entry, Resumed) or entry.error is not None:
                yield entry, None
                continue
            rows = len(entry.positions)
            yield entry, score_input(model, outputs, entry.conformed.model_input, rows)

"""One loaded model version ready to answer batches: its input layout, its outputs, warm-up.

``run_batch`` is what the batcher calls: it stacks the requests' rows, calls ``predict`` (and
``predict_proba`` when a request asked for it) once for the whole batch, and splits the
answers back per request. When a batch of several requests fails, each is retried alone so
one poisonous request does not fail its neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.engines.models.loaded_model import LoadedModel
from mlsteward.engines.serving.datatypes import oip_datatype
from mlsteward.engines.serving.input_layout import Batch, InputLayout, concat

PREDICT = "predict"
PREDICT_PROBA = "predict_proba"


@dataclass(frozen=True)
class Job:
    """One request's rows and the outputs it wants."""

    batch: Batch
    rows: int
    outputs: tuple[str, ...]


Answer = dict[str, np.ndarray]


def as_array(result: Any) -> np.ndarray:
    """A model's answer as an ndarray (DataFrames and Series by their values)."""
    if isinstance(result, pd.DataFrame | pd.Series):
        return result.to_numpy()
    return np.asarray(result)


class ModelRunner:
    """A :class:`LoadedModel` behind the serving codecs."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self.layout = InputLayout(model.signature.inputs)
        self.outputs: tuple[str, ...] = (PREDICT,) + (
            (PREDICT_PROBA,) if model.has_predict_proba else ()
        )
        self.default_outputs: tuple[str, ...] = (PREDICT,)
        self.output_metadata: list[dict[str, Any]] = [
            {"name": name, "datatype": "BYTES", "shape": [-1]} for name in self.outputs
        ]
        self._calls = {PREDICT: model.predict}
        if model.has_predict_proba:
            self._calls[PREDICT_PROBA] = model.predict_proba

    def predict(self, batch: Batch, rows: int, outputs: Sequence[str]) -> Answer:
        """The named outputs for the rows in ``batch`` (one model call per output)."""
        data = self.layout.to_model(batch)
        answer: Answer = {}
        for name in outputs:
            array = as_array(self._calls[name](data))
            if array.ndim == 0 or array.shape[0] != rows:
                raise ValueError(
                    f"the model's {name} returned {array.shape} for {rows} row(s): expected one "
                    "answer per row"
                )
            answer[name] = array
        return answer

    def run_batch(self, jobs: Sequence[Job]) -> list[Answer | BaseException]:
        """Answers per job, computed in one call per output for the whole batch."""
        if len(jobs) == 1:
            job = jobs[0]
            try:
                return [self.predict(job.batch, job.rows, job.outputs)]
            except Exception as error:  # returned to the request that caused it
                return [error]
        wanted = tuple(dict.fromkeys(name for job in jobs for name in job.outputs))
        total = sum(job.rows for job in jobs)
        try:
            answer = self.predict(concat([job.batch for job in jobs]), total, wanted)
        except Exception:  # find which request fails by running each alone
            return [self.run_batch([job])[0] for job in jobs]
        out: list[Answer | BaseException] = []
        start = 0
        for job in jobs:
            end = start + job.rows
            out.append({name: answer[name][start:end] for name in job.outputs})
            start = end
        return out

    def warm(self) -> None:
        """One prediction on the input example (else a zero row), recording output metadata.

        Run before the version takes traffic: first calls pay for lazy initialisation.
        """
        batch = self._example_batch()
        rows = self.layout.rows(batch)
        answer = self.predict(batch, rows, self.outputs)
        self.output_metadata = [
            {
                "name": name,
                "datatype": oip_datatype(array.dtype),
                "shape": [-1, *array.shape[1:]],
            }
            for name, array in answer.items()
        ]

    def _example_batch(self) -> Batch:
        example = None
        try:
            example = self.model.input_example
        except Exception:  # an unreadable example: warm on zeros instead
            example = None
        if example is None:
            return self.layout.zero_batch()
        try:
            return self._example_as_batch(example)
        except Exception:  # an example that no longer fits: zeros
            return self.layout.zero_batch()

    def _example_as_batch(self, example: Any) -> Batch:
        layout = self.layout
        if isinstance(example, pd.DataFrame):
            return {
                slot.name: layout.values(slot, example[slot.name].to_numpy())
                for slot in layout.slots.values()
            }
        if isinstance(example, dict):
            return {
                slot.name: layout.values(slot, np.asarray(example[slot.name]))
                for slot in layout.slots.values()
            }
        array = np.asarray(example)
        if layout.kind == "columns":
            return layout.split_matrix(array, "input_example")
        slot = layout.slots[layout.names[0]]
        return {slot.name: layout.values(slot, array)}

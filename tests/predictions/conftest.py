"""Records for the prediction-log tests: IDs made at chosen times, in order."""

from __future__ import annotations

import pytest

from mlsteward.domain.prediction_ids import PredictionIdGenerator
from mlsteward.domain.predictions import PredictionRecord

from .records import T0, MakeRecord


@pytest.fixture
def make_record() -> MakeRecord:
    ids = PredictionIdGenerator()

    def make(
        time_ms: int = T0,
        deployment: str = "churn",
        status: int = 200,
        inputs: dict[str, list[object]] | None = None,
        version: int = 1,
    ) -> PredictionRecord:
        return PredictionRecord(
            prediction_id=ids.new(time_ms),
            deployment=deployment,
            model_name="churn",
            model_version=version,
            route="stable",
            time_ms=time_ms,
            latency_ms=1.5,
            rows=1,
            inputs={"x": [1.0], "city": ["Oslo"]} if inputs is None else inputs,
            outputs={"y": [1]},
            status=status,
            error="boom" if status >= 500 else None,
        )

    return make

"""The prediction log's JSON text of numeric arrays formatted by Arrow reads back exactly as
the stdlib's text of ``tolist()`` does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlsteward.domain.prediction_ids import new_prediction_id
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import PredictionLogReader, PredictionLogWriter
from mlsteward.storage.prediction_log._json_text import (
    MIN_ARROW_VALUES,
    columns_json,
    columns_texts,
)

RNG = np.random.default_rng(11)
EDGES = [0.0, -0.0, 1.0, -3.0, 0.1, 1e16, 1e-7, 2.5e-300, 1.7976931348623157e308, 123456789.0]


def _arrays() -> dict[str, np.ndarray]:
    floats = np.concatenate([RNG.normal(size=600) * 10.0 ** RNG.integers(-30, 30, 600), EDGES])
    return {
        "f64": floats,
        "f32_matrix": RNG.normal(size=(50, 20)).astype(np.float32),
        "f16": RNG.normal(size=400).astype(np.float16),
        "integral_floats": np.arange(-300, 300, dtype=np.float64),
        "i64": RNG.integers(-(2**63), 2**63 - 1, size=(30, 10), dtype=np.int64),
        "u64": RNG.integers(0, 2**64 - 1, size=300, dtype=np.uint64),
        "i8": RNG.integers(-128, 127, size=300, dtype=np.int8),
        "bools": RNG.random(size=(100, 3)) > 0.5,
        "small": RNG.normal(size=5),
    }


@pytest.mark.parametrize("name", list(_arrays()))
def test_arrow_text_reads_back_as_the_stdlib_text(name: str) -> None:
    array = _arrays()[name]
    assert name == "small" or array.size >= MIN_ARROW_VALUES
    text = columns_json({name: array, "other": [1, 2]})
    expected = json.loads(json.dumps({name: array.tolist(), "other": [1, 2]}))
    got = json.loads(text)
    assert got == expected
    # the same Python types too (a float stays a float, an integer an integer)
    flat_got = np.asarray(got[name], dtype=object).ravel().tolist()
    flat_expected = np.asarray(expected[name], dtype=object).ravel().tolist()
    assert [type(v) for v in flat_got] == [type(v) for v in flat_expected]


def test_a_flush_of_mixed_records_reads_back_record_by_record() -> None:
    records: list[dict[str, object]] = []
    for index in range(400):
        rows = int(RNG.integers(0, 4))
        record: dict[str, object] = {
            "input": RNG.normal(size=(rows, 3)).astype(np.float32),
            "flag": RNG.random(size=rows) > 0.5,
        }
        if index % 7 == 0:
            record["input"] = RNG.normal(size=(rows, 5))  # another width: another group
        if index % 11 == 0:
            record["note"] = ["text"] * rows  # not an array: the stdlib's path
        if index % 13 == 0:
            record = {"input": np.array([[np.nan, 1.0, 2.0]])}
        records.append(record)
    texts = columns_texts(records)
    for record, text in zip(records, texts, strict=True):
        plain = {
            name: value.tolist() if isinstance(value, np.ndarray) else value
            for name, value in record.items()
        }
        got, expected = json.loads(text), json.loads(json.dumps(plain))
        assert json.dumps(got) == json.dumps(expected)  # NaN compares equal as text


def test_non_finite_and_other_values_take_the_stdlib_path() -> None:
    values = np.full(MIN_ARROW_VALUES, 0.5)
    values[3] = np.nan
    values[4] = -np.inf
    text = columns_json({"x": values, "words": np.array(["a"] * 300, dtype=object)})
    got = json.loads(text)
    assert np.isnan(got["x"][3]) and got["x"][4] == -np.inf and got["words"] == ["a"] * 300
    cube = np.zeros((8, 8, 8))
    assert json.loads(columns_json({"cube": cube})) == {"cube": cube.tolist()}


def test_a_record_with_arrays_reads_back_as_with_lists(tmp_path: Path) -> None:
    arrays = _arrays()
    prediction_id = new_prediction_id()
    record = PredictionRecord(
        prediction_id=prediction_id,
        deployment="churn",
        model_name="churn",
        model_version=1,
        route="stable",
        time_ms=1,
        latency_ms=1.0,
        rows=50,
        inputs={"input": arrays["f32_matrix"]},  # type: ignore[dict-item]
        outputs={"label": arrays["integral_floats"]},  # type: ignore[dict-item]
    )
    with PredictionLogWriter(str(tmp_path)) as writer:
        assert writer.submit(record)
    found = PredictionLogReader(str(tmp_path)).get(prediction_id, "churn")
    assert found is not None
    assert found.inputs == {"input": arrays["f32_matrix"].tolist()}
    assert found.outputs == {"label": arrays["integral_floats"].tolist()}

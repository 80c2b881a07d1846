"""Inputs and outputs as tensors (name, datatype, shape, raw bytes): every kind of value reads
back as its JSON text did, numbers bit for bit; old (JSON text) and new files read together;
crafted tensors are refused, never reshaped."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.domain.prediction_ids import PredictionIdGenerator
from mlsteward.domain.predictions import PredictionRecord
from mlsteward.storage.prediction_log import (
    PREDICTION_SCHEMA,
    PredictionLogReader,
    PredictionLogWriter,
    column_values,
    record_of,
    rows_frame,
)
from mlsteward.storage.prediction_log._json_text import to_json
from mlsteward.storage.prediction_log._schema import parquet_options, predictions_table
from mlsteward.storage.prediction_log._tensors import DTYPES, decoded, decoded_lists

from .old_format import old_table, write_part
from .records import HOUR_MS, T0

RNG = np.random.default_rng(5)


def _record(
    ids: PredictionIdGenerator,
    inputs: dict[Any, Any],
    outputs: dict[Any, Any] | None = None,
    time_ms: int = T0,
    **extra: Any,
) -> PredictionRecord:
    return PredictionRecord(
        prediction_id=ids.new(time_ms),
        deployment="churn",
        model_name="churn",
        model_version=1,
        route="stable",
        time_ms=time_ms,
        latency_ms=0.5,
        rows=1,
        inputs=inputs,
        outputs={"y": [1]} if outputs is None else outputs,
        **extra,
    )


def _through_parquet(table: pa.Table) -> pa.Table:
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=1_024, **parquet_options())
    return pq.read_table(io.BytesIO(sink.getvalue()))


def _as_before(values: Any) -> Any:
    """What the JSON text columns gave back for ``values``."""
    return json.loads(to_json(values))


def _same(got: Any, expected: Any) -> None:
    """Equal values of equal Python types (JSON text tells 1 from 1.0 and NaN from NaN)."""
    assert json.dumps(got) == json.dumps(expected)


def _numeric(datatype: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype = DTYPES[datatype]
    if dtype.kind == "b":
        return RNG.random(shape) > 0.5
    if dtype.kind == "f":
        return (RNG.normal(size=shape) * 1e3).astype(dtype)
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("shape", [(7,), (4, 3), (0,), (0, 5), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("datatype", sorted(DTYPES))
def test_every_datatype_reads_back_bit_for_bit(datatype: str, shape: tuple[int, ...]) -> None:
    values = _numeric(datatype, shape)
    ids = PredictionIdGenerator()
    table = _through_parquet(predictions_table([_record(ids, {"x": values})]))
    (tensor,) = table.column("input_tensors")[0].as_py()
    assert (tensor["datatype"], tensor["shape"]) == (datatype, list(shape))
    assert tensor["data"] == values.astype(values.dtype.newbyteorder("<")).tobytes()
    array = decoded(tensor["datatype"], tensor["shape"], tensor["data"])
    assert array.dtype == values.dtype and array.tobytes() == values.tobytes()
    _same(record_of(table.to_pylist()[0]).inputs, {"x": _as_before(values)})


def test_non_finite_floats_keep_their_bits() -> None:
    specials = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    ids = PredictionIdGenerator()
    arrays = {}
    for bits in (16, 32, 64):
        info = np.finfo(f"<f{bits // 8}")
        extremes = [info.max, info.min, info.smallest_subnormal, info.eps]
        arrays[f"f{bits}"] = np.array(specials + extremes, dtype=info.dtype)
    table = _through_parquet(predictions_table([_record(ids, arrays)]))
    for tensor in table.column("input_tensors")[0].as_py():
        original = arrays[tensor["name"]]
        assert decoded(tensor["datatype"], tensor["shape"], tensor["data"]).tobytes() == (
            original.tobytes()
        )
    _same(record_of(table.to_pylist()[0]).inputs, _as_before(arrays))


#: name -> (values, the datatype stored)
VALUES: dict[str, tuple[Any, str]] = {
    "float list": ([0.5, -1.25, float("nan")], "FP64"),
    "int list": ([1, -2, 2**62], "INT64"),
    "bool list": ([True, False], "BOOL"),
    "float rows": ([[1.0, 2.0], [3.5, 4.0]], "FP64"),
    "tuple": ((1.0, 2.0), "FP64"),
    "mixed numbers": ([1, 2.5], "JSON"),
    "bool and int": ([True, 2], "JSON"),
    "int beyond int64": ([2**70, 1], "JSON"),
    "ragged rows": ([[1.0], [2.0, 3.0]], "JSON"),
    "nested three deep": ([[[1.0]]], "JSON"),
    "empty list": ([], "JSON"),
    "empty rows": ([[]], "JSON"),
    "text list": (["Oslo", "Bergen"], "JSON"),
    "text array": (np.array(["a", "bc"]), "JSON"),
    "object array": (np.array(["a", None, 3], dtype=object), "JSON"),
    "dates": (np.array(["2024-05-01", "2024-05-02"], dtype="datetime64[D]"), "JSON"),
    "complex": (np.array([1 + 2j]), "JSON"),
    "numpy scalar": (np.float64(3.0), "JSON"),
    "python scalar": (5, "JSON"),
    "mapping": ({"a": [1]}, "JSON"),
    "none": (None, "JSON"),
    "zero-d array": (np.array(1.5, dtype=np.float32), "FP32"),
    "big-endian": (np.arange(6, dtype=">i4").reshape(2, 3), "INT32"),
    "big-endian floats": (np.array([1.5, np.nan], dtype=">f8"), "FP64"),
    "strided": (np.arange(20.0).reshape(4, 5)[:, ::2], "FP64"),
    "fortran order": (np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)), "INT16"),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_any_value_reads_back_as_its_json_text_did(name: str) -> None:
    values, datatype = VALUES[name]
    ids = PredictionIdGenerator()
    table = _through_parquet(predictions_table([_record(ids, {name: values})]))
    (tensor,) = table.column("input_tensors")[0].as_py()
    assert tensor["datatype"] == datatype
    _same(record_of(table.to_pylist()[0]).inputs, {name: _as_before(values)})
    _same(column_values(table, "inputs"), [{name: _as_before(values)}])


def test_new_files_leave_the_json_columns_null() -> None:
    ids = PredictionIdGenerator()
    table = predictions_table([_record(ids, {"x": np.ones(3)})])
    assert table.schema == PREDICTION_SCHEMA
    assert table.column("inputs").null_count == table.column("outputs").null_count == 1
    assert table.column("shadow_of").to_pylist() == [None]


def test_names_that_are_not_text_are_stored_as_text() -> None:
    ids = PredictionIdGenerator()
    record = _record(ids, {1: [1.0], ("a", 2): ["x"]})  # a hostile (or careless) record
    table = _through_parquet(predictions_table([record]))
    assert record_of(table.to_pylist()[0]).inputs == {"1": [1.0], "('a', 2)": ["x"]}


def _varied_records(ids: PredictionIdGenerator) -> list[PredictionRecord]:
    """Requests of many shapes, in runs of alike ones and alone, as a log holds them."""
    records = []
    for index in range(240):
        rows = int(RNG.integers(1, 5))
        inputs: dict[str, Any] = {
            "x": RNG.normal(size=(rows, 3)).astype(np.float32),
            "age": RNG.integers(18, 80, size=rows),
            "flag": RNG.random(size=rows) > 0.5,
        }
        outputs: dict[str, Any] = {
            "predict": RNG.integers(0, 2, size=rows).astype(np.int8),
            "proba": RNG.random(size=(rows, 2)),
        }
        if index % 9 == 0:
            inputs["x"] = RNG.normal(size=(rows, 5))  # another width
        if index % 10 == 0:
            inputs["city"] = ["Oslo"] * rows  # text: JSON
        if index % 11 == 0:
            inputs = {"age": [int(v) for v in RNG.integers(0, 9, size=rows)]}  # a plain list
        if index % 13 == 0:
            inputs["age"] = np.array([], dtype=np.int64)  # no rows
        if index % 17 == 0:
            inputs["short"] = np.zeros(max(rows - 1, 0))  # shorter than the others
        if index % 19 == 0:
            outputs = {}
        if index % 23 == 0:
            inputs["age"] = np.array([np.nan, 2.0, np.inf][:rows] + [1.0] * (rows - 3))
        if index % 29 == 0:
            inputs["big"] = np.array([2**64 - 1] * rows, dtype=np.uint64)
        if index % 31 == 0:
            inputs["f16"] = np.ones(rows, dtype=np.float16) / 3
        if index % 37 == 0:
            outputs["code"] = np.arange(rows, dtype=np.uint16) + 60_000
        records.append(_record(ids, inputs, outputs, time_ms=T0 + index))
    return records


@pytest.mark.parametrize("column", ["inputs", "outputs"])
def test_rows_frame_is_the_frame_the_json_text_gives(column: str) -> None:
    records = _varied_records(PredictionIdGenerator())
    new = _through_parquet(predictions_table(records))
    old = _through_parquet(old_table(records))
    expected = rows_frame(old, column)
    got = rows_frame(new, column)
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) > len(records)  # many rows came from multi-row requests


def test_rows_frame_of_alike_requests_is_the_json_frame() -> None:
    ids = PredictionIdGenerator()
    records = [
        _record(
            ids,
            {"input-0": RNG.normal(size=(rows, 20)).astype(np.float32)},
            {
                "score": RNG.random(rows).astype(np.float32),
                "code": RNG.integers(0, 2**16, rows).astype(np.uint16),
                "label": RNG.integers(-9, 9, rows).astype(np.int8),
                "flag": RNG.random(rows) > 0.5,
                "half": RNG.random(rows).astype(np.float16),
            },
        )
        for rows in RNG.integers(1, 50, size=60)
    ]
    new, old = predictions_table(records), old_table(records)
    for column in ("inputs", "outputs"):
        pd.testing.assert_frame_equal(rows_frame(new, column), rows_frame(old, column))
    frame = rows_frame(new, "inputs")
    assert isinstance(frame["input-0"][0], list) and len(frame["input-0"][0]) == 20


def test_old_and_new_files_in_one_hour_read_together(tmp_path: Path) -> None:
    ids = PredictionIdGenerator()
    before = [_record(ids, {"x": [0.5 * i], "city": ["Oslo"]}, time_ms=T0 + i) for i in range(5)]
    after = [
        _record(ids, {"x": np.array([0.25 * i], dtype=np.float32)}, time_ms=T0 + 10 + i)
        for i in range(5)
    ]
    write_part(tmp_path, old_table(before))
    with PredictionLogWriter(str(tmp_path)) as writer:
        for record in after:
            assert writer.submit(record)
    reader = PredictionLogReader(str(tmp_path))
    assert reader.get(before[2].prediction_id) == before[2]
    found = reader.get(after[3].prediction_id, "churn")
    assert found is not None and found.inputs == {"x": [0.75]} and found.shadow_of is None
    table = reader.query("churn", T0, T0 + HOUR_MS)
    assert table.column("prediction_id").to_pylist() == [r.prediction_id for r in before + after]
    records = [record_of(row) for row in table.to_pylist()]
    assert [r.inputs for r in records] == [_as_before(r.inputs) for r in before + after]
    expected = rows_frame(old_table(before + after), "inputs")
    pd.testing.assert_frame_equal(rows_frame(table, "inputs"), expected)
    outputs = reader.query("churn", T0, T0 + HOUR_MS, columns=["prediction_id", "outputs"])
    assert outputs.column_names == ["prediction_id", "outputs", "output_tensors"]
    assert column_values(outputs, "outputs") == [{"y": [1]}] * 10


def test_shadow_of_is_kept() -> None:
    ids = PredictionIdGenerator()
    answered = _record(ids, {"x": [1.0]})
    shadow = _record(ids, {"x": [1.0]}, shadow_of=answered.prediction_id)
    table = _through_parquet(predictions_table([answered, shadow]))
    assert [record_of(row).shadow_of for row in table.to_pylist()] == [
        None,
        answered.prediction_id,
    ]


def _crafted(tmp_path: Path, tensor: dict[str, Any]) -> tuple[PredictionLogReader, str]:
    """A log file whose one record holds ``tensor``, as a hostile writer could make it."""
    ids = PredictionIdGenerator()
    record = _record(ids, {"x": [1.0]})
    table = predictions_table([record])
    position = table.schema.get_field_index("input_tensors")
    column = pa.array([[tensor]], type=PREDICTION_SCHEMA.field("input_tensors").type)
    write_part(tmp_path, table.set_column(position, "input_tensors", column))
    return PredictionLogReader(str(tmp_path)), record.prediction_id


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        ({"datatype": "FP32", "shape": [2**40, 2**40], "data": b"\0" * 8}, "needs"),
        ({"datatype": "FP64", "shape": [3], "data": b"\0" * 16}, "needs 24 bytes"),
        ({"datatype": "INT8", "shape": [2**62, 4], "data": b""}, "needs"),
        ({"datatype": "FP32", "shape": [-2, -2], "data": b"\0" * 16}, "sizes of 0 or more"),
        ({"datatype": "FP32", "shape": [1] * 40, "data": b"\0" * 4}, "at most"),
        ({"datatype": "FP128", "shape": [1], "data": b"\0" * 16}, "unknown datatype"),
        ({"datatype": "JSON", "shape": [1], "data": b"\xff["}, "not JSON"),
    ],
    ids=["huge", "short", "huge-empty", "negative", "dimensions", "datatype", "json"],
)
def test_crafted_tensors_are_refused(tmp_path: Path, tensor: dict[str, Any], message: str) -> None:
    reader, prediction_id = _crafted(tmp_path, {"name": "x", **tensor})
    with pytest.raises(ValueError, match=message):
        reader.get(prediction_id)
    table = reader.query("churn", T0, T0 + HOUR_MS)
    with pytest.raises(ValueError, match=message):
        rows_frame(table, "inputs")
    with pytest.raises(ValueError, match=message):
        decoded_lists(table.column("input_tensors"))

"""The request codecs without a server: every OIP datatype, name matching, refusals, and the
MLflow formats decoding to the same rows."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.signature import ColumnSpec, Schema, TensorSpec
from mlsteward.engines.serving.datatypes import DATATYPES, OIP_TO_NUMPY
from mlsteward.engines.serving.input_layout import InputLayout, concat
from mlsteward.engines.serving.mlflow_formats import decode_csv, decode_json, encode_predictions
from mlsteward.engines.serving.oip import decode_infer, encode_infer, output_tensor

VALUES: dict[str, list[Any]] = {
    "BOOL": [True, False, True, True],
    "UINT8": [0, 255, 7, 1],
    "UINT16": [0, 65535, 7, 1],
    "UINT32": [0, 4294967295, 7, 1],
    "UINT64": [0, 2**64 - 1, 7, 1],
    "INT8": [-128, 127, 0, 1],
    "INT16": [-32768, 32767, 0, 1],
    "INT32": [-(2**31), 2**31 - 1, 0, 1],
    "INT64": [-(2**63), 2**63 - 1, 0, 1],
    "FP16": [0.5, -1.25, 2.0, 0.0],
    "FP32": [0.5, -1.25, 3.140625, 0.0],
    "FP64": [0.1, -1e300, 3.141592653589793, 0.0],
    "BYTES": ["a", "", "naïve", "x y"],
}


def _tensor_layout(dtype: str, tail: tuple[int, ...] = (2,), name: str | None = "x") -> InputLayout:
    return InputLayout(Schema("tensors", tensors=(TensorSpec(name, dtype, (-1, *tail)),)))


COLUMNS = InputLayout(
    Schema(
        "columns",
        columns=(
            ColumnSpec("age", "int64"),
            ColumnSpec("income", "float64"),
            ColumnSpec("region", "string"),
        ),
    )
)


def _infer(layout: InputLayout, inputs: list[dict[str, Any]], **extra: Any) -> Any:
    body = json.loads(json.dumps({"inputs": inputs, **extra}))  # as it arrives on the wire
    return decode_infer(body, layout, ("predict", "predict_proba"))


@pytest.mark.parametrize("datatype", DATATYPES)
def test_every_datatype_round_trips(datatype: str) -> None:
    sig_dtype = "string" if datatype == "BYTES" else OIP_TO_NUMPY[datatype].name
    layout = _tensor_layout(sig_dtype)
    values = VALUES[datatype]
    request = _infer(layout, [{"name": "x", "shape": [2, 2], "datatype": datatype, "data": values}])
    array = request.batch["x"]
    assert request.rows == 2
    assert array.shape == (2, 2)
    assert array.dtype == OIP_TO_NUMPY[datatype]
    tensor = json.loads(json.dumps(output_tensor("out", array)))
    assert tensor == {"name": "out", "datatype": datatype, "shape": [2, 2], "data": values}


def test_nested_data_is_accepted_like_flat_data() -> None:
    layout = _tensor_layout("float32")
    flat = _infer(
        layout, [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]
    )
    nested = _infer(
        layout, [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]
    )
    assert np.array_equal(flat.batch["x"], nested.batch["x"])


def test_safe_casts_apply_and_unsafe_ones_are_refused() -> None:
    layout = _tensor_layout("float64")
    request = _infer(layout, [{"name": "x", "shape": [1, 2], "datatype": "INT32", "data": [1, 2]}])
    assert request.batch["x"].dtype == np.float64
    narrow = _tensor_layout("float32")
    with pytest.raises(InvalidArgumentError, match="FP64 -> FP32 could lose information"):
        _infer(narrow, [{"name": "x", "shape": [1, 2], "datatype": "FP64", "data": [1.0, 2.0]}])


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"datatype": "INT64", "data": [1.5, 2]}, "takes integers"),
        ({"datatype": "UINT8", "data": [300, 1]}, "outside UINT8's range"),
        ({"datatype": "FP32", "data": ["a", "b"]}, "takes numbers"),
        ({"datatype": "BOOL", "data": [1, 0]}, "true/false"),
        ({"datatype": "FP99", "data": [1, 2]}, "unknown datatype"),
        ({"datatype": "FP32", "data": [1, 2, 3]}, "holds 2 values, data has 3"),
        ({"datatype": "FP32", "data": [[1], [2, 3]]}, "not a regular array"),
        ({"datatype": "FP32", "data": [1, 2], "shape": [2]}, "expects"),
        ({"datatype": "FP32", "data": [1, 2], "shape": [-1, 2]}, "non-negative"),
    ],
)
def test_bad_tensors_are_refused(item: dict[str, Any], message: str) -> None:
    layout = _tensor_layout("int64" if item["datatype"] == "INT64" else "float64", (2,))
    if item["datatype"] in ("UINT8", "BOOL"):
        layout = _tensor_layout("uint8" if item["datatype"] == "UINT8" else "bool")
    tensor = {"name": "x", "shape": [1, 2], **item}
    with pytest.raises(InvalidArgumentError, match=message):
        _infer(layout, [tensor])


def test_named_inputs_map_to_columns_in_any_order() -> None:
    request = _infer(
        COLUMNS,
        [
            {"name": "region", "shape": [2], "datatype": "BYTES", "data": ["north", "east"]},
            {"name": "income", "shape": [2, 1], "datatype": "FP64", "data": [1.5, 2.5]},
            {"name": "age", "shape": [2], "datatype": "INT32", "data": [30, 40]},
        ],
    )
    assert list(request.batch) == ["region", "income", "age"]
    assert request.batch["age"].dtype == np.int64
    frame = COLUMNS.to_model(request.batch)
    assert list(frame.columns) == ["age", "income", "region"]
    assert frame["region"].tolist() == ["north", "east"]


def test_a_column_model_takes_one_matrix_of_its_width() -> None:
    layout = InputLayout(
        Schema("columns", columns=(ColumnSpec("a", "float64"), ColumnSpec("b", "float64")))
    )
    request = _infer(
        layout, [{"name": "x", "shape": [2, 2], "datatype": "FP64", "data": [1, 2, 3, 4]}]
    )
    assert request.batch["a"].tolist() == [1, 3]
    assert request.batch["b"].tolist() == [2, 4]
    with pytest.raises(InvalidArgumentError, match=r"\[N, 2\]"):
        _infer(layout, [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}])


def test_missing_extra_and_repeated_inputs_are_named() -> None:
    base = [
        {"name": "age", "shape": [1], "datatype": "INT64", "data": [3]},
        {"name": "income", "shape": [1], "datatype": "FP64", "data": [1.0]},
    ]
    with pytest.raises(InvalidArgumentError, match=r"missing input\(s\) \['region'\]"):
        _infer(COLUMNS, base)
    extra = [*base, {"name": "region", "shape": [1], "datatype": "BYTES", "data": ["n"]}]
    extra.append({"name": "zip", "shape": [1], "datatype": "INT64", "data": [1]})
    with pytest.raises(InvalidArgumentError, match=r"unknown input\(s\) \['zip'\]"):
        _infer(COLUMNS, extra)
    with pytest.raises(InvalidArgumentError, match="given twice"):
        _infer(COLUMNS, [*base, base[0]])


def test_row_counts_must_agree() -> None:
    with pytest.raises(InvalidArgumentError, match="different row counts"):
        _infer(
            COLUMNS,
            [
                {"name": "age", "shape": [2], "datatype": "INT64", "data": [3, 4]},
                {"name": "income", "shape": [1], "datatype": "FP64", "data": [1.0]},
                {"name": "region", "shape": [1], "datatype": "BYTES", "data": ["n"]},
            ],
        )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({}, "non-empty list"),
        ({"inputs": [{"shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}, "needs a 'name'"),
        ({"inputs": [{"name": "x", "shape": [1, 2], "data": [1, 2]}]}, "needs a 'datatype'"),
        ({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32"}]}, "needs 'data'"),
        ({"id": 3, "inputs": [1]}, "'id' must be a string"),
    ],
)
def test_malformed_requests_are_refused(body: Any, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        decode_infer(body, _tensor_layout("float32"), ("predict",))


def test_outputs_selection_and_id_echo() -> None:
    layout = _tensor_layout("float32")
    tensor = {"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}
    request = _infer(layout, [tensor], id="r-1", outputs=[{"name": "predict_proba"}])
    assert request.outputs == ("predict_proba",)
    with pytest.raises(InvalidArgumentError, match="unknown output 'score'"):
        _infer(layout, [tensor], outputs=[{"name": "score"}])
    body = encode_infer("clf", "3", {"predict": np.array([1])}, request_id="r-1", prediction_id="p")
    assert body["id"] == "r-1"
    assert body["model_version"] == "3"
    assert body["parameters"] == {"prediction_id": "p"}
    assert "id" not in encode_infer("clf", "3", {}, request_id=None, prediction_id="p")


def test_unnamed_tensor_takes_any_single_name() -> None:
    layout = _tensor_layout("float32", name=None)
    request = _infer(
        layout, [{"name": "whatever", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]
    )
    assert list(request.batch) == ["input"]


MLFLOW_BODIES = [
    {
        "dataframe_split": {
            "columns": ["age", "income", "region"],
            "data": [[30, 1.5, "n"], [40, 2, "e"]],
        }
    },
    {
        "dataframe_split": {
            "columns": ["region", "age", "income"],
            "data": [["n", 30, 1.5], ["e", 40, 2]],
        }
    },
    {
        "dataframe_records": [
            {"age": 30, "income": 1.5, "region": "n"},
            {"age": 40, "income": 2, "region": "e"},
        ]
    },
    {
        "instances": [
            {"age": 30, "income": 1.5, "region": "n"},
            {"age": 40, "income": 2, "region": "e"},
        ]
    },
    {"instances": [[30, 1.5, "n"], [40, 2, "e"]]},
    {"inputs": {"age": [30, 40], "income": [1.5, 2], "region": ["n", "e"]}},
    {"inputs": [[30, 1.5, "n"], [40, 2, "e"]], "params": {}},
]


@pytest.mark.parametrize("body", MLFLOW_BODIES)
def test_mlflow_json_formats_decode_to_the_same_rows(body: dict[str, Any]) -> None:
    batch = decode_json(json.loads(json.dumps(body)), COLUMNS)
    assert batch["age"].tolist() == [30, 40]
    assert batch["age"].dtype == np.int64
    assert batch["income"].tolist() == [1.5, 2.0]
    assert batch["region"].tolist() == ["n", "e"]


def test_mlflow_csv() -> None:
    batch = decode_csv("region,age,income\nn,30,1.5\ne,40,\n", COLUMNS)
    assert batch["age"].tolist() == [30, 40]
    assert batch["income"][0] == 1.5 and np.isnan(batch["income"][1])
    with pytest.raises(InvalidArgumentError, match="not a int64"):
        decode_csv("region,age,income\nn,thirty,1.5\n", COLUMNS)
    tensor = decode_csv("a,b\n1,2\n3,4\n", _tensor_layout("float32"))
    assert tensor["x"].tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"rows": []}, "exactly one of"),
        ({"inputs": [], "instances": []}, "exactly one of"),
        ({"dataframe_records": [{"age": 1, "income": 1.0}]}, r"missing input\(s\) \['region'\]"),
        ({"dataframe_split": {"columns": ["age"], "data": [[1, 2]]}}, "list of 1 values"),
        ({"instances": [[1, 2]]}, "must each have 3 values"),
        ({"inputs": {"age": [1.5], "income": [1.0], "region": ["n"]}}, "takes integers"),
    ],
)
def test_mlflow_mistakes_are_refused(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        decode_json(body, COLUMNS)


def test_predictions_body_and_batches() -> None:
    assert encode_predictions({"predict": np.array([1, 0])}, "p") == {
        "predictions": [1, 0],
        "prediction_id": "p",
    }
    one = {"x": np.ones((1, 2), np.float32)}
    two = {"x": np.zeros((2, 2), np.float32)}
    assert concat([one, two])["x"].shape == (3, 2)
    assert concat([one])["x"] is one["x"]


def test_named_columns_feed_a_tensor_model_in_the_order_given() -> None:
    layout = _tensor_layout("float32")
    records = {"dataframe_records": [{"b": 1.0, "a": 2.0}, {"b": 3.0, "a": 4.0}]}
    assert decode_json(records, layout)["x"].tolist() == [[1, 2], [3, 4]]
    with pytest.raises(InvalidArgumentError, match="takes numbers"):
        decode_json({"inputs": {"a": ["x"], "b": [1.0]}}, layout)

"""Signature inference and the compiled input plan: casts, fast path, error messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.engines.models.input_plan import cast_verdict, compile_plan
from mlsteward.engines.models.signature import Schema, infer_schema
from mlsteward.models import Signature, SignatureMismatchError, infer_signature


def test_infer_signature_from_frame_array_and_dict() -> None:
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0],
            "b": np.array([1, 2], dtype=np.int32),
            "c": ["x", "y"],
            "d": pd.Categorical(["u", "v"]),
        }
    )
    signature = infer_signature(frame, np.array([0, 1]))
    assert [(c.name, c.dtype) for c in signature.inputs.columns] == [
        ("a", "float64"),
        ("b", "int32"),
        ("c", "string"),
        ("d", "category"),
    ]
    assert signature.outputs is not None and signature.outputs.tensors[0].shape == (-1,)
    tensor = infer_schema(np.zeros((3, 4, 5), dtype=np.float32)).tensors[0]
    assert (tensor.name, tensor.dtype, tensor.shape) == (None, "float32", (-1, 4, 5))
    named = infer_schema({"ids": np.zeros((2, 7), dtype=np.int64), "mask": np.ones((2, 7))})
    assert named.kind == "tensors" and named.names() == ["ids", "mask"]
    assert infer_schema({"x": [1.0, 2.0], "y": [3, 4]}).kind == "columns"


def test_signature_round_trips_through_its_dict_form() -> None:
    signature = infer_signature(pd.DataFrame({"a": [1.0]}), np.zeros((1, 2), dtype=np.float32))
    assert Signature.from_dict(signature.to_dict()) == signature


@pytest.mark.parametrize(
    ("source", "target", "verdict"),
    [
        ("int32", "int64", "cast"),
        ("int64", "float64", "cast"),
        ("bool", "int64", "cast"),
        ("float32", "float64", "cast"),
        ("float64", "float32", "unsafe"),
        ("float64", "int64", "unsafe"),
        ("string", "float64", "unsafe"),
        ("float64", "string", "unsafe"),
        ("string", "category", "cast"),
        ("object", "string", "same"),
        ("datetime64[us]", "datetime64[ns]", "cast"),
        ("float64", "float64", "same"),
    ],
)
def test_cast_rules(source: str, target: str, verdict: str) -> None:
    assert cast_verdict(source, target) == verdict


def test_fast_paths_return_the_input_itself() -> None:
    array = np.zeros((1, 20))
    plan = compile_plan(infer_schema(array), "array")
    assert plan(array) is array
    frame = pd.DataFrame(np.zeros((1, 3)), columns=["a", "b", "c"])
    frame_plan = compile_plan(infer_schema(frame), "frame")
    assert frame_plan(frame) is frame
    reordered = frame[["c", "a", "b"]]
    assert list(frame_plan(reordered).columns) == ["a", "b", "c"]


def test_columns_to_array_for_models_fitted_without_names() -> None:
    plan = compile_plan(infer_schema(pd.DataFrame({"a": [1.0], "b": [2.0]})), "array")
    out = plan({"b": [4.0], "a": [3.0]})
    assert isinstance(out, np.ndarray) and out.tolist() == [[3.0, 4.0]]


def test_plan_errors_name_the_problem() -> None:
    plan = compile_plan(infer_schema(pd.DataFrame({"a": [1.0], "b": [2.0]})), "frame")
    with pytest.raises(SignatureMismatchError, match="missing column 'b'"):
        plan({"a": [1.0]})
    with pytest.raises(SignatureMismatchError, match="2 columns"):
        plan(np.zeros((1, 3)))
    tensors = compile_plan(
        infer_schema({"ids": np.zeros((1, 3), dtype=np.int64), "m": np.zeros((1, 3))}), "any"
    )
    with pytest.raises(SignatureMismatchError, match="tensor 'm'"):
        tensors({"ids": np.zeros((1, 3), dtype=np.int64)})
    with pytest.raises(SignatureMismatchError, match=r"'ids'.*float64"):
        tensors({"ids": np.zeros((1, 3)), "m": np.zeros((1, 3))})
    frame_into_tensor = compile_plan(infer_schema(np.zeros((1, 2))), "array")
    with pytest.raises(SignatureMismatchError, match="Column 'y'"):
        frame_into_tensor(pd.DataFrame({"x": [1.0], "y": ["text"]}))


def test_schema_from_unknown_dict_is_refused() -> None:
    with pytest.raises(Exception, match="Unknown schema type"):
        Schema.from_dict({"type": "graph"})

"""Which signature changes keep a deployment's callers working (a pure comparison)."""

from __future__ import annotations

from typing import Any

import pytest

from mlsteward.engines.models.signature import Signature
from mlsteward.engines.models.signature_compat import signature_differences, unchecked_outputs


def _columns(**dtypes: str) -> dict[str, Any]:
    return {"type": "columns", "columns": [{"name": n, "dtype": d} for n, d in dtypes.items()]}


def _tensors(*specs: tuple[str, str, list[int]]) -> dict[str, Any]:
    return {
        "type": "tensors",
        "tensors": [{"name": n, "dtype": d, "shape": s} for n, d, s in specs],
    }


def _sig(inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> Signature:
    return Signature.from_dict({"inputs": inputs, "outputs": outputs})


CURRENT = _sig(_columns(income="float32", tenure="int32", region="string"), _columns(label="int64"))


def test_the_same_signature_is_compatible() -> None:
    assert signature_differences(CURRENT, CURRENT) == []


def test_safe_widenings_and_reordering_are_compatible() -> None:
    candidate = _sig(
        _columns(region="string", tenure="int64", income="float64"), _columns(label="int64")
    )
    assert signature_differences(CURRENT, candidate) == []


def test_an_added_output_is_compatible() -> None:
    candidate = _sig(CURRENT.inputs.to_dict(), _columns(label="int64", score="float64"))
    assert signature_differences(CURRENT, candidate) == []


def test_every_difference_is_listed() -> None:
    candidate = _sig(
        _columns(income="int64", tenure="int32", age="float64"), _columns(label="float64")
    )
    differences = signature_differences(CURRENT, candidate)
    assert len(differences) == 4, differences
    text = "\n".join(differences)
    assert "missing input 'age'" in text
    assert "input 'region' is dropped" in text
    assert "input 'income' changes dtype float32 -> int64" in text
    assert "changed output: 'label' changes dtype int64 -> float64" in text


@pytest.mark.parametrize(
    ("old", "new"),
    [("float64", "float32"), ("int64", "int32"), ("string", "float64"), ("float64", "string")],
)
def test_narrowing_or_changing_an_input_dtype_is_refused(old: str, new: str) -> None:
    current = _sig(_columns(x=old))
    assert signature_differences(current, _sig(_columns(x=new))) == [
        f"input 'x' changes dtype {old} -> {new}, which is not a safe widening of what callers send"
    ]


def test_a_dropped_output_is_a_changed_output() -> None:
    candidate = _sig(CURRENT.inputs.to_dict(), _columns(score="float64"))
    assert signature_differences(CURRENT, candidate) == [
        "changed output: 'label' is no longer returned"
    ]


def test_an_output_widening_within_its_kind_is_compatible() -> None:
    current = _sig(_columns(x="float64"), _columns(p="float32", n="int32"))
    candidate = _sig(_columns(x="float64"), _columns(p="float64", n="int64"))
    assert signature_differences(current, candidate) == []


def test_switching_between_columns_and_tensors_is_refused() -> None:
    candidate = _sig(_tensors(("input", "float32", [-1, 3])))
    (difference,) = signature_differences(CURRENT, candidate)
    assert difference.startswith("inputs change from columns to tensors")


def test_tensor_shapes_may_loosen_but_not_change() -> None:
    current = _sig(_tensors(("pixels", "float32", [-1, 28, 28])))
    looser = _sig(_tensors(("pixels", "float32", [-1, -1, 28])))
    other = _sig(_tensors(("pixels", "float32", [-1, 32, 32])))
    assert signature_differences(current, looser) == []
    assert signature_differences(looser, current) == [
        "input 'pixels' changes shape [-1, -1, 28] -> [-1, 28, 28], which callers' arrays "
        "do not fit"
    ]
    assert len(signature_differences(current, other)) == 1


def test_outputs_unknown_on_either_side_are_not_compared() -> None:
    without = _sig(CURRENT.inputs.to_dict())
    assert signature_differences(CURRENT, without) == []
    assert unchecked_outputs(CURRENT, without)
    assert not unchecked_outputs(without, CURRENT)

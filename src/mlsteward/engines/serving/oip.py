"""Open Inference Protocol V2 (REST, JSON): inference requests in, responses and metadata out.

A request names its inputs, each with a ``shape``, a ``datatype`` and ``data`` (flat in
row-major order, or nested); they are matched to the model's signature by name (a model with
columns also takes one ``[N, columns]`` tensor). ``outputs`` selects what to return;
``id`` is echoed. Everything malformed raises ``InvalidArgumentError`` (HTTP 400).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.serving.datatypes import oip_datatype
from mlsteward.engines.serving.input_layout import Batch, InputLayout


@dataclass(frozen=True)
class InferRequest:
    """A decoded inference request: the rows per model input and what to answer."""

    batch: Batch
    rows: int
    id: str | None = None
    outputs: tuple[str, ...] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message)


def _shape(value: Any, name: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value
    ):
        raise _bad(f"input {name!r}: shape must be a list of non-negative integers")
    if not value:
        raise _bad(f"input {name!r}: shape must have at least one dimension (the rows)")
    return value


def _parameters(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad(f"{where}: parameters must be an object")
    return value


def decode_infer(body: Any, layout: InputLayout, available: Sequence[str]) -> InferRequest:
    """An OIP inference request body (parsed JSON) for a model with ``layout``.

    ``available`` are the output names the model can answer (for ``outputs`` selection).
    """
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object with 'inputs'")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise _bad("'inputs' must be a non-empty list of tensors")
    request_id = body.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise _bad("'id' must be a string")
    parameters = _parameters(body.get("parameters"), "request")
    decoded: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise _bad(f"inputs[{index}] must be an object with name, shape, datatype and data")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise _bad(f"inputs[{index}] needs a 'name'")
        if name in decoded:
            raise _bad(f"input {name!r} is given twice")
        datatype = item.get("datatype")
        if not isinstance(datatype, str):
            raise _bad(f"input {name!r} needs a 'datatype'")
        if "data" not in item:
            raise _bad(f"input {name!r} needs 'data'")
        _parameters(item.get("parameters"), f"input {name!r}")
        decoded[name] = item
    batch = _match(decoded, layout)
    rows = layout.rows(batch)
    return InferRequest(
        batch=batch,
        rows=rows,
        id=request_id,
        outputs=_outputs(body.get("outputs"), available),
        parameters=parameters,
    )


def _match(decoded: Mapping[str, Mapping[str, Any]], layout: InputLayout) -> Batch:
    names = list(decoded)
    if layout.kind == "columns" and len(names) == 1 and names[0] not in layout.slots:
        item = decoded[names[0]]
        if len(layout.names) > 1 or len(_shape(item["shape"], names[0])) == 2:
            return _matrix(item, names[0], layout)
    layout.check_names(names)
    batch: Batch = {}
    for name, item in decoded.items():
        slot = layout.slot_named(name)
        shape = _shape(item["shape"], name)
        batch[slot.name] = layout.typed(slot, item["data"], item["datatype"], shape)
    return batch


def _matrix(item: Mapping[str, Any], name: str, layout: InputLayout) -> Batch:
    """One ``[N, columns]`` tensor for a model with columns: checked against every column."""
    shape = _shape(item["shape"], name)
    if len(shape) != 2 or shape[1] != len(layout.names):
        raise _bad(
            f"unknown input {name!r}: the model takes columns {layout.names} (as named inputs, "
            f"or one tensor of shape [N, {len(layout.names)}])"
        )
    datatype = item["datatype"]
    first = next(iter(layout.slots.values()))
    if any(slot.dtype != first.dtype for slot in layout.slots.values()):
        matrix = np.asarray(item["data"], dtype=object).reshape(shape)
        out: Batch = {}
        for index, slot in enumerate(layout.slots.values()):
            out[slot.name] = layout.typed(slot, matrix[:, index].tolist(), datatype, [shape[0]])
        return out
    array = layout.typed(replace(first, tail=(shape[1],)), item["data"], datatype, shape)
    return {slot.name: array[:, index] for index, slot in enumerate(layout.slots.values())}


def _outputs(value: Any, available: Sequence[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise _bad("'outputs' must be a non-empty list of {\"name\": ...} objects")
    names = []
    for index, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise _bad(f"outputs[{index}] needs a 'name'")
        if name not in available:
            raise _bad(f"unknown output {name!r}: the model answers {list(available)}")
        names.append(name)
    return tuple(dict.fromkeys(names))


def output_tensor(name: str, array: np.ndarray) -> dict[str, Any]:
    """One response tensor (data flattened in row-major order)."""
    return {
        "name": name,
        "datatype": oip_datatype(array.dtype),
        "shape": list(array.shape),
        "data": array.ravel().tolist(),
    }


def encode_infer(
    model_name: str,
    model_version: str,
    outputs: Mapping[str, np.ndarray],
    *,
    request_id: str | None,
    prediction_id: str,
) -> dict[str, Any]:
    """The response body: the selected outputs, the echoed ``id`` and the prediction ID."""
    body: dict[str, Any] = {"model_name": model_name, "model_version": model_version}
    if request_id is not None:
        body["id"] = request_id
    body["parameters"] = {"prediction_id": prediction_id}
    body["outputs"] = [output_tensor(name, array) for name, array in outputs.items()]
    return body


def model_metadata(
    name: str,
    versions: Sequence[str],
    platform: str,
    layout: InputLayout,
    outputs: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """``GET /v2/models/{name}``: versions, platform and the tensors' metadata."""
    return {
        "name": name,
        "versions": list(versions),
        "platform": platform,
        "inputs": layout.metadata(),
        "outputs": [dict(o) for o in outputs],
    }

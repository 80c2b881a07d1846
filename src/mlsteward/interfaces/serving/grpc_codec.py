"""Open Inference Protocol gRPC messages <-> the REST codec's request body and answers.

A ``ModelInferRequest`` becomes the same body a REST client posts (tensors as numpy arrays
instead of JSON lists), so :func:`mlsteward.engines.serving.oip.decode_infer` applies the same
checks: names against the signature, datatypes, shapes, ``outputs``. Values come from the
``InferTensorContents`` field of the tensor's datatype, or from ``raw_input_contents``
(little-endian, row-major; BYTES elements length-prefixed); a response answers in the form
the request used.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.serving.datatypes import OIP_TO_NUMPY, oip_datatype
from mlsteward.interfaces.serving import grpc_protocol as pb

#: datatype -> the InferTensorContents field holding it (FP16: raw bytes only)
CONTENTS_FIELD = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}
_FIELD_DTYPE = {
    "bool_contents": np.bool_,
    "int_contents": np.int32,
    "int64_contents": np.int64,
    "uint_contents": np.uint32,
    "uint64_contents": np.uint64,
    "fp32_contents": np.float32,
    "fp64_contents": np.float64,
}


def _bad(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(message)


def parameters_dict(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A protobuf ``map<string, InferParameter>`` as plain values."""
    out: dict[str, Any] = {}
    for key, value in parameters.items():
        which = value.WhichOneof("parameter_choice")
        out[key] = getattr(value, which) if which else None
    return out


def _text(values: Any, name: str) -> np.ndarray:
    try:
        return np.array([v.decode("utf-8") for v in values], dtype=object)
    except UnicodeDecodeError:
        raise _bad(f"input {name!r}: BYTES elements must be UTF-8 text") from None


def _typed_contents(tensor: Any) -> np.ndarray:
    name, datatype = tensor.name, tensor.datatype
    field = CONTENTS_FIELD.get(datatype)
    if field is None:
        if datatype == "FP16":
            raise _bad(f"input {name!r}: FP16 travels in raw_input_contents only")
        raise _bad(f"input {name!r}: unknown datatype {datatype!r}; one of {list(OIP_TO_NUMPY)}")
    contents = tensor.contents
    for other in set(_FIELD_DTYPE) | {"bytes_contents"}:
        if other != field and len(getattr(contents, other)):
            raise _bad(f"input {name!r}: {datatype} values belong in contents.{field}")
    values = getattr(contents, field)
    if field == "bytes_contents":
        return _text(values, name)
    return np.fromiter(values, dtype=_FIELD_DTYPE[field], count=len(values))


def _raw_bytes_elements(raw: bytes, name: str) -> np.ndarray:
    items = []
    offset = 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise _bad(f"input {name!r}: raw BYTES element without its 4-byte length")
        (size,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise _bad(f"input {name!r}: raw BYTES element runs past the end of the data")
        items.append(raw[offset : offset + size])
        offset += size
    return _text(items, name)


def _raw_contents(tensor: Any, raw: bytes) -> np.ndarray:
    name, datatype = tensor.name, tensor.datatype
    if datatype == "BYTES":
        return _raw_bytes_elements(raw, name)
    dtype = OIP_TO_NUMPY.get(datatype)
    if dtype is None:
        raise _bad(f"input {name!r}: unknown datatype {datatype!r}; one of {list(OIP_TO_NUMPY)}")
    little = dtype.newbyteorder("<")
    if len(raw) % little.itemsize:
        raise _bad(
            f"input {name!r}: {len(raw)} raw bytes are not a whole number of {datatype} values"
        )
    return np.frombuffer(raw, dtype=little).astype(dtype, copy=False)


def request_body(request: Any) -> tuple[dict[str, Any], bool]:
    """The REST-shaped body of a ``ModelInferRequest`` and whether it used raw contents."""
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise _bad(
            f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs: "
            "one per input, in order"
        )
    inputs = []
    for index, tensor in enumerate(request.inputs):
        if raw:
            if tensor.HasField("contents"):
                raise _bad(f"input {tensor.name!r}: give contents or raw_input_contents, not both")
            data = _raw_contents(tensor, raw[index])
        else:
            data = _typed_contents(tensor)
        inputs.append(
            {
                "name": tensor.name,
                "datatype": tensor.datatype,
                "shape": list(tensor.shape),
                "data": data,
            }
        )
    body: dict[str, Any] = {"inputs": inputs}
    if request.id:
        body["id"] = request.id
    if request.parameters:
        body["parameters"] = parameters_dict(request.parameters)
    if request.outputs:
        body["outputs"] = [{"name": output.name} for output in request.outputs]
    return body, bool(raw)


def _raw_output(array: np.ndarray, datatype: str) -> bytes:
    if datatype != "BYTES":
        return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    parts = []
    for value in array.ravel():
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        parts.append(struct.pack("<I", len(data)))
        parts.append(data)
    return b"".join(parts)


def _fill_contents(contents: Any, array: np.ndarray, datatype: str) -> None:
    flat = array.ravel()
    if datatype == "BYTES":
        contents.bytes_contents.extend(
            v if isinstance(v, bytes) else str(v).encode("utf-8") for v in flat
        )
    else:
        getattr(contents, CONTENTS_FIELD[datatype]).extend(flat.tolist())


def infer_response(
    model_name: str,
    model_version: str,
    answer: Mapping[str, np.ndarray],
    *,
    request_id: str,
    prediction_id: str,
    raw: bool,
) -> Any:
    """The ``ModelInferResponse``: outputs, the echoed ``id``, the prediction ID."""
    response = pb.ModelInferResponse(
        model_name=model_name, model_version=model_version, id=request_id
    )
    response.parameters["prediction_id"].string_param = prediction_id
    for name, array in answer.items():
        datatype = oip_datatype(array.dtype)
        if datatype == "FP16" and not raw:  # no typed field for FP16: answer FP32
            array, datatype = array.astype(np.float32), "FP32"
        tensor = response.outputs.add(name=name, datatype=datatype, shape=list(array.shape))
        if raw:
            response.raw_output_contents.append(_raw_output(array, datatype))
        else:
            _fill_contents(tensor.contents, array, datatype)
    return response


def model_metadata_response(metadata: Mapping[str, Any]) -> Any:
    """A ``ModelMetadataResponse`` from the REST route's body."""
    response = pb.ModelMetadataResponse(
        name=metadata["name"], versions=metadata["versions"], platform=metadata["platform"]
    )
    for key in ("inputs", "outputs"):
        for tensor in metadata[key]:
            getattr(response, key).add(
                name=tensor["name"], datatype=tensor["datatype"], shape=tensor["shape"]
            )
    return response

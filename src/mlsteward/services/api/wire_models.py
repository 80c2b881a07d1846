"""The JSON wire format of the models operations (ONNX export), shared by server and SDK.

A parity sample travels as ``{"columns": {name: [values]}}`` (a DataFrame), ``{"records":
[{name: value}, ...]}`` or ``{"tensor": [[...], ...]}`` (a 2-D array). Values are JSON
numbers, strings, booleans or null; non-finite floats use the agreed strings (``"NaN"``,
``"Infinity"``, ``"-Infinity"``, see :mod:`wire`), dates their ISO text. The export record
goes back as ``ExportRecord.to_dict()`` plus ``stored_at``, with its measured floats
(parity differences, accuracy changes) encoded the same way. Free of FastAPI imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_serializer,
    model_validator,
)

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.models.input_example import normalize_example
from mlsteward.engines.models.onnx_record import ExportRecord
from mlsteward.engines.onnx_export.parity import DEFAULT_TOLERANCE
from mlsteward.services.api.wire import NON_FINITE, decode_float, encode_float
from mlsteward.services.models.export_service import ExportOutcome

SAMPLE_FORMS = ("columns", "records", "tensor")
#: Fields of the export record that hold measurements (floats that may be non-finite).
_MEASURED = ("parity", "quantization", "tolerance")


# -- values ------------------------------------------------------------------------------
def encode_value(value: Any) -> Any:
    """A JSON-safe copy of a scalar, list or dict of plain values."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return encode_float(value)
    if isinstance(value, np.generic):
        return encode_value(value.item())
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [encode_value(v) for v in value]
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, dt.date | dt.time | pd.Timestamp):
        return value.isoformat()
    raise InvalidArgumentError(
        f"Cannot send a {type(value).__name__} value in JSON; use numbers, text or booleans"
    )


def decode_measured(value: Any) -> Any:
    """Inverse of :func:`encode_value` for measurements: agreed strings become floats."""
    if isinstance(value, str) and value in NON_FINITE:
        return decode_float(value)
    if isinstance(value, Mapping):
        return {k: decode_measured(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_measured(v) for v in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def decode_column(values: Sequence[Any]) -> Any:
    """One column's values: numbers with agreed strings or nulls among them become float64."""
    if any(isinstance(v, str) and v in NON_FINITE for v in values) and all(
        v is None or _is_number(v) or (isinstance(v, str) and v in NON_FINITE) for v in values
    ):
        return np.array([np.nan if v is None else decode_float(v) for v in values])
    return list(values)


# -- samples -----------------------------------------------------------------------------
def encode_sample(sample: Any) -> dict[str, Any]:
    """A DataFrame (or dict of columns, or records) as columns; a 2-D array as a tensor."""
    data = normalize_example(sample)
    if isinstance(data, pd.DataFrame):
        names = [str(c) for c in data.columns]
        if len(set(names)) != len(names):
            raise InvalidArgumentError("sample has duplicate column names")
        return {
            "columns": {n: encode_value(data[c].tolist()) for n, c in zip(names, data, strict=True)}
        }
    if isinstance(data, np.ndarray):
        if data.dtype.kind == "f" and np.isfinite(data).all():
            return {"tensor": data.tolist()}
        return {"tensor": encode_value(data.tolist())}
    raise InvalidArgumentError(
        "Over HTTP a sample is a DataFrame, a dict of equal-length columns or a 2-D array"
    )


def _tensor(values: list[Any]) -> np.ndarray:
    def plain(value: Any) -> Any:
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, str) and value in NON_FINITE:
            return decode_float(value)
        return value

    try:
        array = np.asarray(plain(values))
    except ValueError as error:
        raise InvalidArgumentError(f"sample.tensor is not a rectangular array: {error}") from error
    if array.dtype.kind not in "biuf":
        raise InvalidArgumentError(
            "sample.tensor must hold numbers only; send text or mixed data as columns"
        )
    return array


def decode_sample(raw: Mapping[str, Any] | None) -> Any:
    """A request's sample as a DataFrame or array (None when absent)."""
    if raw is None:
        return None
    given = [form for form in SAMPLE_FORMS if raw.get(form) is not None]
    if len(given) != 1:
        raise InvalidArgumentError(
            f"sample needs exactly one of {', '.join(SAMPLE_FORMS)}; got {given or 'none'}"
        )
    if given[0] == "tensor":
        return _tensor(list(raw["tensor"]))
    if given[0] == "records":
        records = list(raw["records"])
        names = list(dict.fromkeys(k for record in records for k in record))
        columns = {n: [record.get(n) for record in records] for n in names}
    else:
        columns = {str(k): list(v) for k, v in raw["columns"].items()}
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InvalidArgumentError(f"sample columns must have equal lengths, got {lengths}")
    return pd.DataFrame({name: decode_column(values) for name, values in columns.items()})


def encode_targets(targets: Any) -> list[Any] | None:
    if targets is None:
        return None
    return list(encode_value(np.asarray(targets).ravel().tolist()))


def decode_targets(values: Sequence[Any] | None) -> np.ndarray | None:
    return None if values is None else np.asarray(decode_column(values))


# -- export records ----------------------------------------------------------------------
def encode_export(outcome: ExportOutcome) -> dict[str, Any]:
    raw = outcome.record.to_dict()
    for key in _MEASURED:
        raw[key] = encode_value(raw[key])
    return {**raw, "stored_at": outcome.stored_at}


def decode_export(raw: Mapping[str, Any]) -> ExportOutcome:
    data = dict(raw)
    stored_at = str(data.pop("stored_at", ""))
    for key in _MEASURED:
        if key in data:
            data[key] = decode_measured(data[key])
    return ExportOutcome(ExportRecord.from_dict(data), stored_at)


# -- request and response bodies ---------------------------------------------------------
class SampleIn(BaseModel):
    """Rows to check parity on: exactly one of ``columns``, ``records`` or ``tensor``."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, list[Any]] | None = None
    records: list[dict[str, Any]] | None = None
    tensor: list[Any] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        given = [f for f in SAMPLE_FORMS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of columns, records or tensor (got {given})")
        return self


class ExportOnnxRequest(BaseModel):
    # No docstring: it would become the schema's description. The SDK builds this body with
    # the sample and targets as Python data (a DataFrame, arrays); the serializers below
    # write them in their wire form when the body is sent.

    model_config = ConfigDict(extra="forbid")

    model_uri: str
    quantize: StrictBool = False
    tolerance: StrictFloat | StrictInt = DEFAULT_TOLERANCE
    target_opset: StrictInt | None = None
    sample: SampleIn | None = None
    sample_targets: list[Any] | None = None

    @field_serializer("sample")
    def _sample_json(self, sample: Any) -> dict[str, Any] | None:
        if sample is None:
            return None
        if isinstance(sample, SampleIn):
            return sample.model_dump(exclude_none=True)
        return encode_sample(sample)

    @field_serializer("sample_targets")
    def _targets_json(self, targets: Any) -> list[Any] | None:
        return encode_targets(targets)


def parity_data(body: ExportOnnxRequest) -> tuple[Any, Any]:
    """The sample and targets of ``body`` as parity is measured on them: decoded from their
    wire form when the body was read from JSON, as given when it was built in-process."""
    if isinstance(body.sample, SampleIn):
        return decode_sample(body.sample.model_dump(exclude_none=True)), decode_targets(
            body.sample_targets
        )
    return body.sample, body.sample_targets


class ExportRecordOut(BaseModel):
    """``ExportRecord.to_dict()`` plus ``stored_at`` (``runs:/<run_id>/<model>/onnx``)."""

    model_config = ConfigDict(extra="allow")

    converter: str
    converter_version: str
    model_file: str
    parity: list[dict[str, Any]]
    parity_ok: bool
    tolerance: float | str
    quantized_file: str | None
    quantization: dict[str, Any] | None
    files: dict[str, dict[str, Any]]
    stored_at: str

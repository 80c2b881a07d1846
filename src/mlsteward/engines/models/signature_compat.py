"""Whether a model version can replace another behind the same endpoint, by their signatures.

Callers of a deployment send what the current version takes and read what it returns. A
candidate keeps them working when it takes the same inputs (a new input is one they do not
send; a dropped one is one the data plane would refuse as extra), each with the same dtype or
one the sent values widen to safely (``cast_verdict``: int32 -> int64, float32 -> float64),
and returns at least the current outputs, each with the same dtype or a widening of the same
kind (an integer label that turns into a float is a change callers see). Tensor inputs keep
their non-batch dimensions, except that a fixed size may become any size (``-1``).

:func:`signature_differences` lists each difference in words; an empty list means compatible.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlsteward.engines.models.input_plan import cast_verdict
from mlsteward.engines.models.signature import Schema, Signature

_NUMERIC_KINDS = {"bool": "b", "int": "i", "uint": "u", "float": "f"}


def signature_differences(current: Signature, candidate: Signature) -> list[str]:
    """What would break callers of ``current`` if ``candidate`` answered them instead."""
    found = _input_differences(current.inputs, candidate.inputs)
    if current.outputs is not None and candidate.outputs is not None:
        found += _output_differences(current.outputs, candidate.outputs)
    return found


def unchecked_outputs(current: Signature, candidate: Signature) -> bool:
    """Whether the outputs could not be compared (one side does not record them)."""
    return current.outputs is not None and candidate.outputs is None


def _specs(schema: Schema) -> dict[str, tuple[str, tuple[int, ...] | None]]:
    """Each name's dtype and, for tensors, shape."""
    if schema.kind == "columns":
        return {c.name: (c.dtype, None) for c in schema.columns}
    return {(t.name or "input"): (t.dtype, t.shape) for t in schema.tensors}


def _input_differences(current: Schema, candidate: Schema) -> list[str]:
    if current.kind != candidate.kind:
        return [
            f"inputs change from {current.kind} to {candidate.kind}: callers send "
            f"{current.kind} ({', '.join(current.names())})"
        ]
    sent, wanted = _specs(current), _specs(candidate)
    found = [
        f"missing input {name!r}: the new version requires it and callers do not send it"
        for name in wanted
        if name not in sent
    ]
    found += [
        f"input {name!r} is dropped: callers send it and the new version would refuse it"
        for name in sent
        if name not in wanted
    ]
    for name, (dtype, shape) in wanted.items():
        if name not in sent:
            continue
        old_dtype, old_shape = sent[name]
        if cast_verdict(old_dtype, dtype) == "unsafe":
            found.append(
                f"input {name!r} changes dtype {old_dtype} -> {dtype}, which is not a safe "
                "widening of what callers send"
            )
        if shape is not None and old_shape is not None and not _accepts(old_shape, shape):
            found.append(
                f"input {name!r} changes shape {list(old_shape)} -> {list(shape)}, which "
                "callers' arrays do not fit"
            )
    return found


def _accepts(sent: Sequence[int], wanted: Sequence[int]) -> bool:
    """Whether arrays of shape ``sent`` fit ``wanted`` (``-1``: any size)."""
    if len(sent) != len(wanted):
        return False
    return all(w == -1 or w == s for s, w in zip(sent, wanted, strict=True))


def _output_differences(current: Schema, candidate: Schema) -> list[str]:
    if current.kind != candidate.kind:
        return [f"outputs change from {current.kind} to {candidate.kind}"]
    returned, now = _specs(current), _specs(candidate)
    found = []
    for name, (dtype, shape) in returned.items():
        if name not in now:
            found.append(f"changed output: {name!r} is no longer returned")
            continue
        new_dtype, new_shape = now[name]
        if not _same_kind_widening(dtype, new_dtype):
            found.append(f"changed output: {name!r} changes dtype {dtype} -> {new_dtype}")
        if shape is not None and new_shape is not None and list(shape) != list(new_shape):
            found.append(
                f"changed output: {name!r} changes shape {list(shape)} -> {list(new_shape)}"
            )
    return found


def _same_kind_widening(old: str, new: str) -> bool:
    """The same dtype, or a safe widening that stays an integer, float or boolean."""
    if old == new:
        return True
    old_kind, new_kind = _kind(old), _kind(new)
    if old_kind is None or old_kind != new_kind:
        return False
    return cast_verdict(old, new) != "unsafe"


def _kind(dtype: str) -> str | None:
    for prefix, kind in _NUMERIC_KINDS.items():
        if dtype.startswith(prefix):
            return kind
    return None

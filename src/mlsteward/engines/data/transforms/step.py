"""Recorded, replayable transform steps: a spec (name + JSON parameters) and a pure function.

A :class:`Step` is plain data, stored in a dataset version's lineage. Replaying the same steps
on the same input gives the same table, hence the same content hash; that is what
``rebuild`` checks. Steps that learn from data (a mean to impute, categories to one-hot
encode, target encodings) split into ``fit`` (learn a JSON-able *state* from one table) and
``transform`` (apply it). :func:`run_steps` fits each step on the output of the previous one
and returns the fitted steps; :func:`apply_fitted` applies fitted steps to other data (a
validation split, tomorrow's batch) without refitting, which is how leakage is avoided.

Each transform is a dataclass whose fields are its parameters, registered by name with
:func:`register_transform`; a step naming a column the table lacks fails before doing
anything, with :class:`MissingColumnError` naming the step and the column.
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pyarrow as pa

from mlsteward.engines.data.errors import StepError, require_columns

State = dict[str, Any]


@dataclass(frozen=True)
class Step:
    """What to do: a registered transform's name and its JSON-able parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            json.dumps(self.params, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StepError(f"step {self.name!r}: parameters must be JSON data: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(name=data["name"], params=dict(data.get("params") or {}))


@dataclass(frozen=True)
class FittedStep:
    """A step with what it learned when fitted, and the transform's code version."""

    step: Step
    state: State
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.step.to_dict(), "state": self.state, "version": self.version}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedStep:
        return cls(Step.from_dict(data), dict(data.get("state") or {}), int(data["version"]))


class Transform(ABC):
    """Base of transforms. Subclasses are dataclasses; their fields are the parameters."""

    #: Registered step name.
    name: ClassVar[str]
    #: Bumped when the transform's output for the same input changes.
    version: ClassVar[int] = 1

    @abstractmethod
    def columns_used(self) -> list[str]:
        """Input columns the step reads; checked before it runs."""

    def fit(self, table: pa.Table) -> State:
        """Learn what ``transform`` needs from ``table`` (nothing by default)."""
        return {}

    @abstractmethod
    def transform(self, table: pa.Table, state: State) -> pa.Table:
        """Apply the step with a fitted ``state``; must not modify ``table``."""

    def fit_transform(self, table: pa.Table) -> tuple[pa.Table, State]:
        """Fit on ``table`` and transform it (target encoding overrides this to stay
        out-of-fold on its own training rows)."""
        state = self.fit(table)
        return self.transform(table, state), state


_REGISTRY: dict[str, type[Transform]] = {}


def register_transform(cls: type[Transform]) -> type[Transform]:
    """Class decorator: make a transform available to :class:`Step` by its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def available_transforms() -> list[str]:
    """Names of every registered transform."""
    return sorted(_REGISTRY)


def build_transform(step: Step) -> Transform:
    """The transform object a step describes, with its parameters checked."""
    cls = _REGISTRY.get(step.name)
    if cls is None:
        raise StepError(
            f"unknown step {step.name!r} (available: {', '.join(available_transforms())})"
        )
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(step.params) - known)
    if unknown:
        raise StepError(
            f"step {step.name!r}: unknown parameter(s) {', '.join(unknown)} "
            f"(parameters: {', '.join(sorted(known))})"
        )
    try:
        return cls(**step.params)
    except TypeError as exc:
        raise StepError(f"step {step.name!r}: {exc}") from None


def _checked(transform: Transform, table: pa.Table, position: int) -> None:
    require_columns(
        transform.columns_used(),
        table.column_names,
        where=f"step {position} ({transform.name})",
    )


def run_steps(table: pa.Table, steps: Sequence[Step]) -> tuple[pa.Table, list[FittedStep]]:
    """Fit and apply ``steps`` in order; returns the result and the fitted steps."""
    fitted = []
    for position, step in enumerate(steps, start=1):
        transform = build_transform(step)
        _checked(transform, table, position)
        table, state = transform.fit_transform(table)
        fitted.append(FittedStep(step, state, transform.version))
    return table, fitted


def apply_fitted(table: pa.Table, fitted: Sequence[FittedStep]) -> pa.Table:
    """Apply already fitted steps (no refitting: nothing is learned from ``table``)."""
    for position, item in enumerate(fitted, start=1):
        transform = build_transform(item.step)
        if transform.version != item.version:
            raise StepError(
                f"step {position} ({item.step.name}) was fitted by version {item.version} "
                f"of the transform; this is version {transform.version}"
            )
        _checked(transform, table, position)
        table = transform.transform(table, item.state)
    return table


def replace_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table`` with column ``name`` replaced in place (same position), or appended."""
    index = table.schema.get_field_index(name)
    if index < 0:
        return table.append_column(name, values)
    return table.set_column(index, name, values)

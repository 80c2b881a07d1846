"""Derived versions: recorded transform steps and splits, each linked to its parent.

A derived version's lineage holds everything needed to recompute it: the steps (with what
they learned when fitted), the split specification and seed, and the code version. That is
what :mod:`.rebuild` replays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from mlsteward.domain.datasets import DatasetVersion, validate_dataset_name
from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.data import (
    Step,
    holdout_split,
    kfold,
    run_steps,
    take_split,
    time_split,
)
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.code_version import code_version
from mlsteward.services.data.register import Registered, register_batches
from mlsteward.services.data.versions import get_version, version_table

SPLIT_METHODS = ("holdout", "kfold", "time")


def as_steps(steps: Sequence[Step | Mapping[str, Any]]) -> list[Step]:
    """Steps from :class:`Step` objects or ``{"name": ..., "params": {...}}`` mappings."""
    out = []
    for step in steps:
        if isinstance(step, Step):
            out.append(step)
        elif isinstance(step, Mapping) and isinstance(step.get("name"), str):
            out.append(Step.from_dict(dict(step)))
        else:
            raise InvalidArgumentError(f"A step is Step(name, params) or a mapping, not {step!r}")
    if not out:
        raise InvalidArgumentError("A transform needs at least one step")
    return out


def apply_steps(table: pa.Table, steps: Sequence[Step]) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Run the steps; the fitted steps as recorded in lineage."""
    result, fitted = run_steps(table, steps)
    return result, [f.to_dict() for f in fitted]


def transform(
    ctx: ServiceContext,
    ref: str,
    steps: Sequence[Step | Mapping[str, Any]],
    output_name: str,
    description: str | None = None,
) -> Registered:
    """Apply ``steps`` to the version ``ref`` names and register the result as ``output_name``.

    A step naming a missing column fails before anything is written.
    """
    validate_dataset_name(output_name)
    parent = get_version(ctx, ref)
    chosen = as_steps(steps)
    result, fitted = apply_steps(version_table(ctx, parent), chosen)
    lineage = {"steps": fitted, "code": code_version(), "parent_ref": parent.ref}
    return register_batches(
        ctx,
        output_name,
        result,
        kind="transform",
        lineage=lineage,
        parents=[parent.dataset_version_id],
        description=description,
    )


# What each split method takes, and the type each option must have (client input is checked
# here, so an unknown or mistyped option is a 400, not an engine TypeError).
_SPLIT_OPTIONS: dict[str, dict[str, tuple[type, ...]]] = {
    "holdout": {"fractions": (Mapping, list), "seed": (int,), "stratify": (str,), "group": (str,)},
    "kfold": {"k": (int,), "seed": (int,), "stratify": (str,), "group": (str,)},
    "time": {"time": (str,), "cutoffs": (list,), "fractions": (Mapping, list)},
}


def _check_split_options(method: str, options: Mapping[str, Any]) -> None:
    allowed = _SPLIT_OPTIONS.get(method)
    if allowed is None:
        raise InvalidArgumentError(f"Unknown split method {method!r}; use one of {SPLIT_METHODS}")
    for name, value in options.items():
        if name not in allowed:
            raise InvalidArgumentError(
                f"Unknown option {name!r} for a {method} split; it takes {', '.join(allowed)}"
            )
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, allowed[name]):
            kinds = " or ".join("an object" if k is Mapping else k.__name__ for k in allowed[name])
            raise InvalidArgumentError(f"Split option {name!r} must be {kinds}, got {value!r}")
    fractions = options.get("fractions")
    if fractions is not None:
        pairs = fractions.items() if isinstance(fractions, Mapping) else fractions
        for pair in pairs:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise InvalidArgumentError("Split fractions are part names with shares")
            share = pair[1]
            if isinstance(share, bool) or not isinstance(share, int | float):
                raise InvalidArgumentError(f"Split fraction {pair[0]!r} must be a number")


def split_indices(table: pa.Table, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Part name -> row indices, for a recorded split specification."""
    method = spec.get("method", "holdout")
    options = {k: v for k, v in spec.items() if k != "method"}
    _check_split_options(method, options)
    options = {k: v for k, v in options.items() if v is not None}
    if isinstance(options.get("fractions"), list):
        # Recorded as pairs: lineage JSON sorts keys, and part order decides the split.
        options["fractions"] = {str(part): float(share) for part, share in options["fractions"]}
    if method == "holdout":
        return holdout_split(table, **options)
    if method == "time":
        return time_split(table, **options)
    if method == "kfold":
        parts: dict[str, Any] = {}
        for i, (train, held_out) in enumerate(kfold(table, **options)):
            parts[f"fold{i}-train"] = train
            parts[f"fold{i}-valid"] = held_out
        return parts
    raise InvalidArgumentError(f"Unknown split method {method!r}; use one of {SPLIT_METHODS}")


def split(
    ctx: ServiceContext,
    ref: str,
    *,
    method: str = "holdout",
    output_prefix: str | None = None,
    **options: Any,
) -> dict[str, DatasetVersion]:
    """Split the version into parts, each registered as ``<prefix>.<part>`` linked to it.

    ``options`` go to the engine's splitter (``fractions``, ``seed``, ``stratify``,
    ``group`` for holdout and kfold; ``time``, ``cutoffs`` for time splits; ``k``).
    """
    parent = get_version(ctx, ref)
    prefix = validate_dataset_name(output_prefix or parent.name)
    spec = {"method": method, **options}
    if isinstance(spec.get("fractions"), Mapping):
        spec["fractions"] = [[part, share] for part, share in spec["fractions"].items()]
    table = version_table(ctx, parent)
    parts = split_indices(table, spec)
    out: dict[str, DatasetVersion] = {}
    for part, indices in parts.items():
        lineage = {
            "split": {**spec, "part": part},
            "code": code_version(),
            "parent_ref": parent.ref,
        }
        registered = register_batches(
            ctx,
            f"{prefix}.{part}",
            take_split(table, indices),
            kind="split",
            lineage=lineage,
            parents=[parent.dataset_version_id],
        )
        out[part] = registered.version
    return out

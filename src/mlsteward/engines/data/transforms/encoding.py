"""Categorical encodings: one-hot and target encoding, both fitted without leakage.

Both learn from the table they are fitted on only. One-hot fixes its category list at fit
time, so a validation split gets exactly the training columns (unseen values fall in
``other``). Target encoding replaces each category by a smoothed mean of the target;
on its own training rows it is computed out-of-fold (each row's value comes from the other
folds), so no row sees its own target, and other tables use the full training mapping, with
the training mean for categories never seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.errors import StepError
from mlsteward.engines.data.transforms.cleaning import without_nan
from mlsteward.engines.data.transforms.step import (
    State,
    Transform,
    register_transform,
    replace_column,
)

OTHER = "__other__"


@register_transform
@dataclass
class OneHot(Transform):
    """One 0/1 column ``<column>=<value>`` per category (the ``max_categories`` most frequent;
    ties by value), plus ``<column>=__other__`` when some were left out."""

    name = "one_hot"
    column: str
    max_categories: int = 20
    drop_original: bool = True

    def columns_used(self) -> list[str]:
        return [self.column]

    def fit(self, table: pa.Table) -> State:
        counted = pc.value_counts(pc.drop_null(table.column(self.column)))
        values = counted.field("values").to_pylist()
        counts = counted.field("counts").to_pylist()
        ranked = sorted(zip(values, counts, strict=True), key=lambda vc: (-vc[1], str(vc[0])))
        kept = [v for v, _ in ranked[: self.max_categories]]
        return {"categories": kept, "other": len(ranked) > len(kept)}

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        column = table.column(self.column)
        categories = state["categories"]
        names = [f"{self.column}={value}" for value in categories]
        if state["other"]:
            names.append(f"{self.column}={OTHER}")
        clash = [n for n in names if n in table.column_names]
        if clash:
            raise StepError(f"one_hot: output column(s) already exist: {', '.join(clash)}")
        result = table.drop_columns([self.column]) if self.drop_original else table
        known = pa.array(categories, type=column.type) if categories else None
        for value, name in zip(categories, names, strict=False):
            flag = pc.fill_null(pc.equal(column, pa.scalar(value, column.type)), False)
            result = result.append_column(name, flag.cast(pa.int8()))
        if state["other"]:
            inside = pc.is_in(column, value_set=known) if known is not None else None
            outside = pc.invert(inside) if inside is not None else pc.is_valid(column)
            other = pc.and_(pc.fill_null(outside, False), pc.is_valid(column))
            result = result.append_column(names[-1], other.cast(pa.int8()))
        return result


def _encoding(
    categories: pa.ChunkedArray, target: np.ndarray, smoothing: float
) -> dict[Any, float]:
    """Smoothed target mean per category: (sum + m * prior) / (count + m)."""
    keep = ~np.isnan(target)
    prior = float(target[keep].mean()) if keep.any() else 0.0
    table = pa.table({"c": categories, "t": target}).filter(pa.array(keep))
    grouped = table.group_by("c", use_threads=False).aggregate([("t", "sum"), ("t", "count")])
    result = {}
    for key, total, count in zip(
        grouped["c"].to_pylist(),
        grouped["t_sum"].to_pylist(),
        grouped["t_count"].to_pylist(),
        strict=True,
    ):
        result[key] = (total + smoothing * prior) / (count + smoothing)
    return result


def _lookup(categories: pa.ChunkedArray, mapping: dict[Any, float], prior: float) -> np.ndarray:
    """Each row's encoding (``prior`` for categories the mapping has never seen)."""
    keys = list(mapping)
    codes = pc.index_in(categories, value_set=pa.array(keys, type=categories.type))
    table = np.append(np.array([mapping[k] for k in keys], dtype=np.float64), prior)
    positions = pc.fill_null(codes, len(keys)).to_numpy()
    return table[positions]


@register_transform
@dataclass
class TargetEncode(Transform):
    """Replace ``column`` (or add ``output``) by a smoothed mean of numeric/boolean ``target``.

    ``smoothing`` pulls rare categories toward the overall mean; ``folds`` and ``seed`` fix the
    out-of-fold assignment used on the fitting table itself.
    """

    name = "target_encode"
    column: str
    target: str
    output: str | None = None
    smoothing: float = 10.0
    folds: int = 5
    seed: int = 0

    def columns_used(self) -> list[str]:
        return [self.column, self.target]

    def _target(self, table: pa.Table) -> np.ndarray:
        column = without_nan(table.column(self.target))
        t = column.type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
            raise StepError(f"target_encode: target {self.target!r} is {t}, not numeric")
        return column.cast(pa.float64()).to_numpy()

    def fit(self, table: pa.Table) -> State:
        target = self._target(table)
        mapping = _encoding(table.column(self.column), target, self.smoothing)
        keep = ~np.isnan(target)
        prior = float(target[keep].mean()) if keep.any() else 0.0
        return {"prior": prior, "encoding": [[k, v] for k, v in mapping.items()]}

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        mapping = {k: v for k, v in state["encoding"]}
        encoded = _lookup(table.column(self.column), mapping, state["prior"])
        return replace_column(table, self.output or self.column, pa.array(encoded))

    def fit_transform(self, table: pa.Table) -> tuple[pa.Table, State]:
        if self.folds < 2:
            raise StepError("target_encode: folds must be at least 2")
        state = self.fit(table)
        target = self._target(table)
        categories = table.column(self.column)
        n = table.num_rows
        fold_of = np.random.default_rng(self.seed).permutation(n) % self.folds
        encoded = np.empty(n)
        for fold in range(self.folds):
            inside = fold_of == fold
            outside = ~inside
            mapping = _encoding(
                categories.filter(pa.array(outside)), target[outside], self.smoothing
            )
            known = target[outside][~np.isnan(target[outside])]
            prior = float(known.mean()) if len(known) else state["prior"]
            encoded[inside] = _lookup(categories.filter(pa.array(inside)), mapping, prior)
        return replace_column(table, self.output or self.column, pa.array(encoded)), state

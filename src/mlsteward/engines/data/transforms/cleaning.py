"""Cleaning steps: drop duplicates, impute, standardize spellings, clip outliers, cast.

Float NaN counts as missing everywhere (as in the canonical form). Every step returns a new
table and leaves its input untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlsteward.engines.data.arrow_errors import ARROW_CONVERSION_ERRORS
from mlsteward.engines.data.canonical import parse_type
from mlsteward.engines.data.errors import StepError
from mlsteward.engines.data.transforms.step import (
    State,
    Transform,
    register_transform,
    replace_column,
)


def without_nan(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The column with float NaN turned into missing values."""
    if pa.types.is_floating(column.type):
        return pc.if_else(pc.is_nan(column), pa.scalar(None, column.type), column)
    return column


def _is_numeric(data_type: pa.DataType) -> bool:
    return pa.types.is_integer(data_type) or pa.types.is_floating(data_type)


@register_transform
@dataclass
class DropDuplicates(Transform):
    """Drop repeated rows (compared on ``subset`` columns, all by default).

    ``keep``: ``first`` or ``last`` occurrence, or ``none`` to drop every repeated row.
    Surviving rows keep their original order.
    """

    name = "drop_duplicates"
    subset: list[str] | None = None
    keep: str = "first"

    def columns_used(self) -> list[str]:
        return list(self.subset or [])

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        if self.keep not in ("first", "last", "none"):
            raise StepError(f"drop_duplicates: keep must be first, last or none, not {self.keep!r}")
        keys = list(self.subset or table.column_names)
        marker = "__mlsteward_row__"
        indexed = table.select(keys).append_column(marker, pa.array(np.arange(table.num_rows)))
        grouped = indexed.group_by(keys, use_threads=False).aggregate(
            [(marker, "min"), (marker, "max"), (marker, "count")]
        )
        if self.keep == "none":
            once = pc.equal(grouped[f"{marker}_count"], 1)
            rows = grouped[f"{marker}_min"].filter(once)
        else:
            rows = grouped[f"{marker}_min" if self.keep == "first" else f"{marker}_max"]
        return table.take(pc.take(rows, pc.sort_indices(rows)))


@register_transform
@dataclass
class Impute(Transform):
    """Fill missing values of ``columns``.

    ``strategy``: ``mean`` or ``median`` (numbers), ``mode`` (most frequent; ties go to the
    smallest value), ``constant`` (``value``), or ``ffill``: carry the last earlier value
    forward in ``time`` order, within each ``by`` group (never from the future; rows before
    a group's first value stay missing). Integer columns filled with a fractional mean or
    median become floats.
    """

    name = "impute"
    columns: list[str]
    strategy: str = "mean"
    value: Any = None
    time: str | None = None
    by: list[str] | None = None

    def columns_used(self) -> list[str]:
        extra = ([self.time] if self.time else []) + list(self.by or [])
        return list(self.columns) + extra

    def fit(self, table: pa.Table) -> State:
        if self.strategy in ("ffill", "constant"):
            if self.strategy == "ffill" and not self.time:
                raise StepError("impute: strategy 'ffill' needs the 'time' column to order by")
            if self.strategy == "constant" and self.value is None:
                raise StepError("impute: strategy 'constant' needs a 'value'")
            return {}
        fills: dict[str, Any] = {}
        for name in self.columns:
            column = without_nan(table.column(name))
            if self.strategy in ("mean", "median"):
                if not _is_numeric(column.type):
                    raise StepError(
                        f"impute: {self.strategy} needs numbers; {name!r} is {column.type}"
                    )
                if self.strategy == "mean":
                    fill = pc.mean(column).as_py()
                else:
                    fill = pc.quantile(column, q=0.5, interpolation="linear")[0].as_py()
            elif self.strategy == "mode":
                counted = pc.value_counts(pc.drop_null(column))
                if len(counted) == 0:
                    fill = None
                else:
                    counts = counted.field("counts").to_numpy()
                    candidates = counted.field("values").filter(pa.array(counts == counts.max()))
                    fill = pc.min(candidates).as_py()
            else:
                raise StepError(
                    f"impute: unknown strategy {self.strategy!r} "
                    "(mean, median, mode, constant, ffill)"
                )
            fills[name] = fill
        return {"fill": fills}

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        if self.strategy == "ffill":
            return self._forward_fill(table)
        for name in self.columns:
            column = without_nan(table.column(name))
            fill = self.value if self.strategy == "constant" else state["fill"][name]
            if fill is None:
                continue
            if (
                pa.types.is_integer(column.type)
                and isinstance(fill, float)
                and not fill.is_integer()
            ):
                column = column.cast(pa.float64())
            table = replace_column(
                table, name, pc.fill_null(column, pa.scalar(fill).cast(column.type))
            )
        return table

    def _forward_fill(self, table: pa.Table) -> pa.Table:
        if self.time is None:
            raise StepError("impute: strategy 'ffill' needs the 'time' column to order by")
        keys = [*(self.by or []), self.time]
        order = pc.sort_indices(
            table.select(keys).append_column("__row__", pa.array(np.arange(table.num_rows))),
            sort_keys=[(k, "ascending", "at_end") for k in [*keys, "__row__"]],
        ).to_numpy()
        n = len(order)
        starts = np.zeros(n, dtype=bool)
        if n:
            starts[0] = True
        for key in self.by or []:
            values = table.column(key).take(pa.array(order)).to_numpy(zero_copy_only=False)
            changed = np.zeros(n, dtype=bool)
            changed[1:] = values[1:] != values[:-1]
            starts |= changed
        time_missing = table.column(self.time).is_null().to_numpy(zero_copy_only=False)[order]
        for name in self.columns:
            sorted_column = without_nan(table.column(name)).take(pa.array(order))
            present = sorted_column.is_valid().to_numpy(zero_copy_only=False) & ~time_missing
            # The latest earlier position (in sorted order) with a value, reset at each group.
            source = np.where(present | starts, np.arange(n), 0)
            source = np.maximum.accumulate(source) if n else source
            filled = sorted_column.take(pa.array(source))
            keep_own = pa.array(present | time_missing)
            filled = pc.if_else(keep_own, sorted_column, filled)
            inverse = np.empty(n, dtype=np.int64)
            inverse[order] = np.arange(n)
            table = replace_column(table, name, filled.take(pa.array(inverse)))
        return table


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


@register_transform
@dataclass
class StandardizeCategories(Transform):
    """Map spellings of the same category to one value, e.g. USA / U.S. -> United States.

    ``mapping`` maps each variant to its standard value. With ``normalize`` (default),
    variants match ignoring case and surrounding or repeated spaces. Values not in the
    mapping are kept (``unmapped="keep"``), made missing (``"null"``) or refused
    (``"error"``, listing them).
    """

    name = "standardize_categories"
    column: str
    mapping: dict[str, str]
    normalize: bool = True
    unmapped: str = "keep"

    def columns_used(self) -> list[str]:
        return [self.column]

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        key = _normalize if self.normalize else (lambda text: text)
        lookup = {key(variant): standard for variant, standard in self.mapping.items()}
        column = table.column(self.column)
        distinct = pc.unique(column).to_pylist()
        mapped: list[str | None] = []
        unknown = []
        for value in distinct:
            if value is None:
                mapped.append(None)
                continue
            found = lookup.get(key(str(value)))
            if found is None:
                unknown.append(value)
                found = None if self.unmapped == "null" else str(value)
            mapped.append(found)
        if unknown and self.unmapped == "error":
            raise StepError(
                f"standardize_categories: {len(unknown)} value(s) of {self.column!r} are not "
                f"in the mapping: {', '.join(map(repr, unknown[:10]))}"
            )
        positions = pc.index_in(column, value_set=pa.array(distinct, type=column.type))
        result = pa.array(mapped, type=pa.large_string()).take(positions)
        return replace_column(table, self.column, result)


@register_transform
@dataclass
class ClipOutliers(Transform):
    """Clip numbers into bounds learned at fit time (or given).

    ``method``: ``quantile`` (bounds are the ``lower_quantile`` / ``upper_quantile``),
    ``iqr`` (quartiles -/+ ``k`` times the interquartile range) or ``bounds`` (``lower``,
    ``upper``).
    """

    name = "clip_outliers"
    columns: list[str]
    method: str = "quantile"
    lower_quantile: float = 0.01
    upper_quantile: float = 0.99
    k: float = 1.5
    lower: float | None = None
    upper: float | None = None

    def columns_used(self) -> list[str]:
        return list(self.columns)

    def fit(self, table: pa.Table) -> State:
        bounds: dict[str, list[float | None]] = {}
        for name in self.columns:
            column = without_nan(table.column(name))
            if not _is_numeric(column.type):
                raise StepError(f"clip_outliers: {name!r} is {column.type}, not numbers")
            if self.method == "bounds":
                bounds[name] = [self.lower, self.upper]
                continue
            if self.method == "quantile":
                qs = [self.lower_quantile, self.upper_quantile]
            elif self.method == "iqr":
                qs = [0.25, 0.75]
            else:
                raise StepError(
                    f"clip_outliers: unknown method {self.method!r} (quantile, iqr, bounds)"
                )
            low, high = pc.quantile(column, q=qs, interpolation="linear").to_pylist()
            if self.method == "iqr" and low is not None and high is not None:
                spread = high - low
                low, high = low - self.k * spread, high + self.k * spread
            bounds[name] = [low, high]
        return {"bounds": bounds}

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        for name in self.columns:
            low, high = state["bounds"][name]
            column = without_nan(table.column(name))
            fractional = any(isinstance(b, float) and not b.is_integer() for b in (low, high))
            if pa.types.is_integer(column.type) and fractional:
                column = column.cast(pa.float64())
            if low is not None:
                column = pc.max_element_wise(column, pa.scalar(low).cast(column.type))
            if high is not None:
                column = pc.min_element_wise(column, pa.scalar(high).cast(column.type))
            table = replace_column(table, name, column)
        return table


@register_transform
@dataclass
class Cast(Transform):
    """Convert columns to other types, e.g. ``{"price": "float64", "day": "date"}``.

    Casts are safe: a value that does not convert (``"abc"`` to a number, 1.5 to an integer)
    fails the step with the column and the value named.
    """

    name = "cast"
    types: dict[str, str]

    def columns_used(self) -> list[str]:
        return list(self.types)

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        for name, type_name in self.types.items():
            try:
                target = parse_type(type_name)
            except ValueError as exc:
                raise StepError(f"cast: {exc}") from None
            column = table.column(name)
            try:
                converted = column.cast(target, safe=True)
            except ARROW_CONVERSION_ERRORS as exc:
                raise StepError(
                    f"cast: column {name!r} to {type_name}: {self._culprit(column, target) or exc}"
                ) from None
            table = replace_column(table, name, converted)
        return table

    @staticmethod
    def _culprit(column: pa.ChunkedArray, target: pa.DataType) -> str:
        for value in pc.unique(column).to_pylist():
            if value is None:
                continue
            try:
                pa.array([value], type=column.type).cast(target, safe=True)
            except ARROW_CONVERSION_ERRORS:
                return f"value {value!r} does not convert"
        return ""

"""Derived numeric features: ratios and log transforms."""

from __future__ import annotations

from dataclasses import dataclass

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


def _numbers(table: pa.Table, name: str, step: str) -> pa.ChunkedArray:
    column = without_nan(table.column(name))
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        raise StepError(f"{step}: column {name!r} is {column.type}, not numbers")
    return column.cast(pa.float64())


@register_transform
@dataclass
class Ratio(Transform):
    """``output = numerator / denominator`` as floats; a zero denominator gives a missing value."""

    name = "ratio"
    numerator: str
    denominator: str
    output: str

    def columns_used(self) -> list[str]:
        return [self.numerator, self.denominator]

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        top = _numbers(table, self.numerator, self.name)
        bottom = _numbers(table, self.denominator, self.name)
        zero = pc.equal(bottom, 0.0)
        ratio = pc.if_else(zero, pa.scalar(None, pa.float64()), pc.divide(top, bottom))
        return replace_column(table, self.output, ratio)


@register_transform
@dataclass
class LogTransform(Transform):
    """``log(x + offset)`` of each column (``offset`` 1 gives log1p, safe for zeros).

    Values at or below ``-offset`` have no logarithm: the step fails, saying how many and
    which. With ``suffix`` the result goes to ``<column><suffix>``, else it replaces the column.
    """

    name = "log_transform"
    columns: list[str]
    offset: float = 1.0
    suffix: str | None = None

    def columns_used(self) -> list[str]:
        return list(self.columns)

    def transform(self, table: pa.Table, state: State) -> pa.Table:
        for name in self.columns:
            shifted = pc.add(_numbers(table, name, self.name), self.offset)
            bad = pc.less_equal(shifted, 0.0)
            count = pc.sum(bad).as_py() or 0
            if count:
                example = pc.subtract(shifted.filter(bad), self.offset)[0].as_py()
                raise StepError(
                    f"log_transform: {count} value(s) of {name!r} are <= -offset "
                    f"({-self.offset}), e.g. {example}"
                )
            output = f"{name}{self.suffix}" if self.suffix else name
            table = replace_column(table, output, pc.ln(shifted))
        return table

"""Validate a table against a :class:`DataSchema` with pandera, reporting every failure.

The schema is translated into a pandera ``DataFrameSchema`` and run with ``lazy=True``, so
pandera collects all failure cases instead of stopping at the first. They are grouped per
(column, check) into :class:`CheckFailure` entries with the number of failing rows and a few
examples. ``mostly`` is applied afterwards: a column's value checks (and a row check) pass
when the failing share of present values is at most ``1 - mostly``; such tolerated failures
are still listed, marked ``tolerated``.

Tables are converted to pandas with nullable integer and boolean dtypes, so an integer column
with gaps stays ``integer`` instead of turning into floats.

Row-check expressions are data, not code: they are parsed by
:mod:`~mlsteward.engines.data.validation.row_expressions` and evaluated over the Arrow columns
by :mod:`~mlsteward.engines.data.validation.row_expression_evaluator`, never handed to pandas
or Python. All of them are checked against the table's columns before any is evaluated. Rows
where an expression is undefined (it involves a missing value) count as passing, as pandera
does for value checks; a column the schema declares but the table lacks reads as missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
from pandera.errors import SchemaErrors

from mlsteward.engines.data.canonical import canonicalize_table
from mlsteward.engines.data.errors import SchemaSpecError
from mlsteward.engines.data.validation.row_expression_evaluator import (
    check_row_expression,
    column_kind,
    evaluate_row_expression,
)
from mlsteward.engines.data.validation.row_expressions import Node, parse_row_expression
from mlsteward.engines.data.validation.schema import ColumnRule, DataSchema, RowCheck

RowCheckFunction = Callable[[pd.DataFrame], "pd.Series[bool]"]
#: Per expression row check (by its index in the schema): each row's value and whether the
#: value is undefined.
ExpressionResults = dict[int, tuple[np.ndarray, np.ndarray]]
_ROW_CHECKS: dict[str, RowCheckFunction] = {}
MAX_EXAMPLES = 5


def register_row_check(name: str) -> Callable[[RowCheckFunction], RowCheckFunction]:
    """Decorator: make a Python row check available to schemas as ``function: name``."""

    def add(function: RowCheckFunction) -> RowCheckFunction:
        _ROW_CHECKS[name] = function
        return function

    return add


@dataclass(frozen=True)
class CheckFailure:
    """One check that failed on one column (or on rows, when ``column`` is None)."""

    column: str | None
    check: str
    failing: int
    examples: list[Any]
    fraction: float | None = None
    tolerated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "check": self.check,
            "failing": self.failing,
            "fraction": self.fraction,
            "examples": self.examples,
            "tolerated": self.tolerated,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CheckFailure:
        """The failure :meth:`to_dict` described (a missing or malformed field raises)."""
        column, fraction, examples = raw["column"], raw.get("fraction"), raw["examples"]
        if not isinstance(examples, list):
            raise TypeError("a failure's examples must be a list")
        return cls(
            column=None if column is None else str(column),
            check=str(raw["check"]),
            failing=int(raw["failing"]),
            examples=list(examples),
            fraction=None if fraction is None else float(fraction),
            tolerated=bool(raw.get("tolerated", False)),
        )


@dataclass(frozen=True)
class ValidationReport:
    """Every failure found; ``ok`` when none is left after ``mostly`` tolerances."""

    rows: int
    failures: list[CheckFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(not f.tolerated for f in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "failures": [f.to_dict() for f in self.failures]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ValidationReport:
        """The report :meth:`to_dict` described (``ok`` follows from the failures)."""
        failures = raw.get("failures", [])
        if not isinstance(failures, list):
            raise TypeError("a report's failures must be a list")
        return cls(rows=int(raw["rows"]), failures=[CheckFailure.from_dict(f) for f in failures])


def to_validation_frame(table: pa.Table) -> pd.DataFrame:
    """The pandas frame validation runs on: canonical types, nullable ints and booleans,
    times in microseconds, dates as midnight timestamps."""
    return _frame(canonicalize_table(table))


def _frame(table: pa.Table) -> pd.DataFrame:
    """:func:`to_validation_frame` of a table already in canonical form (not copied again)."""
    columns = []
    for f, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_timestamp(f.type):
            column = column.cast(pa.timestamp("us", tz=f.type.tz))
        elif pa.types.is_date(f.type):
            column = column.cast(pa.timestamp("us"))
        columns.append(column)
    table = pa.Table.from_arrays(columns, names=table.column_names)
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return table.to_pandas(types_mapper=mapping.get)


def _text_dtype() -> Any:
    """The dtype text columns get in the validation frame (``str`` in pandas 3, ``object``
    before), so the type check follows the installed pandas."""
    return pa.array([], pa.large_string()).to_pandas().dtype


def _dtype(rule: ColumnRule, frame: pd.DataFrame) -> Any:
    if rule.type in (None,):
        return None
    if rule.type == "integer":
        return "Int64"
    if rule.type == "float":
        return "float64"
    if rule.type == "boolean":
        return "boolean"
    if rule.type == "string":
        return _text_dtype()
    tz = None
    dtype = frame[rule.name].dtype if rule.name in frame.columns else None
    if isinstance(dtype, pd.DatetimeTZDtype):
        tz = dtype.tz
    return pd.DatetimeTZDtype("us", tz) if tz is not None else "datetime64[us]"


def _bound(rule: ColumnRule, value: Any, frame: pd.DataFrame) -> Any:
    """A bound as the column's values compare: ISO text becomes a timestamp in its zone."""
    if rule.type not in ("datetime", "date") or not isinstance(value, str):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError):
        raise SchemaSpecError(
            f"column {rule.name!r}: bound {value!r} is not an ISO date or timestamp"
        ) from None
    dtype = frame[rule.name].dtype if rule.name in frame.columns else None
    if isinstance(dtype, pd.DatetimeTZDtype):
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def _column_schema(rule: ColumnRule, frame: pd.DataFrame) -> pandera.Column:
    checks = []
    if rule.min is not None:
        checks.append(pandera.Check.ge(_bound(rule, rule.min, frame)))
    if rule.max is not None:
        checks.append(pandera.Check.le(_bound(rule, rule.max, frame)))
    if rule.allowed is not None:
        checks.append(pandera.Check.isin(rule.allowed))
    if rule.regex is not None:
        pattern = rule.regex
        checks.append(
            pandera.Check(
                lambda series: series.astype(str).str.fullmatch(pattern),
                name=f"regex({pattern!r})",
            )
        )
    return pandera.Column(
        _dtype(rule, frame),
        checks=checks,
        nullable=rule.nullable,
        unique=rule.unique,
        required=rule.required,
        coerce=False,
        name=rule.name,
    )


def _row_check(check: RowCheck, result: tuple[np.ndarray, np.ndarray] | None) -> pandera.Check:
    if check.function is not None:
        if check.function not in _ROW_CHECKS:
            raise SchemaSpecError(
                f"row check {check.name!r}: no function registered as {check.function!r}"
            )
        function = _ROW_CHECKS[check.function]
    else:
        if result is None:
            raise SchemaSpecError(f"row check {check.name!r}: its expression was not evaluated")
        values, undefined = result

        def function(frame: pd.DataFrame) -> pd.Series:
            return pd.Series(pd.arrays.BooleanArray(values, undefined), index=frame.index)

    def checked(frame: pd.DataFrame) -> pd.Series:
        result = pd.Series(function(frame), index=frame.index)
        return result.astype("boolean").fillna(True).astype(bool)

    return pandera.Check(checked, name=check.name)


def build_pandera_schema(
    schema: DataSchema, frame: pd.DataFrame, expressions: ExpressionResults
) -> pandera.DataFrameSchema:
    """The pandera schema equivalent to ``schema`` (``frame`` fixes time-zone dtypes);
    expression row checks report the results of :func:`evaluate_expressions`."""
    return pandera.DataFrameSchema(
        columns={rule.name: _column_schema(rule, frame) for rule in schema.columns},
        checks=[
            _row_check(check, expressions.get(index))
            for index, check in enumerate(schema.row_checks)
        ],
        strict=schema.strict,
    )


def evaluate_expressions(schema: DataSchema, table: pa.Table) -> ExpressionResults:
    """Evaluate the schema's expression row checks over ``table`` (canonical form).

    Every expression is parsed again (a schema object may have been edited since it was
    built) and checked against the table's column names and kinds before any is evaluated,
    so a bad one is refused, with its position, before a row is read.
    """
    absent = [rule.name for rule in schema.columns if rule.name not in table.column_names]
    kinds = {f.name: column_kind(f.type) for f in table.schema}
    kinds.update({name: "null" for name in absent})
    parsed: dict[int, tuple[Node, str, str]] = {}
    for index, check in enumerate(schema.row_checks):
        if check.function is None:
            where = f"row check {check.name!r}"
            tree = parse_row_expression(check.expression, where=where)
            text = str(check.expression)
            check_row_expression(tree, text, kinds, where=where)
            parsed[index] = (tree, text, where)
    return {
        index: evaluate_row_expression(tree, text, table, absent=absent, where=where)
        for index, (tree, text, where) in parsed.items()
    }


def _example(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _mostly(schema: DataSchema, column: str | None, check: str) -> float:
    if column is None:
        for row_check in schema.row_checks:
            if row_check.name == check:
                return row_check.mostly
        return 1.0
    if check in ("dtype", "column_in_dataframe", "column_in_schema") or check.startswith("dtype("):
        return 1.0
    try:
        return schema.column(column).mostly
    except KeyError:
        return 1.0


def validate_table(table: pa.Table, schema: DataSchema) -> ValidationReport:
    """Check ``table`` against ``schema``; the report lists every failing check."""
    table = canonicalize_table(table)  # once: expressions and the frame both read this form
    expressions = evaluate_expressions(schema, table)
    frame = _frame(table)
    pandera_schema = build_pandera_schema(schema, frame, expressions)
    try:
        pandera_schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return ValidationReport(rows=len(frame))
    failures = _frame_failures(schema, frame, cases[cases["schema_context"] == "DataFrameSchema"])
    for (column, check), group in cases[cases["schema_context"] != "DataFrameSchema"].groupby(
        ["column", "check"], sort=False
    ):
        name, check_name = str(column), str(check)
        failing = len(group)
        present = int(frame[name].notna().sum()) if name in frame.columns else len(frame)
        if check_name == "not_nullable":
            present = len(frame)
        fraction = failing / present if present else None
        if check_name.startswith("dtype("):  # a wrong type fails the column as a whole
            failing, fraction = len(frame), 1.0
        mostly = _mostly(schema, name, check_name)
        tolerated = mostly < 1.0 and fraction is not None and fraction <= 1.0 - mostly
        examples = [_example(v) for v in group["failure_case"].head(MAX_EXAMPLES)]
        failures.append(CheckFailure(name, check_name, failing, examples, fraction, tolerated))
    return ValidationReport(rows=len(frame), failures=failures)


def _frame_failures(
    schema: DataSchema, frame: pd.DataFrame, cases: pd.DataFrame
) -> list[CheckFailure]:
    """Failures of table-level checks: absent or unexpected columns, and row checks.

    pandera lists a failing row check once per cell of each failing row; here it counts once
    per row, with row numbers as examples.
    """
    failures = []
    rows = len(frame)
    for check, group in cases.groupby("check", sort=False):
        check_name = str(check)
        if check_name in ("column_in_dataframe", "column_in_schema"):
            for column in group["failure_case"]:
                failures.append(CheckFailure(str(column), check_name, rows, [], 1.0))
            continue
        failing_rows = pd.unique(group["index"].dropna())
        fraction = len(failing_rows) / rows if rows else None
        mostly = _mostly(schema, None, check_name)
        tolerated = mostly < 1.0 and fraction is not None and fraction <= 1.0 - mostly
        examples = [_example(i) for i in failing_rows[:MAX_EXAMPLES]]
        if not len(failing_rows):  # the check itself raised; pandera reports the exception
            examples, fraction = [str(group["failure_case"].iloc[0])], 1.0
        failures.append(
            CheckFailure(None, check_name, len(failing_rows) or rows, examples, fraction, tolerated)
        )
    return failures

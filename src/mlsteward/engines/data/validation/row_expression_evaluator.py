"""Evaluate a parsed row-check expression over a table's columns, with NumPy, row by row.

The tree from :mod:`~mlsteward.engines.data.validation.row_expressions` is walked once per
table. Every operation checks the kinds of its operands first (number, text, true/false,
timestamp, ...), so a type mistake is refused with its position *before* any row is read: the
same walk runs on empty columns of the table's types (:func:`check_row_expression`), then on
the real columns (:func:`evaluate_row_expression`).

Missing values (null, or NaN in a float column) make a result *undefined*, as in SQL:
arithmetic, comparisons, ``in`` and functions other than ``isnull``/``notnull`` give undefined
when an input is missing, and so do results that are not numbers (``sqrt(-1)``, ``x % 0``,
``0 / 0``) and integer results beyond the signed 64-bit range (``a * b`` where the product
does not fit; see :mod:`~mlsteward.engines.data.validation.row_expression_integers`): such a
row gets no answer rather than a wrapped-around wrong one. ``and``/``or``/``not`` use
three-valued logic (``false and undefined`` is false, ``true or undefined`` is true). The
caller decides what undefined means for a row check.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa

from mlsteward.engines.data.validation import row_expression_integers as integers
from mlsteward.engines.data.validation.row_expression_values import (
    DATETIMES,
    DESCRIPTIONS,
    DTYPES,
    NUMBERS,
    Values,
    all_missing,
    column_kind,
    column_values,
    empty_values,
)
from mlsteward.engines.data.validation.row_expressions import (
    Binary,
    Call,
    Column,
    Compare,
    Literal,
    Logical,
    Node,
    RowExpressionError,
    Unary,
    ValueList,
    column_references,
)

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FLOAT_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "log10": np.log10,
}
#: Integer arithmetic: the result and the rows where it overflows (those become undefined).
_INTEGER_OPERATIONS: dict[
    str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
] = {
    "+": integers.add,
    "-": integers.subtract,
    "*": integers.multiply,
    "//": integers.floor_divide,
    "%": integers.remainder,
}
_FLOAT_OPERATIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "//": np.floor_divide,
    "%": np.remainder,
}


def check_row_expression(
    tree: Node, text: str, kinds: Mapping[str, str], *, where: str = ""
) -> None:
    """Refuse (with the position) unknown columns, kind mismatches (``age > 'x'``) and
    expressions that are not conditions, using the columns' kinds only."""
    columns = {name: partial(empty_values, kind) for name, kind in kinds.items()}
    _Evaluator(text, where, columns, 0).condition(tree)


def evaluate_row_expression(
    tree: Node,
    text: str,
    table: pa.Table,
    *,
    absent: Sequence[str] = (),
    where: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """``(value, undefined)`` per row of ``table``. Columns named in ``absent`` read as
    missing everywhere (a schema may declare a column the table lacks)."""
    kinds = {f.name: column_kind(f.type) for f in table.schema}
    kinds.update({name: "null" for name in absent if name not in kinds})
    check_row_expression(tree, text, kinds, where=where)
    names = table.column_names
    for reference in column_references(tree):
        if names.count(reference.name) > 1:
            reason = f"column {reference.name!r} appears more than once in the table"
            raise RowExpressionError(reason, text, reference.pos, where=where)
    rows = table.num_rows
    columns: dict[str, Callable[[], Values]] = {}  # converted only when the expression reads it
    for index, name in enumerate(names):
        columns[name] = partial(column_values, table.column(index))
    for name in kinds.keys() - set(names):
        columns[name] = partial(all_missing, "null", rows)
    result = _Evaluator(text, where, columns, rows).condition(tree)
    return result.data.astype(bool), result.null.copy()


def _literal_kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "float" if isinstance(value, float) else "string"


class _Evaluator:
    """One walk of the tree over ``rows`` rows; raises :class:`RowExpressionError`."""

    def __init__(
        self, text: str, where: str, columns: Mapping[str, Callable[[], Values]], rows: int
    ) -> None:
        self.text = text
        self.where = where
        self.columns = columns
        self.rows = rows
        self.cache: dict[str, Values] = {}

    def error(self, reason: str, position: int) -> RowExpressionError:
        return RowExpressionError(reason, self.text, position, where=self.where)

    def condition(self, tree: Node) -> Values:
        with np.errstate(all="ignore"):
            result = self.value(tree)
        if result.kind == "null":
            return self.missing("boolean")
        if result.kind != "boolean":
            start = len(self.text) - len(self.text.lstrip()) + 1
            raise self.error(
                "a row check must be true or false for each row, but this expression gives "
                f"{DESCRIPTIONS[result.kind]}",
                start,
            )
        return result

    # -- values --------------------------------------------------------------------------

    def missing(self, kind: str) -> Values:
        """Every row undefined."""
        return all_missing(kind, self.rows)

    def present(self, kind: str, data: np.ndarray, null: np.ndarray) -> Values:
        """A result whose NaN values count as missing."""
        if data.dtype.kind == "f":
            null = null | np.isnan(data)
        return Values(kind, data, null)

    def value(self, node: Node) -> Values:
        if isinstance(node, Literal):
            return self.literal(node.value)
        if isinstance(node, Column):
            return self.column(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.arithmetic(node)
        if isinstance(node, Logical):
            return self.logical(node)
        if isinstance(node, Compare):
            return self.compare(node)
        return self.call(node)

    def literal(self, value: object) -> Values:
        kind = _literal_kind(value)
        data = np.full(self.rows, value, dtype=DTYPES[kind])
        return Values(kind, data, np.zeros(self.rows, dtype=bool))

    def column(self, node: Column) -> Values:
        if node.name not in self.columns:
            names = sorted(self.columns)
            shown = ", ".join(map(repr, names[:20])) + (", ..." if len(names) > 20 else "")
            raise self.error(f"unknown column {node.name!r} (columns: {shown})", node.pos)
        if node.name not in self.cache:
            self.cache[node.name] = self.columns[node.name]()
        return self.cache[node.name]

    # -- operators -----------------------------------------------------------------------

    def require(self, values: Values, kinds: Sequence[str], what: str, position: int) -> None:
        if values.kind not in kinds and values.kind != "null":
            raise self.error(f"{what}, not {DESCRIPTIONS[values.kind]}", position)

    def unary(self, node: Unary) -> Values:
        operand = self.value(node.operand)
        if node.op in ("not", "~"):
            self.require(operand, ("boolean",), f"{node.op!r} needs true/false", node.pos)
            if operand.kind == "null":
                return self.missing("boolean")
            return Values("boolean", ~operand.data, operand.null)
        self.require(operand, NUMBERS, f"unary {node.op!r} needs a number", node.pos)
        if node.op == "+" or operand.kind == "null":
            return operand
        if operand.kind == "integer":
            data, overflow = integers.negative(operand.data)
            return Values("integer", data, operand.null | overflow)
        return Values(operand.kind, -operand.data, operand.null)

    def arithmetic(self, node: Binary) -> Values:
        left, right = self.value(node.left), self.value(node.right)
        what = f"{node.op!r} needs numbers on both sides"
        self.require(left, NUMBERS, what, node.pos)
        self.require(right, NUMBERS, what, node.pos)
        if "null" in (left.kind, right.kind):
            return self.missing("null")
        null = left.null | right.null
        a, b = left.data, right.data
        if node.op == "/" or node.op == "**":
            a, b = a.astype(np.float64), b.astype(np.float64)
            data = a / b if node.op == "/" else np.power(a, b)
            return self.present("float", data, null)
        if node.op in ("//", "%"):  # by zero: undefined
            zero = b == 0
            b, null = np.where(zero, 1, b), null | zero
        if left.kind == right.kind == "integer":
            data, overflow = _INTEGER_OPERATIONS[node.op](a, b)
            return Values("integer", data, null | overflow)
        return self.present("float", _FLOAT_OPERATIONS[node.op](a, b), null)

    def logical(self, node: Logical) -> Values:
        what = f"{node.op!r} needs true/false on both sides"
        result: Values | None = None
        for operand_node in node.operands:
            operand = self.value(operand_node)
            self.require(operand, ("boolean",), what, operand_node.pos)
            operand = Values("boolean", operand.data.astype(bool), operand.null)
            result = operand if result is None else _kleene(node.op, result, operand)
        if result is None:
            raise RuntimeError(f"the parser built {node.op!r} without operands")
        return result

    def compare(self, node: Compare) -> Values:
        result: Values | None = None
        left_node = node.operands[0]
        if isinstance(left_node, ValueList):
            raise RuntimeError("the parser put a list first in a comparison (lists come last)")
        left = self.value(left_node)
        for op, right_node, position in zip(
            node.ops, node.operands[1:], node.positions, strict=True
        ):
            if isinstance(right_node, ValueList):
                outcome = self.membership(op, left, right_node, position)
                right = left
            else:
                right = self.value(right_node)
                outcome = self.comparison(op, left_node, left, right_node, right, position)
            result = outcome if result is None else _kleene("and", result, outcome)
            left_node, left = right_node, right
        if result is None:
            raise RuntimeError("the parser built a comparison without operators")
        return result

    def comparison(
        self,
        op: str,
        left_node: Node | ValueList,
        left: Values,
        right_node: Node | ValueList,
        right: Values,
        position: int,
    ) -> Values:
        if left.kind in DATETIMES and isinstance(right_node, Literal):
            right = self.instant(right_node, left.kind)
        elif right.kind in DATETIMES and isinstance(left_node, Literal):
            left = self.instant(left_node, right.kind)
        if "null" in (left.kind, right.kind):
            return self.missing("boolean")
        if not _comparable(left.kind, right.kind):
            raise self.error(
                f"cannot compare {DESCRIPTIONS[left.kind]} with {DESCRIPTIONS[right.kind]}",
                position,
            )
        data = np.asarray(_COMPARE[op](left.data, right.data), dtype=bool)
        return Values("boolean", data, left.null | right.null)

    def membership(self, op: str, left: Values, items: ValueList, position: int) -> Values:
        if left.kind == "other":
            raise self.error(f"{op!r} cannot test {DESCRIPTIONS['other']}", position)
        wanted: list[Any] = []
        for item in items.items:
            if left.kind in DATETIMES and isinstance(item.value, str):
                wanted.append(self.instant_scalar(item))
                continue
            kind = _literal_kind(item.value)
            if left.kind != "null" and not _comparable(left.kind, kind):
                reason = f"{DESCRIPTIONS[left.kind]} cannot be {DESCRIPTIONS[kind]}"
                raise self.error(reason, item.pos)
            wanted.append(item.value)
        if left.kind == "null":
            return self.missing("boolean")
        if left.kind == "string":
            choices = set(wanted)
            data = np.fromiter((v in choices for v in left.data), dtype=bool, count=self.rows)
        else:
            dtype: Any = left.data.dtype
            if left.kind in NUMBERS:
                exact = left.kind == "integer" and all(type(v) is int for v in wanted)
                dtype = np.int64 if exact else np.float64
            data = np.isin(left.data, np.array(wanted, dtype=dtype))
        if op == "not in":
            data = ~data
        return Values("boolean", data, left.null)

    def instant_scalar(self, node: Literal) -> np.datetime64:
        """ISO text as a timestamp: an instant given with a zone is taken in UTC."""
        try:
            stamp = dt.datetime.fromisoformat(str(node.value))
        except ValueError:
            raise self.error(f"{node.value!r} is not an ISO date or timestamp", node.pos) from None
        if stamp.tzinfo is not None:
            try:  # '0001-01-01T00:00:00+01:00' is in year 0 in UTC: beyond datetime's range
                stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:
                reason = f"{node.value!r} is outside the years 1 to 9999 once taken in UTC"
                raise self.error(reason, node.pos) from None
        return np.datetime64(stamp, "us")

    def instant(self, node: Literal, kind: str) -> Values:
        """A text literal compared with a timestamp column, as that column's instant."""
        if not isinstance(node.value, str):
            return self.literal(node.value)
        value = self.instant_scalar(node)
        return Values(kind, np.full(self.rows, value), np.zeros(self.rows, dtype=bool))

    # -- functions -----------------------------------------------------------------------

    def call(self, node: Call) -> Values:
        args = [self.value(arg) for arg in node.args]
        name = node.name
        if name in ("isnull", "notnull"):
            null = args[0].null
            data = null.copy() if name == "isnull" else ~null
            return Values("boolean", data, np.zeros_like(null))
        if name in ("min", "max"):
            return self.extreme(node, args)
        first = args[0]
        if name in ("len", "lower", "upper"):
            self.require(first, ("string",), f"{name}() needs text", node.pos)
            if first.kind == "null":
                return self.missing("null")
            if name == "len":
                lengths = np.fromiter((len(v) for v in first.data), np.int64, count=self.rows)
                return Values("integer", lengths, first.null)
            method = str.lower if name == "lower" else str.upper
            data = np.fromiter((method(v) for v in first.data), dtype=object, count=self.rows)
            return Values("string", data, first.null)
        self.require(first, NUMBERS, f"{name}() needs a number", node.pos)
        if first.kind == "null":
            return self.missing("null")
        if name in _FLOAT_FUNCTIONS:
            data = _FLOAT_FUNCTIONS[name](first.data.astype(np.float64))
            return self.present("float", data, first.null)
        if name == "abs" and first.kind == "integer":
            data, overflow = integers.absolute(first.data)
            return Values("integer", data, first.null | overflow)
        if name == "abs":
            return self.present(first.kind, np.abs(first.data), first.null)
        if name == "round":
            return self.rounded(node, first)
        if first.kind == "integer":  # floor and ceil of an integer
            return first
        rounding = np.floor if name == "floor" else np.ceil
        return self.present("float", rounding(first.data), first.null)

    def rounded(self, node: Call, first: Values) -> Values:
        digits = 0
        if len(node.args) == 2:
            given = node.args[1]
            if not (isinstance(given, Literal) and type(given.value) is int):
                raise self.error("round()'s digits must be a whole number", given.pos)
            if not 0 <= given.value <= 15:
                raise self.error("round()'s digits must be between 0 and 15", given.pos)
            digits = given.value
        if first.kind == "integer":
            return first
        return self.present("float", np.round(first.data, digits), first.null)

    def extreme(self, node: Call, args: list[Values]) -> Values:
        kinds = {a.kind for a in args} - {"null"}
        family = _family(kinds)
        if family is None:
            described = " and ".join(sorted({DESCRIPTIONS[k] for k in kinds}))
            raise self.error(f"{node.name}() needs values of one kind, got {described}", node.pos)
        if family in ("other", "boolean"):
            raise self.error(f"{node.name}() needs numbers, text or timestamps", node.pos)
        kind = "integer" if kinds == {"integer"} else "float" if family == "number" else family
        if kind == "null" or len(kinds) < len({a.kind for a in args}):
            return self.missing(kind)  # an argument is a column without values
        combine = np.minimum if node.name == "min" else np.maximum
        data, null = args[0].data, args[0].null
        for arg in args[1:]:
            data, null = combine(data, arg.data), null | arg.null
        return self.present(kind, np.asarray(data), null)


def _family(kinds: set[str]) -> str | None:
    """What min/max compare: ``number``, one of the other kinds, or None when mixed."""
    if kinds <= set(NUMBERS):
        return "number" if kinds else "null"
    return next(iter(kinds)) if len(kinds) == 1 else None


def _comparable(left: str, right: str) -> bool:
    if left in NUMBERS and right in NUMBERS:
        return True
    return left == right and left != "other"


def _kleene(op: str, left: Values, right: Values) -> Values:
    """``and``/``or`` in three-valued logic: a known false (true) decides ``and`` (``or``)."""
    a, b = left.data.astype(bool), right.data.astype(bool)
    if op == "and":
        decided = (~left.null & ~a) | (~right.null & ~b)
        null = ~decided & (left.null | right.null)
        return Values("boolean", ~decided & ~null, null)
    decided = (~left.null & a) | (~right.null & b)
    null = ~decided & (left.null | right.null)
    return Values("boolean", decided, null)

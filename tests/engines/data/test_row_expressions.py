"""Row-check expressions: the whitelist grammar, its evaluation over Arrow columns, and every
refusal with its position (nothing is ever handed to Python or pandas to evaluate)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.engines.data import DataSchema, canonical, validate_table
from mlsteward.engines.data.canonical import canonicalize_table
from mlsteward.engines.data.validation import validate
from mlsteward.engines.data.validation.row_expression_evaluator import (
    check_row_expression,
    column_kind,
    evaluate_row_expression,
)
from mlsteward.engines.data.validation.row_expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NESTING,
    RowExpressionError,
    depth_of,
    parse_row_expression,
)
from mlsteward.engines.data.validation.schema import RowCheck
from mlsteward.engines.data.validation.validate import to_validation_frame

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@pytest.fixture(scope="module")
def table() -> pa.Table:
    """Complete data (no missing values), so pandas' eval is a fair reference."""
    rng = np.random.default_rng(11)
    n = 200
    return canonicalize_table(
        pa.table(
            {
                "age": rng.integers(-5, 130, n),
                "income": rng.normal(100, 80, n),
                "country": rng.choice(["FR", "DE", "US"], n),
                "flag": rng.random(n) > 0.5,
                "start": rng.normal(0, 1, n),
                "end": rng.normal(0, 1, n),
                "my col": rng.integers(0, 5, n),
                "seen": [
                    dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=int(d))
                    for d in rng.integers(0, 100, n)
                ],
            }
        )
    )


def _evaluate(expression: str, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    return evaluate_row_expression(parse_row_expression(expression), expression, table)


@pytest.mark.parametrize(
    "expression",
    [
        "age >= 0",
        "(income > 0) & (age < 120)",
        "end > start",
        "0 <= age < 120",
        "country == 'FR'",
        'country != "DE"',
        "country in ['FR', 'DE']",
        "country not in ['FR']",
        "~flag",
        "flag | (age > 3)",
        "age > 10 and income < 100 or flag",
        "not (age > 10)",
        "age % 7 == 3",
        "age // 7 >= 2",
        "age / 3 > 10.5",
        "-age < -10",
        "age ** 2 > 400",
        "2 ** -1 < age",
        "abs(income) > 50",
        "sqrt(abs(income)) > 5",
        "log(age + 10) > 3",
        "log10(age + 10) > 1",
        "exp(start) > 1",
        "`my col` > 2",
        "(age + `my col`) * 2 > 100",
        "income * 2 - 1 != 0",
        "age in [1, 2, 3, 50]",
        "age > 1e1",
        "seen >= '2024-02-01T00:00:00+00:00'",
    ],
)
def test_results_equal_what_pandas_eval_gave_on_complete_data(expression, table):
    values, undefined = _evaluate(expression, table)
    expected = to_validation_frame(table).eval(expression)
    assert not undefined.any()
    assert values.tolist() == pd.Series(expected).astype(bool).tolist()


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("floor(x) == 1", [True, True, False, None]),
        ("ceil(x) == 2", [True, True, False, None]),
        ("round(x) == 1", [True, False, False, None]),
        ("round(x, 1) == 1.5", [False, True, False, None]),
        ("min(x, n) == 1", [False, False, False, None]),
        ("max(x, n) > 4", [False, True, True, None]),
        ("len(s) == 2", [True, False, None, True]),
        ("lower(s) == 'ab'", [True, False, None, False]),
        ("upper(s) in ['AB', 'CD']", [True, False, None, True]),
        ("min(s, 'b') == 'ab'", [True, False, None, False]),
        ("isnull(x)", [False, False, False, True]),
        ("notnull(s)", [True, True, False, True]),
        ("when > '2024-01-02'", [False, True, None, True]),
        ("when < '2024-01-02T00:00:00+01:00'", [True, False, None, False]),
    ],
)
def test_functions_and_timestamps(expression, expected):
    table = pa.table(
        {
            "x": [1.2, 1.5, -0.5, None],
            "n": [2, 5, 7, 1],
            "s": ["ab", "xyz", None, "cd"],
            "when": [
                dt.datetime(2024, 1, 1),
                dt.datetime(2024, 1, 3),
                None,
                dt.datetime(2024, 2, 1),
            ],
        }
    )
    values, undefined = _evaluate(expression, table)
    got = [None if u else bool(v) for v, u in zip(values, undefined, strict=True)]
    assert got == expected


def test_missing_values_make_a_result_undefined_and_logic_is_three_valued():
    table = pa.table(
        {
            "i": pa.array([1, None, -1, None], pa.int64()),
            "f": [1.0, 2.0, None, float("nan")],
            "b": [True, None, False, None],
        }
    )
    cases = {
        "i > 0": [True, None, False, None],
        "f > 0": [True, True, None, None],
        "f / 0 > 0": [True, True, None, None],  # inf > 0; missing stays missing
        "i % 0 == 0": [None, None, None, None],  # not a number: undefined
        "sqrt(i) > 0": [True, None, None, None],  # sqrt(-1): undefined
        "b and i > 0": [True, None, False, None],
        "i > 0 or b": [True, None, False, None],
        "not b": [False, None, True, None],
        "b | true": [True, True, True, True],
        "b & false": [False, False, False, False],
        "isnull(i) or i > 0": [True, True, False, True],
        "notnull(f) and f > 0": [True, True, False, False],
        "i in [1]": [True, None, False, None],
    }
    for expression, expected in cases.items():
        values, undefined = _evaluate(expression, table)
        got = [None if u else bool(v) for v, u in zip(values, undefined, strict=True)]
        assert got == expected, expression


def test_undefined_rows_pass_and_a_declared_absent_column_reads_as_missing():
    table = pa.table({"x": [1.0, None, -1.0], "y": pa.array([1, None, 5], pa.int64())})
    schema = DataSchema.from_yaml(
        "columns:\n  x: {type: float}\n  y: {type: integer}\n"
        "  gone: {type: integer, required: false}\n"
        "row_checks:\n"
        "- {name: positive, expression: x > 0}\n"
        "- {name: small, expression: y < 3}\n"
        "- {name: absent, expression: gone > 0 and x > 100}\n"
    )
    report = validate_table(table, schema)
    assert [(f.check, f.examples) for f in report.failures] == [
        ("positive", [2]),
        ("small", [2]),
        ("absent", [0, 2]),  # undefined (gone) and false is false; row 1 undefined passes
    ]


@pytest.mark.parametrize(
    ("expression", "position", "message"),
    [
        ("a.__class__", 2, "attribute access"),
        ("a[0] > 1", 2, "indexing"),
        ("a > 1 and b[0]", 12, "indexing"),
        ("__import__('os')", 1, "'__'"),
        ("`a` > 1 and __x > 2", 13, "'__'"),
        ("lambda: 1", 1, "'lambda' is not allowed"),
        ("a if b else c", 3, "'if' is not allowed"),
        ("f'{a}' == 'x'", 1, "string prefixes"),
        ("a == 'x\\n'", 8, "backslash"),
        ("a \\\n > 1", 3, "backslash"),
        ("@threshold < a", 1, "'@'"),
        ("a = 1", 3, "assignment"),
        ("a > 1; b", 6, "';'"),
        ("getattr(a, 'x')", 1, "unknown function 'getattr'"),
        ("a.sum() > 0", 2, "attribute access"),
        ("(1).real", 4, "attribute access"),
        ("1.real > 0", 1, "malformed number"),
        ("0x10 > a", 1, "malformed number"),
        ("a > \u00b2", 5, "malformed number '\u00b2'"),  # isdigit() but not a decimal digit
        ("a > .\u00b2", 5, "malformed number '.\u00b2'"),
        ("a is None", 3, "'is' is not allowed"),
        ("a == null", 6, "isnull"),
        ("{a: 1}", 1, "'{'"),
        ("a > 'unterminated", 5, "unterminated string"),
        ("`a > 1", 1, "unterminated"),
        ("a > ", 5, "end of the expression"),
        ("a > 1 )", 7, "expected an operator"),
        ("(a > 1", 7, "expected ')'"),
        ("a not b", 7, "'in' after 'not'"),
        ("a in b", 6, "a list such as"),
        ("a in [b]", 7, "lists hold values only"),
        ("a in [1] == b", 10, "last operand"),
        ("min(a)", 1, "min() takes 2 or more argument(s), got 1"),
        ("abs(a, b)", 1, "abs() takes 1 argument(s), got 2"),
        ("`a`(1)", 4, "expected an operator"),
        ("a > 1 # comment", 7, "comments"),
        ("a $ b", 3, "unexpected character '$'"),
        ("99999999999999999999 > a", 1, "out of range"),
        ("9223372036854775808 > a", 1, "out of range (at most 2**63 - 1"),
        ("a in [1, -9223372036854775808]", 11, "out of range"),
        ("a > 1e999", 5, "out of range"),
    ],
)
def test_refused_forms_name_their_position(expression, position, message):
    with pytest.raises(RowExpressionError, match=re.escape(message)) as caught:
        parse_row_expression(expression, where="row check 'r'")
    error = caught.value
    assert error.position == position
    assert isinstance(error, InvalidArgumentError) and error.http_status == 400
    assert str(error).startswith("row check 'r': ")
    assert f"at position {position} " in str(error)


def test_limits_refuse_clearly_instead_of_recursing():
    deep = "(" * 10_000 + "a" + ")" * 10_000 + " > 0"
    with pytest.raises(RowExpressionError, match="longer than") as caught:
        parse_row_expression(deep)
    assert caught.value.position == MAX_LENGTH + 1
    nested = "(" * (MAX_NESTING + 1) + "a" + ")" * (MAX_NESTING + 1) + " > 0"
    with pytest.raises(RowExpressionError, match="nests deeper") as caught:
        parse_row_expression(nested)
    assert caught.value.position == MAX_NESTING + 1
    parse_row_expression("(" * MAX_NESTING + "a" + ")" * MAX_NESTING + " > 0")
    for prefix in ("-", "not ", "~"):
        with pytest.raises(RowExpressionError, match="nests deeper"):
            parse_row_expression(prefix * 100 + "a")
    with pytest.raises(RowExpressionError, match="nests deeper"):
        parse_row_expression("abs(" * 100 + "a" + ")" * 100 + " > 0")
    with pytest.raises(RowExpressionError, match="nests deeper"):
        parse_row_expression("a" + " ** a" * 100 + " > 0")
    with pytest.raises(RowExpressionError, match="operations deep"):
        parse_row_expression(" + ".join(["a"] * (MAX_DEPTH + 5)) + " > 0")
    chain = parse_row_expression(" and ".join(["a > 0"] * (MAX_DEPTH + 50)))
    assert depth_of(chain) == 3  # one 'and' over comparisons: flat, not deep


def test_empty_or_non_text_expressions_are_refused():
    for given in ("", "   ", 5, None, ["a > 0"]):
        with pytest.raises(InvalidArgumentError):
            parse_row_expression(given)


@pytest.mark.parametrize(
    ("expression", "position", "message"),
    [
        ("missing > 0", 1, "unknown column 'missing'"),
        ("age > 0 and `Age` > 1", 13, "unknown column 'Age'"),
        ("age > 'x'", 5, "cannot compare a number with text"),
        ("country < 3", 9, "cannot compare text with a number"),
        ("age + 1", 1, "must be true or false"),
        ("lower(country)", 1, "must be true or false"),
        ("country + 1 > 0", 9, "'+' needs numbers"),
        ("-country == 'x'", 1, "unary '-' needs a number"),
        ("not age", 1, "'not' needs true/false"),
        ("age and flag", 1, "'and' needs true/false"),
        ("lower(age) == 'x'", 1, "lower() needs text"),
        ("sqrt(country) > 1", 1, "sqrt() needs a number"),
        ("seen > 'yesterday'", 8, "not an ISO date"),
        ("seen > 3", 6, "cannot compare a timestamp"),
        ("day > seen", 5, "cannot compare a timestamp without time zone with a timestamp with"),
        ("country in [1, 2]", 13, "text cannot be a number"),
        ("max(age, country) > 1", 1, "needs values of one kind"),
        ("round(income, age) > 1", 15, "whole number"),
        ("round(income, 40) > 1", 15, "between 0 and 15"),
        ("isnull(tags) or len(tags) > 0", 17, "len() needs text"),
        ("tags in ['a']", 6, "cannot test"),
    ],
)
def test_type_mistakes_are_refused_before_any_row_is_read(expression, position, message):
    kinds = {
        "age": "integer",
        "country": "string",
        "flag": "boolean",
        "seen": "datetime_tz",
        "day": "datetime",
        "income": "float",
        "tags": "other",
    }
    tree = parse_row_expression(expression)
    with pytest.raises(RowExpressionError, match=re.escape(message)) as caught:
        check_row_expression(tree, expression, kinds)
    assert caught.value.position == position


def test_column_kinds_follow_the_arrow_types():
    assert column_kind(pa.int32()) == "integer"
    assert column_kind(pa.decimal128(10, 2)) == "float"
    assert column_kind(pa.dictionary(pa.int8(), pa.string())) == "string"
    assert column_kind(pa.timestamp("ns", tz="Europe/Paris")) == "datetime_tz"
    assert column_kind(pa.date32()) == "datetime"
    assert column_kind(pa.list_(pa.int64())) == "other"
    assert column_kind(pa.null()) == "null"


def test_a_schema_with_a_bad_expression_is_refused_on_load_and_again_at_validation():
    with pytest.raises(RowExpressionError, match=r"row check 'bad'.*position 4"):
        DataSchema.from_yaml("row_checks:\n- {name: bad, expression: 'age.real > 0'}\n")
    with pytest.raises(RowExpressionError):
        RowCheck(name="bad", expression="age[0] > 1")
    check = RowCheck(name="edited", expression="age > 0")
    schema = DataSchema(row_checks=[check])
    check.expression = "age.__class__"  # edited after it was built
    with pytest.raises(RowExpressionError, match="attribute access"):
        validate_table(pa.table({"age": [1, 2]}), schema)
    unknown = DataSchema.from_yaml("row_checks:\n- {name: typo, expression: agee > 0}\n")
    with pytest.raises(RowExpressionError, match="unknown column 'agee'"):
        validate_table(pa.table({"age": [1, 2]}), unknown)


def test_large_integers_compare_exactly():
    big = 2**62 + 1
    table = pa.table({"id": pa.array([big, big - 1], pa.int64())})
    values, _ = _evaluate(f"id == {big}", table)
    assert values.tolist() == [True, False]
    values, _ = _evaluate(f"id in [{big}]", table)
    assert values.tolist() == [True, False]


def test_a_time_bound_that_is_not_a_timestamp_is_a_clear_error():
    schema = DataSchema.from_yaml("columns:\n  t: {type: datetime, min: 'not a date'}\n")
    table = pa.table({"t": [dt.datetime(2024, 1, 1)]})
    with pytest.raises(InvalidArgumentError, match="'not a date' is not an ISO date"):
        validate_table(table, schema)


def test_a_column_named_twice_is_refused_where_the_expression_reads_it():
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2]), pa.array([3])], ["a", "a", "b"])
    values, _ = _evaluate("b > 0", table)
    assert values.tolist() == [True]
    with pytest.raises(RowExpressionError, match="more than once") as caught:
        _evaluate("b > 0 and a > 1", table)
    assert caught.value.position == 11


_FUZZ_COLUMNS = ["i", "u", "f", "s", "b", "t", "d", "l", "n", "dec", "bin"]
_FUZZ_LITERALS = ["1", "0", "-1", "2.5", "1e308", "'a'", "''", "'2024-01-01'", "true", "false"]
_FUZZ_FUNCTIONS = ["abs", "sqrt", "log", "exp", "floor", "round", "isnull", "len", "lower"]


def _random_expression(rng: np.random.Generator, depth: int) -> str:
    """A random expression over the grammar's shapes, mixing kinds freely."""

    def pick(options: list[str]) -> str:
        return options[int(rng.integers(len(options)))]

    if depth == 0 or rng.random() < 0.3:
        return pick(_FUZZ_COLUMNS + _FUZZ_LITERALS)
    left, right = _random_expression(rng, depth - 1), _random_expression(rng, depth - 1)
    shape = rng.random()
    if shape < 0.25:
        return f"({left} {pick(['+', '-', '*', '/', '//', '%', '**'])} {right})"
    if shape < 0.5:
        return f"({left} {pick(['==', '!=', '<', '<=', '>', '>='])} {right})"
    if shape < 0.65:
        return f"({left} {pick(['and', 'or', '&', '|'])} {right})"
    if shape < 0.75:
        return f"{pick(['not ', '~', '-'])}{left}"
    if shape < 0.85:
        return f"{left} {pick(['in', 'not in'])} [{pick(_FUZZ_LITERALS)}, {pick(_FUZZ_LITERALS)}]"
    if shape < 0.92:
        return f"{pick(['min', 'max'])}({left}, {right})"
    return f"{pick(_FUZZ_FUNCTIONS)}({left})"


@pytest.mark.parametrize("rows", [4, 0])
def test_generated_expressions_evaluate_or_are_refused_never_crash(rows):
    table = pa.table(
        {
            "i": pa.array([1, None, -3, 0], pa.int64()),
            "u": pa.array([2**64 - 1, 0, None, 5], pa.uint64()),
            "f": [1.5, None, float("nan"), -0.0],
            "s": ["a", None, "", "Zé"],
            "b": [True, None, False, True],
            "t": pa.array(
                [dt.datetime(2024, 1, 1), None, dt.datetime(1970, 1, 1), dt.datetime(2262, 1, 1)],
                pa.timestamp("ns", tz="UTC"),
            ),
            "d": [dt.date(2024, 1, 1), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)],
            "l": [[1], None, [], [2, 3]],
            "n": pa.nulls(4),
            "dec": pa.array([1, None, 0, -2], pa.decimal128(5, 1)),
            "bin": [b"x", None, b"", b"y"],
        }
    ).slice(0, rows)
    table = canonicalize_table(table)
    rng = np.random.default_rng(rows)
    evaluated = 0
    for _ in range(2000):
        expression = _random_expression(rng, 4)
        try:
            values, undefined = _evaluate(expression, table)
        except InvalidArgumentError:
            continue
        assert values.shape == undefined.shape == (rows,), expression
        evaluated += 1
    assert evaluated > 100  # the generator does reach the evaluator


def _outcomes(values: np.ndarray, undefined: np.ndarray) -> list[bool | None]:
    return [None if u else bool(v) for v, u in zip(values, undefined, strict=True)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a - 2 < 0", [None, False, True, None]),  # wrapped, row 0 said False
        ("-9223372036854775807 - 2 < 0", [None, None, None, None]),
        ("a + 9223372036854775807 > 0", [False, None, None, None]),
        ("b * 2 > 0", [None, True, None, None]),
        ("b * -2 < 0", [None, True, True, None]),  # -2**63 fits; 2**63 does not
        ("-b > 0", [None, False, False, None]),
        ("abs(b) > 0", [None, True, True, None]),
        ("b // -1 > 0", [None, False, False, None]),
        ("b % -1 == 0", [True, True, True, None]),  # never overflows
        ("isnull(a - 2) or a - 2 < 0", [True, False, True, True]),
        ("a > 0 and a - 2 < 0", [False, False, True, None]),  # a guard decides the row
        ("a - 2.0 < 0", [True, False, True, None]),  # floats do not wrap
    ],
)
def test_integer_overflow_makes_the_row_undefined_not_a_wrapped_answer(expression, expected):
    table = pa.table(
        {
            "a": pa.array([-INT64_MAX, 5, 1, None], pa.int64()),
            "b": pa.array([INT64_MIN, 2**62 - 1, 2**62, None], pa.int64()),
        }
    )
    assert _outcomes(*_evaluate(expression, table)) == expected


_EDGES = [
    INT64_MIN, INT64_MIN + 1, -(2**62), -3037000500, -3037000499, -(2**32), -2, -1,
    0, 1, 2, 2**32, 3037000499, 3037000500, 2**62, INT64_MAX - 1, INT64_MAX,
]  # fmt: skip


@pytest.mark.parametrize("op", ["+", "-", "*", "//", "%"])
def test_integer_arithmetic_is_exact_or_undefined_never_wrapped(op):
    """Every pair of edge values (and random ones) against Python's exact integers."""
    rng = np.random.default_rng(7)
    randoms = [int(v) for v in rng.integers(INT64_MIN, INT64_MAX, 200, dtype=np.int64)]
    lefts = [x for x in _EDGES for _ in _EDGES] + randoms + randoms[::-1]
    rights = [y for _ in _EDGES for y in _EDGES] + randoms[::-1] + [-1] * len(randoms)
    exact = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "//": lambda x, y: x // y if y else None,
        "%": lambda x, y: x % y if y else None,
    }[op]
    wanted = [exact(x, y) for x, y in zip(lefts, rights, strict=True)]
    fits = [w is not None and INT64_MIN <= w <= INT64_MAX for w in wanted]
    table = pa.table(
        {
            "x": pa.array(lefts, pa.int64()),
            "y": pa.array(rights, pa.int64()),
            "z": pa.array([w if f else 0 for w, f in zip(wanted, fits, strict=True)], pa.int64()),
        }
    )
    values, undefined = _evaluate(f"x {op} y == z", table)
    assert undefined.tolist() == [not f for f in fits]
    assert values[~undefined].all()


def test_unary_minus_and_abs_of_the_smallest_integer_are_undefined():
    table = pa.table({"x": pa.array(_EDGES, pa.int64())})
    for expression, exact in (("-x", lambda x: -x), ("abs(x)", abs)):
        table = table.append_column(
            "z", pa.array([exact(x) if exact(x) <= INT64_MAX else 0 for x in _EDGES], pa.int64())
        )
        values, undefined = _evaluate(f"{expression} == z", table)
        assert undefined.tolist() == [x == INT64_MIN for x in _EDGES], expression
        assert values[~undefined].all(), expression
        table = table.drop_columns(["z"])


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:30+00:45"]
)
def test_a_timestamp_outside_the_range_once_in_utc_is_a_clear_error(stamp):
    expression = f"ts > '{stamp}' or ts in ['{stamp}']"
    for kind in ("datetime", "datetime_tz"):
        with pytest.raises(RowExpressionError, match="outside the years 1 to 9999") as caught:
            check_row_expression(parse_row_expression(expression), expression, {"ts": kind})
        assert caught.value.position == 6
    with pytest.raises(InvalidArgumentError, match="position 6"):
        validate_table(
            pa.table({"ts": [dt.datetime(2024, 1, 1)]}),
            DataSchema(row_checks=[RowCheck(name="early", expression=expression)]),
        )


def test_validation_canonicalizes_the_table_once(monkeypatch):
    calls = []

    def counted(table: pa.Table) -> pa.Table:
        calls.append(table.num_rows)
        return canonical.canonicalize_table(table)

    monkeypatch.setattr(validate, "canonicalize_table", counted)
    table = pa.table({"x": pa.array([1.0, float("nan"), -1.0], pa.float32()), "n": [1, 2, 3]})
    schema = DataSchema.from_yaml(
        "columns:\n  x: {type: float, min: 0}\n"
        "row_checks:\n- {name: positive, expression: x > 0 and n > 0}\n"
    )
    report = validate_table(table, schema)
    assert calls == [3]
    assert [(f.column, f.check, f.examples) for f in report.failures] == [
        (None, "positive", [2]),
        ("x", "greater_than_or_equal_to(0)", [-1.0]),
    ]

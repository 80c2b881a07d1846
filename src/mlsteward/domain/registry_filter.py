"""The registry's search filter: a small subset of the run-filter language.

Grammar (keywords case-insensitive; only AND, like MLflow's registry search)::

    filter     := comparison (AND comparison)*
    comparison := field op value | field [NOT] IN '(' value (',' value)* ')'
    field      := name | alias | created_by | tags.<key>                   (models)
                | name | alias | created_by | tags.<key> | version | run_id
                | source | status | stage                                  (versions)
    op         := = | != | <> | LIKE | ILIKE      (and < <= > >= for version)

Examples: ``name LIKE 'fraud-%'``, ``tags.team = 'risk' AND alias = 'champion'``,
``run_id = '0f3a...'``, ``version >= 3 AND stage = 'Production'``.

The run filter's :class:`~mlsteward.domain.filter_limits.FilterLimits` bound it too (length,
comparisons, IN values, value length), and a version must fit the database's integer column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.filter_limits import FilterLimits
from mlsteward.domain.search_filter import FilterBudget, _Token, _tokenize, check_filter_length

Target = Literal["model", "version"]

MODEL_FIELDS = ("name", "alias", "created_by", "tags")
VERSION_FIELDS = (*MODEL_FIELDS, "version", "run_id", "source", "status", "stage")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_NUMBER_OPS = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN")
_ALIASES = {"tag": "tags", "current_stage": "stage", "user_id": "created_by"}
# Versions are stored as 32-bit integers; a number outside cannot match and no database
# should be asked to compare with it.
_VERSION_MIN, _VERSION_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class RegistryCondition:
    """``field op value``; ``key`` is the tag key for ``tags.<key>``."""

    field: str
    op: str
    value: str | int | tuple[str | int, ...]
    key: str | None = None


class _Parser:
    def __init__(self, text: str, target: Target, limits: FilterLimits) -> None:
        check_filter_length(text, limits)
        self.tokens = _tokenize(text)
        self.index = 0
        self.budget = FilterBudget(limits)
        self.fields = MODEL_FIELDS if target == "model" else VERSION_FIELDS
        self.target = target

    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token.kind == "IDENT" and token.text.upper() == word:
            self.index += 1
            return True
        return False

    def _error(self, expected: str, token: _Token | None = None) -> InvalidArgumentError:
        token = token or self._peek()
        found = "end of filter" if token.kind == "EOF" else repr(token.text)
        return InvalidArgumentError(
            f"Invalid filter: expected {expected} at position {token.pos}, found {found}"
        )

    def parse(self) -> tuple[RegistryCondition, ...]:
        conditions = [self._comparison()]
        while self._keyword("AND"):
            conditions.append(self._comparison())
        if self._peek().kind != "EOF":
            if self._peek().text.upper() == "OR":
                raise InvalidArgumentError(
                    "Invalid filter: registry searches combine conditions with AND only"
                )
            raise self._error("AND or the end of the filter")
        return tuple(conditions)

    def _field(self) -> tuple[str, str | None]:
        token = self._next()
        if token.kind != "IDENT":
            raise self._error("a field name", token)
        word = token.text.lower()
        word = _ALIASES.get(word, word)
        if word == "tags":
            if self._peek().kind != "DOT":
                raise self._error("'.' and a tag key after 'tags'")
            self._next()
            key_token = self._next()
            if key_token.kind not in ("IDENT", "QUOTED", "NUMBER"):
                raise self._error("a tag key", key_token)
            key = key_token.text
            while self._peek().kind == "DOT":
                self._next()
                key += "." + self._next().text
            return "tags", key
        if word not in self.fields:
            raise InvalidArgumentError(
                f"Invalid filter: unknown field {token.text!r} at position {token.pos} for "
                f"{self.target}s; known: {', '.join(f for f in self.fields if f != 'tags')}, "
                "tags.<key>"
            )
        return word, None

    def _comparison(self) -> RegistryCondition:
        self.budget.comparison(self._peek().pos)
        field, key = self._field()
        numeric = field == "version"
        if self._keyword("NOT"):
            if not self._keyword("IN"):
                raise self._error("IN after NOT")
            return RegistryCondition(field, "NOT IN", self._list(field, numeric), key)
        if self._keyword("IN"):
            return RegistryCondition(field, "IN", self._list(field, numeric), key)
        token = self._next()
        if token.kind == "OP":
            op = "!=" if token.text == "<>" else token.text
        elif token.kind == "IDENT" and token.text.upper() in ("LIKE", "ILIKE"):
            op = token.text.upper()
        else:
            raise self._error("a comparison operator (=, !=, LIKE, ILIKE, IN)", token)
        allowed = _NUMBER_OPS if numeric else _STRING_OPS
        if op not in allowed:
            raise InvalidArgumentError(
                f"Invalid filter: {field!r} cannot be compared with {op}; use " + ", ".join(allowed)
            )
        return RegistryCondition(field, op, self._value(field, numeric), key)

    def _value(self, field: str, numeric: bool) -> str | int:
        token = self._next()
        if token.kind not in ("STRING", "QUOTED", "NUMBER"):
            raise self._error("a value (number or quoted string)", token)
        text = self.budget.value(token.text, token.pos)
        if not numeric:
            return text
        try:
            number = int(text)
        except ValueError:
            raise InvalidArgumentError(
                f"Invalid filter: {field} is a whole number, got {text!r}"
            ) from None
        if not _VERSION_MIN <= number <= _VERSION_MAX:
            raise InvalidArgumentError(
                f"Invalid filter: {field} {text} at position {token.pos} is out of range; it "
                f"must be between {_VERSION_MIN} and {_VERSION_MAX}"
            )
        return number

    def _list(self, field: str, numeric: bool) -> tuple[str | int, ...]:
        if self._next().kind != "LPAREN":
            raise self._error("'(' to start the list of values", self.tokens[self.index - 1])
        self.budget.in_value(self._peek().pos)
        values = [self._value(field, numeric)]
        while self._peek().kind == "COMMA":
            self._next()
            self.budget.in_value(self._peek().pos)
            values.append(self._value(field, numeric))
        if self._next().kind != "RPAREN":
            raise self._error("',' or ')'", self.tokens[self.index - 1])
        return tuple(values)


def parse_registry_filter(
    text: str | None, target: Target, limits: FilterLimits | None = None
) -> tuple[RegistryCondition, ...]:
    """Parse a registry filter for ``target`` ("model" or "version") within ``limits`` (the
    defaults when None); blank means none."""
    if text is None or not text.strip():
        return ()
    return _Parser(text, target, limits or FilterLimits()).parse()

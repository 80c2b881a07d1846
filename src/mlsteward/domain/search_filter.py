"""The run-search filter language: a small grammar parsed into a tree the store turns into SQL.

Grammar (case-insensitive keywords)::

    expr       := term (OR term)*
    term       := factor (AND factor)*
    factor     := '(' expr ')' | comparison
    comparison := identifier op value
                | identifier [NOT] IN '(' value (',' value)* ')'
                | identifier IS [NOT] NULL
    identifier := (metrics|params|tags|attributes) '.' key | attribute-name
    key        := name | `quoted` | "quoted"
    op         := = | != | <> | < | <= | > | >= | LIKE | ILIKE

Errors name the character position where parsing failed, so a long filter is easy to mend.
A filter is bounded by :class:`~mlsteward.domain.filter_limits.FilterLimits` (length, nesting,
comparisons, IN values, value length); one over a bound is a :class:`FilterSyntaxError` that
states the bound, never a recursion error or a database fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mlsteward.domain.errors import FilterSyntaxError, InvalidArgumentError
from mlsteward.domain.filter_limits import FilterLimits

Entity = Literal["metric", "param", "tag", "attribute"]

ENTITY_PREFIXES: dict[str, Entity] = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
}

#: Run attributes that can be filtered and sorted on, with whether they are numeric.
ATTRIBUTES: dict[str, bool] = {
    "run_id": False,
    "run_name": False,
    "status": False,
    "user_id": False,
    "start_time": True,
    "end_time": True,
    "experiment_id": False,
    "parent_run_id": False,
    "artifact_uri": False,
}

COMPARISON_OPS = ("=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL")


@dataclass(frozen=True)
class Comparison:
    entity: Entity
    key: str
    op: str
    value: float | str | tuple[float | str, ...] | None


@dataclass(frozen=True)
class BoolOp:
    op: Literal["AND", "OR"]
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Comparison


Expr = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderKey:
    entity: Entity
    key: str
    ascending: bool


@dataclass(frozen=True)
class _Token:
    kind: str  # IDENT, STRING, QUOTED_IDENT, NUMBER, OP, LPAREN, RPAREN, COMMA, DOT, EOF
    text: str
    pos: int


_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<string>'(?:[^'\\]|\\.|'')*')
  | (?P<dquoted>"(?:[^"\\]|\\.)*")
  | (?P<bquoted>`[^`]*`)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_\-:/]*)
    """,
    re.VERBOSE,
)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise FilterSyntaxError(
                f"Invalid filter: unexpected character {text[pos]!r} at position {pos}", pos
            )
        kind = match.lastgroup or ""
        raw = match.group()
        if kind != "ws":
            if kind == "string":
                tokens.append(_Token("STRING", raw[1:-1].replace("''", "'"), pos))
            elif kind in ("dquoted", "bquoted"):
                tokens.append(_Token("QUOTED", raw[1:-1], pos))
            else:
                tokens.append(_Token(kind.upper(), raw, pos))
        pos = match.end()
    tokens.append(_Token("EOF", "", len(text)))
    return tokens


def check_filter_length(text: str, limits: FilterLimits) -> None:
    """Refuse a filter longer than the limit before tokenizing it."""
    if len(text) > limits.max_length:
        raise FilterSyntaxError(
            f"Invalid filter: it is {len(text)} characters long; a filter may be at most "
            f"{limits.max_length} characters"
        )


class FilterBudget:
    """Counts what a filter spends while it is parsed and stops at the first bound crossed,
    so the parser never holds more than the limits allow (shared with the registry filter)."""

    def __init__(self, limits: FilterLimits) -> None:
        self.limits = limits
        self.comparisons = 0
        self.in_values = 0

    def comparison(self, pos: int) -> None:
        self.comparisons += 1
        if self.comparisons > self.limits.max_comparisons:
            raise FilterSyntaxError(
                f"Invalid filter: too many comparisons (one more at position {pos}); a filter "
                f"may hold at most {self.limits.max_comparisons} comparisons",
                pos,
            )

    def in_value(self, pos: int) -> None:
        self.in_values += 1
        if self.in_values > self.limits.max_in_values:
            raise FilterSyntaxError(
                f"Invalid filter: too many IN values (one more at position {pos}); a filter's "
                f"IN lists may hold at most {self.limits.max_in_values} values in all",
                pos,
            )

    def value(self, text: str, pos: int) -> str:
        if len(text) > self.limits.max_value_length:
            raise FilterSyntaxError(
                f"Invalid filter: the value at position {pos} is {len(text)} characters; a "
                f"value may be at most {self.limits.max_value_length} characters",
                pos,
            )
        return text


class _Parser:
    def __init__(self, text: str, limits: FilterLimits | None = None) -> None:
        self.limits = limits or FilterLimits()
        check_filter_length(text, self.limits)
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.budget = FilterBudget(self.limits)

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def _advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _error(self, expected: str, token: _Token | None = None) -> FilterSyntaxError:
        token = token or self.current
        found = "end of filter" if token.kind == "EOF" else repr(token.text)
        return FilterSyntaxError(
            f"Invalid filter: expected {expected} at position {token.pos}, found {found}",
            token.pos,
        )

    def _keyword(self, word: str) -> bool:
        token = self.current
        if token.kind == "IDENT" and token.text.upper() == word:
            self.index += 1
            return True
        return False

    def parse(self) -> Expr:
        expr = self._expr()
        if self.current.kind != "EOF":
            raise self._error("AND, OR or the end of the filter")
        return expr

    def _expr(self) -> Expr:
        operands = [self._term()]
        while self._keyword("OR"):
            operands.append(self._term())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def _term(self) -> Expr:
        operands = [self._factor()]
        while self._keyword("AND"):
            operands.append(self._factor())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def _factor(self) -> Expr:
        if self.current.kind == "LPAREN":
            opening = self._advance()
            # Counted on the way down, so nesting stops here long before Python's recursion.
            self.depth += 1
            if self.depth > self.limits.max_depth:
                raise FilterSyntaxError(
                    f"Invalid filter: parentheses nest too deep at position {opening.pos}; "
                    f"filters may nest parentheses at most {self.limits.max_depth} deep",
                    opening.pos,
                )
            inner = self._expr()
            if self.current.kind != "RPAREN":
                raise self._error("')'")
            self._advance()
            self.depth -= 1
            return inner
        return self._comparison()

    def _comparison(self) -> Expr:
        start = self.current
        self.budget.comparison(start.pos)
        entity, key = parse_identifier_tokens(self)
        if self._keyword("IS"):
            negate = self._keyword("NOT")
            if not self._keyword("NULL"):
                raise self._error("NULL")
            cmp = Comparison(entity, key, "IS NULL", None)
            return Not(cmp) if negate else cmp
        if self._keyword("NOT"):
            if not self._keyword("IN"):
                raise self._error("IN after NOT")
            return Comparison(entity, key, "NOT IN", self._value_list(entity, key))
        if self._keyword("IN"):
            return Comparison(entity, key, "IN", self._value_list(entity, key))
        op_token = self.current
        if op_token.kind == "OP":
            op = "!=" if op_token.text == "<>" else op_token.text
        elif op_token.kind == "IDENT" and op_token.text.upper() in ("LIKE", "ILIKE"):
            op = op_token.text.upper()
        else:
            raise self._error("a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN)")
        self._advance()
        value = self._value(entity, key, op, start)
        return Comparison(entity, key, op, value)

    def _value(self, entity: Entity, key: str, op: str, start: _Token) -> float | str:
        token = self._advance()
        numeric = _is_numeric(entity, key)
        if token.kind == "NUMBER":
            if op in ("LIKE", "ILIKE"):
                raise self._error("a quoted string pattern for LIKE", token)
            return float(token.text) if numeric else self.budget.value(token.text, token.pos)
        if token.kind in ("STRING", "QUOTED"):
            if numeric:
                raise FilterSyntaxError(
                    f"Invalid filter: {_describe(entity, key)} is numeric; expected a number at "
                    f"position {token.pos}, found a string",
                    token.pos,
                )
            return self.budget.value(token.text, token.pos)
        raise self._error("a value (number or quoted string)", token)

    def _value_list(self, entity: Entity, key: str) -> tuple[float | str, ...]:
        if self.current.kind != "LPAREN":
            raise self._error("'(' to start the list of values")
        self._advance()
        numeric = _is_numeric(entity, key)
        values: list[float | str] = []
        while True:
            token = self._advance()
            self.budget.in_value(token.pos)
            if token.kind == "NUMBER":
                values.append(float(token.text) if numeric else token.text)
            elif token.kind in ("STRING", "QUOTED"):
                if numeric:
                    raise self._error("a number (the values are numeric)", token)
                values.append(self.budget.value(token.text, token.pos))
            else:
                raise self._error("a value in the list", token)
            if self.current.kind == "COMMA":
                self._advance()
                continue
            if self.current.kind == "RPAREN":
                self._advance()
                return tuple(values)
            raise self._error("',' or ')'")


def _is_numeric(entity: Entity, key: str) -> bool:
    """Metrics and time attributes compare as numbers; everything else as text."""
    return entity == "metric" or (entity == "attribute" and ATTRIBUTES.get(key, False))


def _describe(entity: Entity, key: str) -> str:
    return f"{entity} {key!r}"


def parse_identifier_tokens(parser: _Parser) -> tuple[Entity, str]:
    """Read ``prefix.key`` or a bare attribute name from the parser's tokens."""
    token = parser._advance()
    if token.kind != "IDENT":
        raise parser._error("an identifier such as metrics.accuracy or params.lr", token)
    word = token.text
    if parser.current.kind == "DOT" and word.lower() in ENTITY_PREFIXES:
        parser._advance()
        key_token = parser._advance()
        if key_token.kind not in ("IDENT", "QUOTED", "NUMBER"):
            raise parser._error("a key after the '.'", key_token)
        key = key_token.text
        # Keys may themselves contain dots: metrics.val.loss
        while parser.current.kind == "DOT":
            parser._advance()
            nxt = parser._advance()
            if nxt.kind not in ("IDENT", "NUMBER"):
                raise parser._error("a key part after the '.'", nxt)
            key += "." + nxt.text
        entity = ENTITY_PREFIXES[word.lower()]
    elif word.lower() in ATTRIBUTES:
        entity, key = "attribute", word.lower()
    else:
        raise FilterSyntaxError(
            f"Invalid filter: unknown identifier {word!r} at position {token.pos}; use "
            "metrics.<key>, params.<key>, tags.<key> or attributes.<name>",
            token.pos,
        )
    if entity == "attribute":
        key = key.lower()
        if key not in ATTRIBUTES:
            raise FilterSyntaxError(
                f"Invalid filter: unknown attribute {key!r} at position {token.pos}; known: "
                + ", ".join(sorted(ATTRIBUTES)),
                token.pos,
            )
    return entity, key


def parse_filter(text: str | None, limits: FilterLimits | None = None) -> Expr | None:
    """Parse a filter string within ``limits`` (the defaults when None); None or blank means
    no filter."""
    if text is None or not text.strip():
        return None
    return _Parser(text, limits).parse()


def parse_order_by(clauses: list[str] | None, limits: FilterLimits | None = None) -> list[OrderKey]:
    """Parse ``["metrics.acc DESC", "start_time"]`` into sort keys (default ascending)."""
    bounds = limits or FilterLimits()
    if clauses and len(clauses) > bounds.max_order_keys:
        raise InvalidArgumentError(
            f"order_by may hold at most {bounds.max_order_keys} clauses, got {len(clauses)}"
        )
    keys: list[OrderKey] = []
    for clause in clauses or []:
        parser = _Parser(clause, bounds)
        entity, key = parse_identifier_tokens(parser)
        ascending = True
        if parser._keyword("DESC"):
            ascending = False
        elif parser._keyword("ASC"):
            ascending = True
        if parser.current.kind != "EOF":
            raise parser._error("ASC, DESC or the end of the order_by clause")
        keys.append(OrderKey(entity, key, ascending))
    return keys

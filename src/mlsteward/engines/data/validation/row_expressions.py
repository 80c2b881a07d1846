"""Row-check expressions: a small whitelist grammar, parsed into a tree, never run as code.

A schema's row check such as ``end >= start`` or ``(income > 0) & (age < 120)`` comes from a
YAML file or a request body, so it is untrusted text. It is cut into tokens by
:mod:`~mlsteward.engines.data.validation.row_expression_tokens` and parsed here by hand into
the tree below; anything outside the grammar is refused with :class:`RowExpressionError`,
which names the 1-based character position of the offending token. Nothing here (or in the
evaluator) hands text to Python, pandas or NumPy to interpret.

Grammar (lowest precedence first; ``&``, ``|`` are spellings of ``and``, ``or`` as in pandas)::

    expression := or_expr
    or_expr    := and_expr (('or' | '|') and_expr)*
    and_expr   := not_expr (('and' | '&') not_expr)*
    not_expr   := 'not' not_expr | comparison
    comparison := sum ((== | != | < | <= | > | >=) sum | ['not'] 'in' list)*
    sum        := product (('+' | '-') product)*
    product    := unary (('*' | '/' | '//' | '%') unary)*
    unary      := ('-' | '+' | '~') unary | power
    power      := atom ['**' unary]
    atom       := number | 'string' | "string" | true | false | column | `any column`
                | function '(' [expression (',' expression)*] ')' | '(' expression ')'
    list       := '[' [literal (',' literal)* [',']] ']'

Comparisons chain as in Python (``0 <= age < 120``). Functions are the fixed set in
:data:`FUNCTIONS`. Limits keep hostile input cheap: at most :data:`MAX_LENGTH` characters,
:data:`MAX_NESTING` levels of parentheses, calls and unary operators, and a tree at most
:data:`MAX_DEPTH` operations deep (so no recursion can overflow).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from mlsteward.engines.data.errors import SchemaSpecError
from mlsteward.engines.data.validation.row_expression_errors import RowExpressionError
from mlsteward.engines.data.validation.row_expression_tokens import (
    FALSE_WORDS,
    TRUE_WORDS,
    WORDS,
    Token,
    tokenize,
)

MAX_LENGTH = 2000
MAX_NESTING = 32
MAX_DEPTH = 100

#: Function name -> (fewest, most) arguments; ``None``: no upper limit.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "log10": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
    "round": (1, 2),
    "min": (2, None),
    "max": (2, None),
    "isnull": (1, 1),
    "notnull": (1, 1),
    "len": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
}

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


# ----------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Literal:
    """A number, text or true/false written in the expression."""

    value: int | float | str | bool
    pos: int


@dataclass(frozen=True)
class Column:
    """A column of the table, by name."""

    name: str
    pos: int


@dataclass(frozen=True)
class Unary:
    """``-x``, ``+x``, ``~x`` or ``not x``."""

    op: str
    operand: Node
    pos: int
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Binary:
    """Arithmetic: ``+ - * / // % **``."""

    op: str
    left: Node
    right: Node
    pos: int
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Logical:
    """``and`` / ``or`` over two or more operands (``&`` and ``|`` are the same)."""

    op: str
    operands: tuple[Node, ...]
    pos: int
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class ValueList:
    """The literal list on the right of ``in``."""

    items: tuple[Literal, ...]
    pos: int


@dataclass(frozen=True)
class Compare:
    """A comparison chain: ``operands[i] ops[i] operands[i + 1]`` for each i, all must hold."""

    ops: tuple[str, ...]
    operands: tuple[Node | ValueList, ...]
    positions: tuple[int, ...]
    pos: int
    depth: int = field(default=1, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    """One of :data:`FUNCTIONS` applied to its arguments."""

    name: str
    args: tuple[Node, ...]
    pos: int
    depth: int = field(default=1, compare=False, repr=False)


Node: TypeAlias = Literal | Column | Unary | Binary | Logical | Compare | Call
_Operand: TypeAlias = Callable[[], Node]


def depth_of(node: Node | ValueList) -> int:
    """How many operations deep the tree is (a column or a value: 1)."""
    return getattr(node, "depth", 1)


def column_references(node: Node | ValueList) -> list[Column]:
    """Every column reference of the tree, left to right."""
    if isinstance(node, Column):
        return [node]
    if isinstance(node, Unary):
        return column_references(node.operand)
    if isinstance(node, Binary):
        return column_references(node.left) + column_references(node.right)
    children: tuple[Node | ValueList, ...] = ()
    if isinstance(node, Logical | Compare):
        children = node.operands
    elif isinstance(node, Call):
        children = node.args
    return [ref for child in children for ref in column_references(child)]


# ----------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over the tokens; ``nesting`` bounds the recursion."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.tokens = tokenize(text, where)
        self.index = 0
        self.nesting = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def error(self, reason: str, token: Token | None = None) -> RowExpressionError:
        token = token or self.current
        return RowExpressionError(reason, self.text, token.pos, where=self.where)

    def unexpected(self, expected: str) -> RowExpressionError:
        token = self.current
        if token.kind == "end":
            return self.error(f"expected {expected}, found the end of the expression")
        if token.text == "[":
            return self.error("'[' (indexing) is not allowed; a list may only follow 'in'")
        return self.error(f"expected {expected}, found {token.text!r}")

    def at(self, *texts: str) -> bool:
        token = self.current
        return token.kind in ("op", "name") and token.text in texts

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise self.unexpected(repr(text))
        return self.advance()

    def enter(self, token: Token) -> None:
        """One more level of nesting (parenthesis, call, unary operator), within the limit."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"the expression nests deeper than {MAX_NESTING} levels", token)

    def limit(self, children: Sequence[Node | ValueList], token: Token) -> int:
        """The depth of a new operation over ``children``, within :data:`MAX_DEPTH`."""
        depth = 1 + max((depth_of(child) for child in children), default=0)
        if depth > MAX_DEPTH:
            raise self.error(f"the expression is more than {MAX_DEPTH} operations deep", token)
        return depth

    def parse(self) -> Node:
        node = self.or_expr()
        if self.current.kind != "end":
            raise self.unexpected("an operator or the end of the expression")
        return node

    def logical(self, op: str, spellings: tuple[str, ...], operand: _Operand) -> Node:
        first = self.current
        operands = [operand()]
        while self.at(*spellings):
            self.advance()
            operands.append(operand())
        if len(operands) == 1:
            return operands[0]
        return Logical(op, tuple(operands), first.pos, depth=self.limit(operands, first))

    def or_expr(self) -> Node:
        return self.logical("or", ("or", "|"), self.and_expr)

    def and_expr(self) -> Node:
        return self.logical("and", ("and", "&"), self.not_expr)

    def not_expr(self) -> Node:
        if not self.at("not"):
            return self.comparison()
        token = self.advance()
        self.enter(token)
        operand = self.not_expr()
        self.nesting -= 1
        return Unary("not", operand, token.pos, depth=self.limit([operand], token))

    def comparison(self) -> Node:
        first = self.current
        left = self.sum()
        operands: list[Node | ValueList] = [left]
        ops: list[str] = []
        positions: list[int] = []
        while self.at(*COMPARISONS, "in", "not"):
            token = self.current
            if isinstance(operands[-1], ValueList):
                raise self.error("a list can only be the last operand of a comparison")
            if self.at("not"):
                self.advance()
                if not self.at("in"):
                    raise self.unexpected("'in' after 'not'")
                self.advance()
                ops.append("not in")
                operands.append(self.value_list())
            elif self.at("in"):
                self.advance()
                ops.append("in")
                operands.append(self.value_list())
            else:
                ops.append(self.advance().text)
                operands.append(self.sum())
            positions.append(token.pos)
        if not ops:
            return left
        depth = self.limit(operands, first)
        return Compare(tuple(ops), tuple(operands), tuple(positions), first.pos, depth=depth)

    def value_list(self) -> ValueList:
        start = self.current
        if not self.at("["):
            raise self.unexpected("a list such as ['a', 'b'] after 'in'")
        self.advance()
        items: list[Literal] = []
        while not self.at("]"):
            items.append(self.list_item())
            if not self.at(","):
                break
            self.advance()
        self.expect("]")
        return ValueList(tuple(items), start.pos)

    def list_item(self) -> Literal:
        token = self.current
        negative = False
        if self.at("-", "+"):
            negative = self.advance().text == "-"
            if self.current.kind != "number":
                raise self.unexpected("a number after the sign")
        literal = self.literal()
        if literal is None:
            raise self.unexpected("a number, a 'string', true or false (lists hold values only)")
        if negative and isinstance(literal.value, int | float):
            return Literal(-literal.value, token.pos)
        return literal

    def literal(self) -> Literal | None:
        token = self.current
        if token.kind in ("number", "string"):
            self.advance()
            if token.value is None:
                raise RuntimeError(f"the tokenizer gave {token.text!r} no value")
            return Literal(token.value, token.pos)
        if self.at(*TRUE_WORDS, *FALSE_WORDS):
            self.advance()
            return Literal(token.text in TRUE_WORDS, token.pos)
        return None

    def binary(self, ops: tuple[str, ...], operand: _Operand) -> Node:
        left = operand()
        while self.at(*ops):
            token = self.advance()
            right = operand()
            depth = self.limit([left, right], token)
            left = Binary(token.text, left, right, token.pos, depth=depth)
        return left

    def sum(self) -> Node:
        return self.binary(("+", "-"), self.product)

    def product(self) -> Node:
        return self.binary(("*", "/", "//", "%"), self.unary)

    def unary(self) -> Node:
        if not self.at("-", "+", "~"):
            return self.power()
        token = self.advance()
        self.enter(token)
        operand = self.unary()
        self.nesting -= 1
        return Unary(token.text, operand, token.pos, depth=self.limit([operand], token))

    def power(self) -> Node:
        base = self.atom()
        if not self.at("**"):
            return base
        token = self.advance()
        self.enter(token)
        exponent = self.unary()
        self.nesting -= 1
        return Binary("**", base, exponent, token.pos, depth=self.limit([base, exponent], token))

    def atom(self) -> Node:
        token = self.current
        literal = self.literal()
        if literal is not None:
            return literal
        if token.kind == "quoted":
            self.advance()
            if not isinstance(token.value, str):
                raise RuntimeError(f"the tokenizer gave {token.text!r} no name")
            return Column(token.value, token.pos)
        if token.kind == "name" and token.text not in WORDS:
            self.advance()
            if self.at("("):
                return self.call(token)
            return Column(token.text, token.pos)
        if self.at("("):
            self.advance()
            self.enter(token)
            node = self.or_expr()
            self.nesting -= 1
            self.expect(")")
            return node
        raise self.unexpected("a column, a value, a function call or '('")

    def call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {name.text!r} (functions: {known})", name)
        self.enter(self.advance())
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.or_expr())
            if not self.at(","):
                break
            self.advance()
        self.expect(")")
        self.nesting -= 1
        fewest, most = FUNCTIONS[name.text]
        if len(args) < fewest or (most is not None and len(args) > most):
            if fewest == most:
                wanted = str(fewest)
            elif most is None:
                wanted = f"{fewest} or more"
            else:
                wanted = f"{fewest} to {most}"
            raise self.error(f"{name.text}() takes {wanted} argument(s), got {len(args)}", name)
        return Call(name.text, tuple(args), name.pos, depth=self.limit(args, name))


def parse_row_expression(text: object, *, where: str = "") -> Node:
    """Parse a row-check expression into its tree, or raise :class:`RowExpressionError`.

    ``where`` prefixes messages (e.g. ``"row check 'positive'"``). Only the grammar in the
    module docstring is accepted; nothing is evaluated here.
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(text, str):
        raise SchemaSpecError(f"{prefix}an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        reason = f"the expression is longer than {MAX_LENGTH} characters"
        raise RowExpressionError(reason, text, MAX_LENGTH + 1, where=where)
    if not text.strip():
        raise SchemaSpecError(f"{prefix}the expression is empty")
    return _Parser(text, where).parse()

"""Row-check expressions: a small whitelist grammar, parsed into a tree, never run as code.

A schema's row check such as ``end >= start`` or ``(income > 0) & (age < 120)`` comes from a
YAML file or a request body, so it is untrusted text. It is tokenized and parsed here by hand
into the tree below; anything outside the grammar is refused with
:class:`RowExpressionError`, which names the 1-based character position of the offending
token. Nothing here (or in the evaluator) hands text to Python, pandas or NumPy to interpret.

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

import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from mlsteward.engines.data.errors import SchemaSpecError

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
_TRUE, _FALSE = ("true", "True"), ("false", "False")
_WORDS = {"and", "or", "not", "in", *_TRUE, *_FALSE}
_NULL_WORDS = {"null", "None", "NULL"}
_RESERVED = set(keyword.kwlist)


class RowExpressionError(SchemaSpecError):
    """A refused row-check expression (outside the grammar, or not fitting the table's
    columns); ``position`` is the 1-based character where the problem is."""

    def __init__(self, reason: str, expression: str, position: int, *, where: str = "") -> None:
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}{reason} at position {position} of the expression "
            f"(counting from 1): {_excerpt(expression, position)}"
        )
        self.reason = reason
        self.expression = expression
        self.position = position


def _excerpt(expression: str, position: int, width: int = 24) -> str:
    """The expression around ``position``, the offending character marked with ``>>``."""
    index = max(position - 1, 0)
    before = expression[max(index - width, 0) : index]
    after = expression[index : index + width]
    start = "..." if index > width else ""
    end = "..." if index + width < len(expression) else ""
    return repr(f"{start}{before}>>{after}{end}".replace("\n", " "))


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


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, name, quoted, op, end
    text: str
    pos: int  # 1-based
    value: int | float | str | None = None


_SPACE = re.compile(r"[ \t\r\n]+")
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[^\W\d]\w*")
_OPERATORS = (
    "**", "//", "==", "!=", "<=", ">=",
    "<", ">", "+", "-", "*", "/", "%", "&", "|", "~", "(", ")", "[", "]", ",",
)  # fmt: skip
_REFUSED = {
    ".": "attribute access ('.') is not allowed",
    "@": "'@' (local variables) is not allowed",
    "\\": "a backslash is not allowed",
    "=": "'=' (assignment) is not allowed; compare with '=='",
    ":": "':' is not allowed",
    ";": "';' is not allowed",
    "{": "'{' is not allowed",
    "}": "'}' is not allowed",
    "#": "comments ('#') are not allowed",
    "!": "'!' is not allowed; write 'not' or '!='",
    "^": "'^' is not allowed; write '**' for powers",
}


class _Tokenizer:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where

    def error(self, reason: str, index: int) -> RowExpressionError:
        return RowExpressionError(reason, self.text, index + 1, where=self.where)

    def tokens(self) -> list[_Token]:
        text, index, found = self.text, 0, []
        while index < len(text):
            space = _SPACE.match(text, index)
            if space:
                index = space.end()
                continue
            token = self._token(index)
            found.append(token)
            index = token.pos - 1 + len(token.text)
        found.append(_Token("end", "", len(text) + 1))
        return found

    def _token(self, index: int) -> _Token:
        text, char = self.text, self.text[index]
        if char.isdigit() or (char == "." and text[index + 1 : index + 2].isdigit()):
            return self._number(index)
        if char in "'\"":
            return self._string(index)
        if char == "`":
            end = text.find("`", index + 1)
            if end < 0:
                raise self.error("unterminated `quoted` column name", index)
            name = text[index + 1 : end]
            if not name or "\n" in name:
                raise self.error("a `quoted` column name must be one non-empty line", index)
            return _Token("quoted", text[index : end + 1], index + 1, name)
        name_match = _NAME.match(text, index)
        if name_match:
            return self._name(name_match.group(), index)
        for op in _OPERATORS:
            if text.startswith(op, index):
                return _Token("op", op, index + 1)
        if char in _REFUSED:
            raise self.error(_REFUSED[char], index)
        raise self.error(f"unexpected character {char!r}", index)

    def _number(self, index: int) -> _Token:
        match = _NUMBER.match(self.text, index)
        if match is None:  # str.isdigit() also accepts digits no number is written with ('²')
            span = 2 if self.text[index] == "." else 1
            raise self.error(f"malformed number {self.text[index : index + span]!r}", index)
        raw, end = match.group(), match.end()
        if end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "._"):
            raise self.error(f"malformed number {self.text[index : end + 1]!r}", index)
        value: int | float
        if any(c in raw for c in ".eE"):
            value = float(raw)
            if value in (float("inf"), float("-inf")):
                raise self.error(f"number {raw!r} is out of range", index)
        else:
            value = int(raw)
            if value >= 2**63:
                raise self.error(f"integer {raw!r} is out of range (at most 2**63 - 1)", index)
        return _Token("number", raw, index + 1, value)

    def _string(self, index: int) -> _Token:
        quote = self.text[index]
        end = index + 1
        while end < len(self.text) and self.text[end] != quote:
            if self.text[end] == "\\":
                raise self.error("a backslash is not allowed (no escapes in strings)", end)
            if self.text[end] == "\n":
                break
            end += 1
        if end >= len(self.text) or self.text[end] != quote:
            raise self.error("unterminated string", index)
        return _Token("string", self.text[index : end + 1], index + 1, self.text[index + 1 : end])

    def _name(self, name: str, index: int) -> _Token:
        after = self.text[index + len(name) : index + len(name) + 1]
        if after in ("'", '"'):
            raise self.error(f"string prefixes ({name}'...') are not allowed", index)
        if "__" in name:
            raise self.error(f"names containing '__' ({name!r}) are not allowed", index)
        if name in _NULL_WORDS:
            raise self.error(
                f"{name!r} is not a value here; test for missing values with isnull(column) "
                "or notnull(column)",
                index,
            )
        if name not in _WORDS and name in _RESERVED:
            raise self.error(f"{name!r} is not allowed", index)
        return _Token("name", name, index + 1)


# ----------------------------------------------------------------------------- parser


class _Parser:
    """Recursive descent over the tokens; ``nesting`` bounds the recursion."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where
        self.tokens = _Tokenizer(text, where).tokens()
        self.index = 0
        self.nesting = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def error(self, reason: str, token: _Token | None = None) -> RowExpressionError:
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

    def advance(self) -> _Token:
        token = self.current
        self.index += 1
        return token

    def expect(self, text: str) -> _Token:
        if not self.at(text):
            raise self.unexpected(repr(text))
        return self.advance()

    def enter(self, token: _Token) -> None:
        """One more level of nesting (parenthesis, call, unary operator), within the limit."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"the expression nests deeper than {MAX_NESTING} levels", token)

    def limit(self, children: Sequence[Node | ValueList], token: _Token) -> int:
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
        if self.at(*_TRUE, *_FALSE):
            self.advance()
            return Literal(token.text in _TRUE, token.pos)
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
        if token.kind == "name" and token.text not in _WORDS:
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

    def call(self, name: _Token) -> Node:
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

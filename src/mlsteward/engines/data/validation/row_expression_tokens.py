"""Row-check expressions cut into tokens: the first gate untrusted text passes.

Only numbers, quoted text, names, `` `quoted` `` column names and the grammar's operators
become tokens; any other character is refused here with :class:`RowExpressionError` and its
position, with a reason for the usual attempts (attribute access, ``@`` variables, escapes,
string prefixes, ``__`` names, Python keywords). The parser in
:mod:`~mlsteward.engines.data.validation.row_expressions` only ever sees these tokens.

Integer literals must fit a signed 64-bit integer (the evaluator's integer type); a larger
number is refused rather than silently changed. ``9.3e18`` writes it as a float.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

from mlsteward.engines.data.validation.row_expression_errors import RowExpressionError

TRUE_WORDS, FALSE_WORDS = ("true", "True"), ("false", "False")
#: Words of the grammar: never column names.
WORDS = frozenset({"and", "or", "not", "in", *TRUE_WORDS, *FALSE_WORDS})
_NULL_WORDS = {"null", "None", "NULL"}
_RESERVED = set(keyword.kwlist)
_INT64_MAX = 2**63 - 1

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


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is number, string, name, quoted (a `` `column` ``), op or end."""

    kind: str
    text: str
    pos: int  # 1-based
    value: int | float | str | None = None


def tokenize(text: str, where: str = "") -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; raises
    :class:`RowExpressionError` at the first character outside the grammar."""
    return _Tokenizer(text, where).tokens()


class _Tokenizer:
    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.where = where

    def error(self, reason: str, index: int) -> RowExpressionError:
        return RowExpressionError(reason, self.text, index + 1, where=self.where)

    def tokens(self) -> list[Token]:
        text, index, found = self.text, 0, []
        while index < len(text):
            space = _SPACE.match(text, index)
            if space:
                index = space.end()
                continue
            token = self._token(index)
            found.append(token)
            index = token.pos - 1 + len(token.text)
        found.append(Token("end", "", len(text) + 1))
        return found

    def _token(self, index: int) -> Token:
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
            return Token("quoted", text[index : end + 1], index + 1, name)
        name_match = _NAME.match(text, index)
        if name_match:
            return self._name(name_match.group(), index)
        for op in _OPERATORS:
            if text.startswith(op, index):
                return Token("op", op, index + 1)
        if char in _REFUSED:
            raise self.error(_REFUSED[char], index)
        raise self.error(f"unexpected character {char!r}", index)

    def _number(self, index: int) -> Token:
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
            if value > _INT64_MAX:
                raise self.error(
                    f"integer {raw!r} is out of range (at most 2**63 - 1; "
                    "write a larger number as a float, such as 1e19)",
                    index,
                )
        return Token("number", raw, index + 1, value)

    def _string(self, index: int) -> Token:
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
        return Token("string", self.text[index : end + 1], index + 1, self.text[index + 1 : end])

    def _name(self, name: str, index: int) -> Token:
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
        if name not in WORDS and name in _RESERVED:
            raise self.error(f"{name!r} is not allowed", index)
        return Token("name", name, index + 1)

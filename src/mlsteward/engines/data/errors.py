"""Errors raised by the data engines.

They all derive from :class:`~mlsteward.domain.errors.InvalidArgumentError` because each one
describes a problem with the data or the request (a bad file, a step naming an absent
column), never an internal fault; the REST layer therefore answers 400 without extra mapping.
Each carries structured fields so a CLI or UI can point at the exact place.

Over HTTP an error sends only the fields that hold nothing read from a source (see
``details``): a server never repeats a row, a value or a column name it read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from mlsteward.domain.errors import InvalidArgumentError, MlstewardError, wire_int


class DataError(InvalidArgumentError):
    """Base of every error the data engines raise on purpose."""

    code = "DATA_ERROR"


class SourceError(DataError):
    """Reading a source failed; nothing read from it should be registered."""

    code = "DATA_SOURCE_ERROR"

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        line: int | None = None,
        record: int | None = None,
    ) -> None:
        where = source
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        elif record is not None:
            where = f"{where} (record {record})" if where else f"record {record}"
        super().__init__(f"{where}: {message}" if where else message)
        self.source = source
        self.line = line
        self.record = record

    def details(self) -> dict[str, Any]:
        # Where it failed, which the message already states; on a server the source is the
        # location a re-read failure names (a SQL URL without its password).
        return {"source": self.source, "line": self.line, "record": self.record}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        """The error with the server's message as is (the constructor would prefix it again)
        and its location; subclasses add their own fields to this one."""
        error = cls.__new__(cls)
        MlstewardError.__init__(error, message)
        source = details.get("source")
        error.source = source if isinstance(source, str) else ""
        error.line = wire_int(details.get("line"))
        error.record = wire_int(details.get("record"))
        return error


class EmptySourceError(SourceError):
    """The source holds no header and no rows."""

    code = "DATA_EMPTY_SOURCE"


class DecodingError(SourceError):
    """Bytes that are not valid text in the declared encoding."""

    code = "DATA_DECODING_ERROR"


@dataclass(frozen=True)
class BadRow:
    """One malformed input row: where it is, what is wrong, and its text (truncated)."""

    line: int
    reason: str
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason, "text": self.text}


class MalformedRowError(SourceError):
    """A row that cannot be parsed (wrong number of fields, broken JSON).

    Over HTTP ``bad_row`` arrives with its line and reason but an empty ``text``: the text
    is the row as the source holds it, which a server never repeats.
    """

    code = "DATA_MALFORMED_ROW"

    def __init__(self, bad_row: BadRow, *, source: str = "") -> None:
        super().__init__(f"{bad_row.reason}: {bad_row.text!r}", source=source, line=bad_row.line)
        self.bad_row = bad_row

    def details(self) -> dict[str, Any]:
        # Not the row's text: it is what the source holds. The reason is the reader's own
        # words (field counts, a JSON parser's position), never the row's content.
        row = {k: v for k, v in self.bad_row.to_dict().items() if k != "text"}
        return super().details() | {"bad_row": row}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        error = super().from_wire(message, details)
        sent = details.get("bad_row")
        row: Mapping[str, Any] = sent if isinstance(sent, Mapping) else {}
        line, reason = wire_int(row.get("line")), row.get("reason")
        error.bad_row = BadRow(
            line=line if line is not None else (error.line or 0),
            reason=reason if isinstance(reason, str) else "",
            text="",  # withheld by the server (see details)
        )
        return error


class MixedTypesError(SourceError):
    """A value that does not fit the type the column was given (inferred or declared).

    Over HTTP ``column`` and ``value`` arrive as ``None``: both are what the source holds (a
    header or key, a cell), which a server never repeats; ``expected`` and where it is do.
    """

    code = "DATA_MIXED_TYPES"
    column: str | None
    value: object

    def __init__(
        self,
        column: str,
        expected: str,
        value: object,
        *,
        source: str = "",
        line: int | None = None,
        record: int | None = None,
        hint: str = "",
    ) -> None:
        message = f"column {column!r} holds {value!r}, which is not {expected}"
        if hint:
            message = f"{message}; {hint}"
        super().__init__(message, source=source, line=line, record=record)
        self.column = column
        self.expected = expected
        self.value = value

    def details(self) -> dict[str, Any]:
        # Neither the value nor the column: the value is a cell of the source and the column
        # one of its headers or keys (sometimes a name the caller declared, but the error
        # cannot tell which). So no repr() of a value that JSON cannot carry is needed either.
        # ``expected`` is the name of a type (inferred or declared), not data.
        return super().details() | {"expected": self.expected}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        error = super().from_wire(message, details)
        expected = details.get("expected")
        error.expected = expected if isinstance(expected, str) else ""
        error.column = None  # withheld by the server (see details)
        error.value = None
        return error


class MissingColumnError(DataError):
    """A step, schema or split names columns the table does not have."""

    code = "DATA_MISSING_COLUMN"

    def __init__(self, columns: Sequence[str], available: Sequence[str], *, where: str) -> None:
        names = ", ".join(repr(c) for c in columns)
        plural = "s" if len(columns) > 1 else ""
        super().__init__(
            f"{where}: column{plural} {names} not in the table (columns: {', '.join(available)})"
        )
        self.columns = list(columns)
        self.where = where

    def details(self) -> dict[str, Any]:
        # The columns asked for (by a step, a split, the caller's options), absent from the
        # table by definition, and the place that asked; not the table's own columns.
        return {"columns": list(self.columns), "where": self.where}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        error = cls.__new__(cls)
        MlstewardError.__init__(error, message)
        columns, where = details.get("columns"), details.get("where")
        error.columns = [str(c) for c in columns] if isinstance(columns, list) else []
        error.where = where if isinstance(where, str) else ""
        return error


class StepError(DataError):
    """A transform step is unknown, has bad parameters, or cannot apply to this data."""

    code = "DATA_STEP_ERROR"


class SchemaSpecError(DataError):
    """A validation schema (e.g. edited YAML) is not well formed."""

    code = "DATA_SCHEMA_SPEC_ERROR"


class SplitError(DataError):
    """A split request that cannot be met (bad fractions, too few groups, ...)."""

    code = "DATA_SPLIT_ERROR"


class UnsupportedTypeError(DataError):
    """An Arrow type the canonical form does not cover (e.g. unions)."""

    code = "DATA_UNSUPPORTED_TYPE"


def require_columns(names: Sequence[str], available: Sequence[str], *, where: str) -> None:
    """Raise :class:`MissingColumnError` naming every column of ``names`` not in ``available``."""
    present = set(available)
    missing = [name for name in names if name not in present]
    if missing:
        raise MissingColumnError(missing, list(available), where=where)

"""Errors raised by the data engines.

They all derive from :class:`~mlsteward.domain.errors.InvalidArgumentError` because each one
describes a problem with the data or the request (a bad file, a step naming an absent
column), never an internal fault; the REST layer therefore answers 400 without extra mapping.
Each carries structured fields so a CLI or UI can point at the exact place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlsteward.domain.errors import InvalidArgumentError


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
    """A row that cannot be parsed (wrong number of fields, broken JSON)."""

    code = "DATA_MALFORMED_ROW"

    def __init__(self, bad_row: BadRow, *, source: str = "") -> None:
        super().__init__(f"{bad_row.reason}: {bad_row.text!r}", source=source, line=bad_row.line)
        self.bad_row = bad_row


class MixedTypesError(SourceError):
    """A value that does not fit the type the column was given (inferred or declared)."""

    code = "DATA_MIXED_TYPES"

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

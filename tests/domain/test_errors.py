"""Errors carry stable codes and statuses, and round-trip through their codes."""

from __future__ import annotations

import pytest

from mlsteward.domain.errors import (
    ERRORS_BY_CODE,
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    MlstewardError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    SchemaVersionError,
    UnavailableError,
    error_from_code,
)
from mlsteward.domain.ids import is_valid_id, new_id


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (InvalidArgumentError, "INVALID_ARGUMENT", 400),
        (PermissionDeniedError, "PERMISSION_DENIED", 403),
        (NotFoundError, "NOT_FOUND", 404),
        (AlreadyExistsError, "ALREADY_EXISTS", 409),
        (ConflictError, "CONFLICT", 409),
        (PayloadTooLargeError, "PAYLOAD_TOO_LARGE", 413),
        (SchemaVersionError, "SCHEMA_VERSION", 500),
        (UnavailableError, "UNAVAILABLE", 503),
    ],
)
def test_codes_statuses_and_round_trip(cls: type[MlstewardError], code: str, status: int) -> None:
    error = cls("boom")
    assert (error.code, error.http_status) == (code, status)
    assert error.to_dict() == {"code": code, "message": "boom"}
    rebuilt = error_from_code(code, "boom")
    assert type(rebuilt) is cls and rebuilt.message == "boom"
    assert ERRORS_BY_CODE[code] is cls


def test_client_input_errors_are_4xx() -> None:
    for cls in (InvalidArgumentError, NotFoundError, AlreadyExistsError, ConflictError):
        assert 400 <= cls.http_status < 500


def test_unknown_code_becomes_the_base_error() -> None:
    error = error_from_code("SOMETHING_NEW", "text")
    assert type(error) is MlstewardError and str(error) == "text"


def test_ids() -> None:
    first, second = new_id(), new_id()
    assert first != second
    assert is_valid_id(first) and len(first) == 32
    assert not is_valid_id("../etc") and not is_valid_id(first.upper())

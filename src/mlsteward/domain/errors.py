"""Errors every layer speaks: each carries a stable code and maps to one HTTP status."""

from __future__ import annotations


class MlstewardError(Exception):
    """Base of all errors the platform raises on purpose.

    ``code`` is stable across releases (clients switch on it); ``http_status`` is what the
    REST API answers with, so the mapping lives in one place.
    """

    code = "INTERNAL_ERROR"
    http_status = 500
    #: What an HTTP client is told instead of ``message`` when the message names what only
    #: the server's operator should see (its files, its artifact root); ``None``: the message.
    public_message: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InvalidArgumentError(MlstewardError):
    """The caller sent something malformed or out of range."""

    code = "INVALID_ARGUMENT"
    http_status = 400


class FilterSyntaxError(InvalidArgumentError):
    """A search filter that does not parse; ``position`` is the offending character index."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class NotFoundError(MlstewardError):
    """A named or identified thing does not exist."""

    code = "NOT_FOUND"
    http_status = 404


class AlreadyExistsError(MlstewardError):
    """Creating something whose unique name is taken."""

    code = "ALREADY_EXISTS"
    http_status = 409


class ConflictError(MlstewardError):
    """The request contradicts recorded state (e.g. a param logged again with another value)."""

    code = "CONFLICT"
    http_status = 409


class PermissionDeniedError(MlstewardError):
    """The actor may not do this."""

    code = "PERMISSION_DENIED"
    http_status = 403


class PayloadTooLargeError(MlstewardError):
    """A request body or field is over the configured limit."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class SchemaVersionError(MlstewardError):
    """The database was written by a newer mlsteward, or cannot be migrated safely."""

    code = "SCHEMA_VERSION"
    http_status = 500


class InsufficientStorageError(MlstewardError):
    """The disk or object store that must hold the data is full; nothing was half-written."""

    code = "INSUFFICIENT_STORAGE"
    http_status = 507
    public_message = (
        "The server is out of storage space: nothing was stored or changed. Tell the "
        "server's operator (the server log says which disk is full), then retry."
    )


class CorruptStoreError(MlstewardError):
    """The database file is damaged: the message names the file and what to do."""

    code = "STORE_CORRUPTED"
    http_status = 500
    public_message = (
        "The server's database is damaged, so the server stopped using it. Tell the "
        "server's operator (the server log names the damaged file and how to recover it)."
    )


class UnavailableError(MlstewardError):
    """A backing service (database, server, object store) cannot be reached."""

    code = "UNAVAILABLE"
    http_status = 503


ERRORS_BY_CODE: dict[str, type[MlstewardError]] = {
    cls.code: cls
    for cls in (
        MlstewardError,
        InvalidArgumentError,
        NotFoundError,
        AlreadyExistsError,
        ConflictError,
        PermissionDeniedError,
        PayloadTooLargeError,
        SchemaVersionError,
        InsufficientStorageError,
        CorruptStoreError,
        UnavailableError,
    )
}


def error_from_code(code: str, message: str) -> MlstewardError:
    """Rebuild the typed error a server reported, so HTTP clients raise what local ones do."""
    return ERRORS_BY_CODE.get(code, MlstewardError)(message)

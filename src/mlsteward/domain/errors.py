"""Errors every layer speaks: each carries a stable code and maps to one HTTP status.

Every subclass is also registered under a stable wire name, so an error raised behind a
server arrives at an HTTP client as the same class (with its public extra fields), not just
as the base class its code names. See :func:`error_from_wire`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

#: wire name -> class; filled as classes are defined (see ``MlstewardError.__init_subclass__``).
_BY_WIRE_NAME: dict[str, type[MlstewardError]] = {}


class MlstewardError(Exception):
    """Base of all errors the platform raises on purpose.

    ``code`` is stable across releases (clients switch on it); ``http_status`` is what the
    REST API answers with, so the mapping lives in one place. ``wire_name`` names the class
    in an error body (``type``); a subclass may set it to keep its name stable when the class
    is renamed or moved, otherwise it is the class's ``__qualname__``. A subclass with fields
    beyond the message overrides :meth:`details` and, when its constructor needs them,
    :meth:`from_wire`.
    """

    code = "INTERNAL_ERROR"
    http_status = 500
    #: What an HTTP client is told instead of ``message`` when the message names what only
    #: the server's operator should see (its files, its artifact root); ``None``: the message.
    public_message: str | None = None
    wire_name: ClassVar[str] = "MlstewardError"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "wire_name" not in cls.__dict__:
            cls.wire_name = cls.__qualname__
        _register(cls)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def details(self) -> dict[str, Any]:
        """The public fields beyond the message (JSON values) an error body carries, so a
        client can rebuild them; none by default. Never anything only the operator may see."""
        return {}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        """The error a server described by ``message`` and :meth:`details`.

        By default ``cls(message)``; when the constructor needs more (or rewrites the
        message) the error is made without it. Each detail then becomes an attribute, unless
        its name is one the class itself defines (code, status, methods).
        """
        error: Self | None
        try:
            error = cls(message)
        except Exception:  # a constructor wanting other arguments
            error = None
        if error is None or error.message != message or error.args != (message,):
            error = cls.__new__(cls)
            MlstewardError.__init__(error, message)
        for name, value in details.items():
            if _settable(cls, name):
                setattr(error, name, value)
        return error


def _register(cls: type[MlstewardError]) -> None:
    """Record ``cls`` under its wire name. A name taken by a class of another module keeps
    its first owner (the package's errors load first); the same class defined again (a
    reloaded module, a class made in a function) replaces the old definition."""
    known = _BY_WIRE_NAME.get(cls.wire_name)
    if known is None or (known.__module__, known.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    ):
        _BY_WIRE_NAME[cls.wire_name] = cls


def _settable(cls: type[MlstewardError], name: str) -> bool:
    """Whether a detail sent by a server may become an attribute of a ``cls`` error."""
    if not name.isidentifier() or name.startswith("_") or name == "message":
        return False
    if hasattr(MlstewardError, name):
        return False
    return not callable(getattr(cls, name, None)) and not isinstance(
        getattr(cls, name, None), property
    )


_BY_WIRE_NAME[MlstewardError.wire_name] = MlstewardError


class InvalidArgumentError(MlstewardError):
    """The caller sent something malformed or out of range."""

    code = "INVALID_ARGUMENT"
    http_status = 400


class FilterSyntaxError(InvalidArgumentError):
    """A search filter that does not parse; ``position`` is the offending character index."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position

    def details(self) -> dict[str, Any]:
        return {"position": self.position}

    @classmethod
    def from_wire(cls, message: str, details: Mapping[str, Any]) -> Self:
        position = details.get("position")
        return cls(message, wire_int(position))


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


class UnauthenticatedError(MlstewardError):
    """No credential, or one that is unknown, expired or revoked: sign in first."""

    code = "UNAUTHENTICATED"
    http_status = 401


class TooManyAttemptsError(MlstewardError):
    """Too many failed sign-ins: locked out for a while."""

    code = "TOO_MANY_ATTEMPTS"
    http_status = 429


class PermissionDeniedError(MlstewardError):
    """The actor may not do this."""

    code = "PERMISSION_DENIED"
    http_status = 403


class PayloadTooLargeError(MlstewardError):
    """A request body or field is over the configured limit."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class UnsupportedMediaTypeError(MlstewardError):
    """A request body in a format the route does not read (its Content-Type)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


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
        UnauthenticatedError,
        TooManyAttemptsError,
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


def error_class(wire_name: str) -> type[MlstewardError] | None:
    """The class registered under ``wire_name``, or ``None`` when none is (loaded)."""
    return _BY_WIRE_NAME.get(wire_name)


def error_from_wire(
    code: str, message: str, wire_name: object = None, details: Mapping[str, Any] | None = None
) -> MlstewardError:
    """The error a server described: the class it named, else the class for ``code``.

    The named class is used only when it is a registered error whose code is ``code``, so a
    server can never make a client build an arbitrary class, nor a class for another code.
    Details the named class refuses also fall back to the class for the code.
    """
    named = _BY_WIRE_NAME.get(wire_name) if isinstance(wire_name, str) else None
    if named is not None and named.code == code:
        try:
            return named.from_wire(message, details or {})
        except Exception:  # noqa: S110 - malformed details: the class for the code will do
            pass
    return error_from_code(code, message)


def wire_int(value: object) -> int | None:
    """``value`` when a server sent an integer for an optional integer detail, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None

"""One persistent HTTP connection pool to an mlsteward server, with retries and typed errors.

Policy in one place: which failures are retried (a connection never made, always; a lost
response or a 502/503/504, only for calls that are safe to repeat), how long to back off, and
how a server's ``{"error": {"code", "message", "type", ...details}}`` becomes the same typed
error (same class, same details) a local store raises. A server that cannot be reached, after
retries, is an :class:`UnavailableError`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from mlsteward._version import __version__
from mlsteward.domain.errors import (
    InvalidArgumentError,
    MlstewardError,
    PermissionDeniedError,
    UnauthenticatedError,
    UnavailableError,
    error_class,
    error_from_wire,
)
from mlsteward.services.api import wire

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
_RETRY_STATUSES = {429, 502, 503, 504}
_BACKOFF_START_S = 0.1
_BACKOFF_MAX_S = 2.0

Content = bytes | Callable[[], Any]

#: Modules defining errors a server may name in ``type``, beyond ``domain.errors``; loaded
#: the first time a server names a class not loaded yet (a client that never touched data
#: sources has not imported their errors), so it can be rebuilt.
ERROR_MODULES = (
    "mlsteward.domain.registry",
    "mlsteward.engines.batch_scoring.errors",
    "mlsteward.engines.data.errors",
    "mlsteward.engines.data.sources.sql_read_only",
    "mlsteward.engines.data.validation.row_expression_errors",
    "mlsteward.engines.models.errors",
    "mlsteward.engines.onnx_export.errors",
    "mlsteward.interfaces.sdk.metric_buffer",
    "mlsteward.interfaces.sdk.spool",
    "mlsteward.services.blob_gc",
    "mlsteward.services.data.register",
)
#: The keys of an error body that are not details of the error.
_ERROR_FIELDS = frozenset({"code", "message", "type"})
#: What a 401 adds to the server's message: how to get a credential.
SIGN_IN_HINT = "run `mlsteward login` (or set MLSTEWARD_TRACKING_TOKEN) to sign in"


def quote_path(path: str) -> str:
    """A run-relative path for a URL. Dots are percent-encoded so no HTTP client collapses
    ``..`` segments before the server sees (and refuses) them."""
    return quote(path, safe="/").replace(".", "%2E")


def quote_segment(value: str) -> str:
    """An id or name as exactly one URL path segment (never trust a caller's string)."""
    return quote_path(str(value)).replace("/", "%2F")


def is_transient(error: MlstewardError) -> bool:
    """True when trying again later may succeed (server unreachable or overloaded)."""
    return isinstance(error, UnavailableError) or error.http_status in _RETRY_STATUSES


@functools.cache
def _load_error_modules() -> None:
    for name in ERROR_MODULES:
        # A module this client cannot load (an optional dependency it lacks) leaves its
        # errors to their code; it must not hide the error being reported.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _named_type(fields: dict[str, Any], code: str) -> object:
    """The class a server named; a server from before ``type`` told a gate refusal by its
    ``reasons`` alone."""
    named = fields.get("type")
    legacy_gate = code == PermissionDeniedError.code and isinstance(fields.get("reasons"), list)
    if named is None and legacy_gate:
        return "GateError"
    if isinstance(named, str) and error_class(named) is None:
        _load_error_modules()
    return named


def error_from_response(response: httpx.Response) -> MlstewardError:
    """The typed error a server answered with; its ``http_status`` is the status received.

    The class is the one the server named (``type``) when that is a known error with the
    code received, rebuilt with its details; otherwise the class for the code.
    """
    status = response.status_code
    try:
        fields = response.json()["error"]
        code, message = str(fields["code"]), str(fields["message"])
        details = {k: v for k, v in fields.items() if k not in _ERROR_FIELDS}
        error = error_from_wire(code, message, _named_type(fields, code), details)
    except Exception:  # not our JSON: a proxy, or a server that is not mlsteward
        text = response.text[:200].strip() or response.reason_phrase
        cls = UnavailableError if status in _RETRY_STATUSES else MlstewardError
        error = cls(f"HTTP {status} from {response.request.url}: {text}")
    if status == UnauthenticatedError.http_status:
        # Always the typed error (a proxy's 401 too), saying how to get a credential.
        message = error.message
        if "mlsteward login" not in message:
            message = f"{message.rstrip('. ')}; {SIGN_IN_HINT}"
        error = UnauthenticatedError(message)
    error.http_status = status
    return error


class ApiClient:
    """Requests to ``{uri}/api/v1``; thread-safe (httpx's pool is), one per server per process.

    ``user`` is sent in ``X-Mlsteward-User`` on every request, percent-encoded when it is not
    plain ASCII (:func:`~mlsteward.services.api.wire.encode_user`); a server that signs
    people in ignores it and goes by ``token``, sent as ``Authorization: Bearer`` on every
    request (JSON calls, uploads, streamed downloads, spooled changes alike).
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        token: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        attempts: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.uri = uri.rstrip("/")
        self.attempts = attempts
        headers = {"User-Agent": f"mlsteward/{__version__}"}
        if user:
            headers[wire.USER_HEADER] = wire.encode_user(user)
        if token:
            if not (token.isascii() and token.isprintable()) or token != token.strip():
                # Said without the value: it may be a secret pasted into the wrong place.
                raise InvalidArgumentError("The token is not one line of printable ASCII")
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=self.uri + wire.API_PREFIX,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: Content | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        attempts: int | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response or raise the server's typed error.

        ``content`` may be a callable returning fresh content (an open file, say) so a retry
        can send it again. ``idempotent=False`` retries only when no connection was made.
        """
        send_headers = dict(headers or {})
        body: Any = None
        if json is not None:
            body = wire.dumps(json)
            send_headers.setdefault("Content-Type", "application/json")
        tries = attempts or self.attempts
        delay = _BACKOFF_START_S
        for attempt in range(1, tries + 1):
            payload = content() if callable(content) else (content if body is None else body)
            try:
                response = self._client.request(
                    method,
                    path,
                    content=payload,
                    params=params,
                    headers=send_headers,
                    timeout=timeout or self._client.timeout,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                failure: MlstewardError = self._unreachable(error)
            except httpx.TransportError as error:
                failure = self._unreachable(error)
                if not idempotent:
                    raise failure from error
            else:
                if response.is_success:
                    return response
                failure = error_from_response(response)
                if not (idempotent and response.status_code in _RETRY_STATUSES):
                    raise failure
            finally:
                if payload is not None and hasattr(payload, "close"):
                    payload.close()
            if attempt == tries:
                raise failure
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - retry jitter, not security
            delay = min(delay * 2, _BACKOFF_MAX_S)
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    @contextlib.contextmanager
    def stream(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[httpx.Response]:
        """A streamed GET (artifact downloads), not retried: the caller restarts a failed file."""
        try:
            with self._client.stream("GET", path, params=params) as response:
                if not response.is_success:
                    response.read()
                    raise error_from_response(response)
                yield response
        except httpx.TransportError as error:
            raise self._unreachable(error) from error

    def _unreachable(self, error: httpx.TransportError) -> UnavailableError:
        return UnavailableError(
            f"Cannot reach the mlsteward server at {self.uri}: {type(error).__name__}: {error}"
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""One persistent HTTP connection pool to an mlsteward server, with retries and typed errors.

Policy in one place: which failures are retried (a connection never made, always; a lost
response or a 502/503/504, only for calls that are safe to repeat), how long to back off, and
how a server's ``{"error": {"code", "message"}}`` becomes the same typed error a local store
raises. A server that cannot be reached, after retries, is an :class:`UnavailableError`.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from mlsteward._version import __version__
from mlsteward.domain.errors import (
    MlstewardError,
    PermissionDeniedError,
    UnavailableError,
    error_from_code,
)
from mlsteward.domain.registry import GateError
from mlsteward.services.api import wire

DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
_RETRY_STATUSES = {429, 502, 503, 504}
_BACKOFF_START_S = 0.1
_BACKOFF_MAX_S = 2.0

Content = bytes | Callable[[], Any]


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


def error_from_response(response: httpx.Response) -> MlstewardError:
    """The typed error a server answered with; its ``http_status`` is the status received."""
    status = response.status_code
    try:
        body = response.json()
        code, message = body["error"]["code"], body["error"]["message"]
        error = error_from_code(str(code), str(message))
        reasons = body["error"].get("reasons")
        if isinstance(error, PermissionDeniedError) and isinstance(reasons, list):
            error = GateError(str(message), [str(r) for r in reasons])  # a registry gate
    except Exception:  # not our JSON: a proxy, or a server that is not mlsteward
        text = response.text[:200].strip() or response.reason_phrase
        cls = UnavailableError if status in _RETRY_STATUSES else MlstewardError
        error = cls(f"HTTP {status} from {response.request.url}: {text}")
    error.http_status = status
    return error


class ApiClient:
    """Requests to ``{uri}/api/v1``; thread-safe (httpx's pool is), one per server per process.

    ``user`` is sent in ``X-Mlsteward-User`` on every request, percent-encoded when it is not
    plain ASCII (:func:`~mlsteward.services.api.wire.encode_user`).
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        attempts: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.uri = uri.rstrip("/")
        self.attempts = attempts
        headers = {"User-Agent": f"mlsteward/{__version__}"}
        if user:
            headers[wire.USER_HEADER] = wire.encode_user(user)
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

"""The SDK's one seam to the platform: ``Transport.call(operation, request)``.

Every typed method of ``Client`` (and of the fluent, data, monitoring and model functions)
builds the declared operation's request and hands it to a transport. The in-process
transport runs it through the same dispatcher the server's routes use; the HTTP transport
sends it to the route mounted from the same declaration and decodes the answer with the
declaration's decoder, so both return equal results and raise the same errors.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import SecretStr

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.interfaces.sdk.http_client import (
    DEFAULT_TIMEOUT,
    ApiClient,
    quote_path,
    quote_segment,
)
from mlsteward.services.api import wire
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import Operation, OperationRequest, WireForm, dispatch

RequestT = TypeVar("RequestT", bound=OperationRequest)
ResultT = TypeVar("ResultT")


class Transport(Protocol):
    """Runs declared operations against one platform (a local store or a server)."""

    uri: str

    def call(self, operation: Operation[RequestT, ResultT], request: RequestT) -> ResultT: ...

    def stream(
        self, operation: Operation[RequestT, Any], request: RequestT
    ) -> contextlib.AbstractContextManager[Iterator[bytes]]: ...

    def close(self) -> None: ...


class InProcessTransport:
    """Calls the services in this process, through the dispatcher (policy and audit)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.uri = ctx.stores.uri

    def context(self) -> ServiceContext:
        """The context the next call runs in."""
        return self.ctx

    def call(self, operation: Operation[RequestT, ResultT], request: RequestT) -> ResultT:
        return dispatch(self.context(), operation, request)

    @contextlib.contextmanager
    def stream(
        self, operation: Operation[RequestT, Any], request: RequestT
    ) -> Iterator[Iterator[bytes]]:
        """A download's content in chunks: the service's result is a binary file or chunks."""
        content = dispatch(self.context(), operation, request)
        try:
            yield _chunks(content)
        finally:
            if hasattr(content, "close"):
                content.close()

    def close(self) -> None:
        return None  # the context belongs to whoever opened it


class HttpTransport:
    """Sends each operation to the route mounted from its declaration."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.uri = api.uri

    def call(self, operation: Operation[RequestT, ResultT], request: RequestT) -> ResultT:
        """JSON in and out; an upload sends the request's ``content`` as the raw body (a
        callable returning a fresh file is called again for each retry); a download decodes
        the raw bytes answered (use :meth:`stream` for content too large to hold)."""
        body = getattr(request, "body", None)
        timeout = None
        if operation.timeout_s is not None:
            timeout = httpx.Timeout(operation.timeout_s, connect=DEFAULT_TIMEOUT.connect)
        if operation.wire is WireForm.UPLOAD:
            response = self.api.request(
                operation.method,
                request_path(operation, request),
                content=request.content,  # type: ignore[attr-defined]
                params=query_parameters(operation, request),
                headers={"Content-Type": "application/octet-stream"},
                idempotent=bool(operation.idempotent),
                timeout=timeout,
            )
        else:
            response = self.api.request(
                operation.method,
                request_path(operation, request),
                json=None
                if body is None
                else json_body(body.model_dump(exclude_unset=True, warnings=False)),
                params=query_parameters(operation, request),
                idempotent=bool(operation.idempotent),
                timeout=timeout,
            )
        if operation.decode is None:
            return None  # type: ignore[return-value]  # an operation without a result
        if operation.wire is WireForm.DOWNLOAD:
            return operation.decode(response.content)
        return operation.decode(response.json() if response.content else None)

    @contextlib.contextmanager
    def stream(
        self, operation: Operation[RequestT, Any], request: RequestT
    ) -> Iterator[Iterator[bytes]]:
        """A download's content in chunks, as it arrives (not retried: restart the file)."""
        path = request_path(operation, request)
        with self.api.stream(path, params=query_parameters(operation, request)) as response:
            yield response.iter_bytes()

    def close(self) -> None:
        self.api.close()


def request_path(operation: Operation[Any, Any], request: OperationRequest) -> str:
    """The operation's path with the request's values, each quoted so it stays one segment
    (a ``{name:path}`` placeholder keeps its slashes)."""
    path = operation.path
    for name in operation.path_fields:
        value = str(getattr(request, name))
        if f"{{{name}:path}}" in path:
            path = path.replace(f"{{{name}:path}}", quote_path(value))
            continue
        if not value.strip() or "/" in value:
            # The server could not route it; refuse it as the service would.
            raise InvalidArgumentError(f"{name} must be non-empty and contain no '/': {value!r}")
        path = path.replace(f"{{{name}}}", quote_segment(value))
    return path


def query_parameters(operation: Operation[Any, Any], request: OperationRequest) -> dict[str, Any]:
    """The request's query fields that are set (a list repeats its parameter)."""
    skip = {*operation.path_fields, "body", "content"}
    params: dict[str, Any] = {}
    for name in type(request).model_fields:
        value = getattr(request, name)
        if name in skip or value is None:
            continue
        params[name] = list(value) if isinstance(value, list | tuple) else value
    return params


def _chunks(content: Any, size: int = 1 << 20) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
        return
    if hasattr(content, "read"):
        while chunk := content.read(size):
            yield chunk
        return
    yield from content


def request_json(body: Any) -> Any:
    """The JSON of an unvalidated body model: the fields the caller set, wire-safe."""
    return json_body(body.model_dump(exclude_unset=True, warnings=False))


def json_body(content: Any) -> Any:
    """``content`` ready for JSON: non-finite floats as the wire's agreed strings, and a
    secret (a password) as its value: the request body is the one place it must travel."""
    if isinstance(content, SecretStr):
        return content.get_secret_value()
    if isinstance(content, float):
        return content if math.isfinite(content) else wire.encode_float(content)
    if isinstance(content, dict):
        return {key: json_body(value) for key, value in content.items()}
    if isinstance(content, list | tuple):
        return [json_body(value) for value in content]
    return content


def invoke(transport: Transport, operation: Operation[Any, ResultT], **values: Any) -> ResultT:
    """Call ``operation`` with a request made of ``values`` (see :meth:`Operation.make`)."""
    return transport.call(operation, operation.make(**values))


class OperationCaller:
    """What ``Client`` and its mixins share: ``self._call(operation, **values)`` on the
    transport of the client's backend."""

    _backend: Any

    def _call(self, operation: Operation[Any, ResultT], **values: Any) -> ResultT:
        return invoke(self._backend.transport, operation, **values)

"""ASGI middleware: request size limits and a JSON 500 for anything unexpected."""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlsteward.interfaces.rest.errors import error_response
from mlsteward.interfaces.rest.log_batch_budget import max_log_batch_bytes
from mlsteward.services.api.wire import API_PREFIX
from mlsteward.services.limits import Limits

log = logging.getLogger("mlsteward.server")

_UPLOAD_PATH = re.compile(rf"^{re.escape(API_PREFIX)}/runs/[^/]+/artifacts/.")
# A dataset version arrives as one streamed Parquet body, as large as the data.
_DATASET_UPLOAD_PATH = re.compile(rf"^{re.escape(API_PREFIX)}/datasets/[^/]+/versions$")
_LOG_BATCH_PATH = re.compile(rf"^{re.escape(API_PREFIX)}/runs/[^/]+/log-batch$")
# Signing in takes a name and a password (or a token): a few hundred bytes. A small limit
# keeps anyone from making the server read, parse and hash megabytes before saying no.
_AUTH_PATH = re.compile(rf"^{re.escape(API_PREFIX)}/auth/")
MAX_AUTH_BODY_BYTES = 64 * 1024


def _is_artifact_upload(scope: Scope) -> bool:
    """Streamed file bodies (artifacts, dataset versions) get the artifact size limit."""
    method, path = scope["method"], scope["path"]
    return (method == "PUT" and bool(_UPLOAD_PATH.match(path))) or (
        method == "POST" and bool(_DATASET_UPLOAD_PATH.match(path))
    )


def _is_log_batch(scope: Scope) -> bool:
    return scope["method"] == "POST" and bool(_LOG_BATCH_PATH.match(scope["path"]))


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413: by ``Content-Length`` before reading a byte,
    and by counting as they arrive for chunked bodies. Artifact uploads have their own limit,
    and so have sign-ins (``MAX_AUTH_BODY_BYTES``);
    a log-batch may be no larger than its count limits allow (``log_batch_budget``), so a
    batch of millions of points is refused before the server reads, let alone parses, it.

    When the refusal comes before the body is read, uvicorn reads and discards the rest of it
    on the kept-alive connection, so the client (which sends its whole request before reading)
    sees the 413 rather than a reset connection.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_json_body_bytes: int,
        max_artifact_bytes: int,
        limits: Limits | None = None,
    ) -> None:
        self.app = app
        self.max_json_body_bytes = max_json_body_bytes
        self.max_artifact_bytes = max_artifact_bytes
        self.max_log_batch_bytes = min(max_json_body_bytes, max_log_batch_bytes(limits or Limits()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _is_artifact_upload(scope):
            limit, what = self.max_artifact_bytes, "An artifact upload"
        elif _is_log_batch(scope):
            limit, what = self.max_log_batch_bytes, "A log-batch request"
        elif _AUTH_PATH.match(scope["path"]):
            limit = min(self.max_json_body_bytes, MAX_AUTH_BODY_BYTES)
            what = "A sign-in request"
        else:
            limit, what = self.max_json_body_bytes, "A request body"
        too_large = f"{what} may hold at most {limit} bytes"
        declared = _content_length(scope)
        if declared is not None:
            if declared < 0:
                response = error_response(400, "INVALID_ARGUMENT", "Invalid Content-Length")
                await response(scope, receive, send)
                return
            if declared > limit:
                message = f"{too_large}; this one declares {declared}"
                response = error_response(413, "PAYLOAD_TOO_LARGE", message)
                await response(scope, receive, send)
                return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"{too_large}; more was sent")
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


class UnhandledErrorMiddleware:
    """Turn an exception no handler knew into a JSON 500 without a traceback (logged here).

    Placed outside the routing layer so it also covers middleware; when the response had
    already started there is nothing left to tell the client, and the error is re-raised so
    the server drops the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            log.info("Client went away during %s %s", scope["method"], scope["path"])
        except Exception:
            log.exception("Unhandled error in %s %s", scope["method"], scope["path"])
            if started:
                raise
            response = error_response(
                500, "INTERNAL_ERROR", "Internal server error; the server log has the details"
            )
            await response(scope, receive, send)

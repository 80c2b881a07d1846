"""Every error leaves the server as ``{"error": {"code": ..., "message": ...}}``.

Typed service errors keep their own status and also name their class (``type``, its wire
name) next to its public details (a gate's ``reasons``, a filter's ``position``), so an HTTP
client raises the same class a local caller would. Request validation failures become 400 with a
message a person can act on (FastAPI's default is a 422 with a nested blob); unknown routes
and methods get JSON too. Unexpected exceptions are handled by
:class:`mlsteward.interfaces.rest.middleware.UnhandledErrorMiddleware`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import get_route_path

from mlsteward.domain.errors import MlstewardError
from mlsteward.interfaces.rest.authentication import CHALLENGE
from mlsteward.interfaces.rest.responses import json_response

_log = logging.getLogger("mlsteward.server")

# Codes for statuses the router itself produces; service errors carry their own code.
_CODES_BY_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    503: "UNAVAILABLE",
}
_MAX_REPORTED = 3
# Segments pydantic adds to a location for each alternative of a union; not field names.
_UNION_TAGS = {"float", "int", "str", "columns", "points"}


def error_response(
    status_code: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """The error body; ``extra`` fields follow code and message (never replacing them)."""
    body: dict[str, Any] = {"code": code, "message": message}
    for name, value in (extra or {}).items():
        body.setdefault(name, value)
    response = json_response({"error": body}, status_code)
    if headers:
        response.headers.update(headers)
    return response


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, str) and ("[" in part or part in _UNION_TAGS):
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "request"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    """One line per problem (at most three): where it is, what is wrong, what was sent."""
    lines: list[str] = []
    seen: set[str] = set()
    for error in errors:
        loc = tuple(error.get("loc", ()))
        kind = error.get("type", "")
        if kind == "json_invalid":
            detail = (error.get("ctx") or {}).get("error", "malformed JSON")
            position = loc[1] if len(loc) > 1 else "?"
            lines.append(f"Invalid JSON body at position {position}: {detail}")
            continue
        where = _location(loc)
        if where in seen:  # a union reports each alternative; one line per place is enough
            continue
        seen.add(where)
        if loc == ("body",) and isinstance(error.get("input"), bytes | str):
            lines.append("The body must be a JSON object sent as Content-Type: application/json")
        elif kind == "missing":
            lines.append(f"{where}: required" if loc != ("body",) else "A JSON body is required")
        elif kind in ("extra_forbidden",):
            lines.append(f"{where}: unknown field")
        else:
            message = f"{where}: {error.get('msg', 'invalid')}"
            if "input" in error and not isinstance(error["input"], dict | list):
                message += f" (got {_short(error['input'])})"
            lines.append(message)
    more = len(lines) - _MAX_REPORTED
    text = "; ".join(lines[:_MAX_REPORTED])
    return f"{text}; and {more} more" if more > 0 else text


def client_message(error: BaseException) -> str:
    """What a client may read about ``error``: its public message where the full one names
    the server's files (logged here instead, for the operator), else the message."""
    if not isinstance(error, MlstewardError):
        return str(error)
    if error.public_message is None:
        return error.message
    _log.error("%s", error.message)
    return error.public_message


async def _service_error(_request: Request, exc: Exception) -> Response:
    error = cast(MlstewardError, exc)  # registered for this class only
    message = client_message(error)
    named: dict[str, Any] = {"type": error.wire_name}
    # Every 401 says how to authenticate (RFC 9110), whichever layer refused.
    headers = {"WWW-Authenticate": CHALLENGE} if error.http_status == 401 else None
    try:
        extra = named | {k: v for k, v in error.details().items() if k not in named}
        return error_response(error.http_status, error.code, message, headers, extra=extra)
    except Exception:  # details that do not encode must not turn the error into a 500
        _log.exception("Cannot send the details of %s", error.wire_name)
        return error_response(error.http_status, error.code, message, headers, extra=named)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    errors = cast(RequestValidationError, exc).errors()  # registered for this class only
    return error_response(400, "INVALID_ARGUMENT", describe_validation_errors(list(errors)))


async def _http_error(request: Request, exc: Exception) -> Response:
    error = cast(StarletteHTTPException, exc)  # registered for this class only
    status = error.status_code
    code = _CODES_BY_STATUS.get(status, "HTTP_ERROR" if status < 500 else "INTERNAL_ERROR")
    headers = dict(error.headers or {})
    if status == 404 and error.detail == "Not Found":
        message = f"No such endpoint: {request.method} {request.url.path}"
    elif status == 405:
        allowed = allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        message = (
            f"Method {request.method} is not allowed on {request.url.path}; "
            f"use {', '.join(allowed)}"
        )
    else:
        message = str(error.detail)
    return error_response(status, code, message, headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, sorted.

    Starlette answers a 405 from the first route whose path matched, so its ``Allow`` names
    that route's methods only; a path served by several routes (GET and DELETE of a run)
    needs all of them.
    """
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MlstewardError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

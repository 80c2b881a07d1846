"""The OpenAPI document as the server really answers, derived from each route's inputs.

FastAPI documents a 422 validation error on every route with inputs, but this server answers
400 (see :mod:`errors`), and it knows nothing of the statuses the services and middleware
send. :func:`install_openapi_document` post-processes FastAPI's document once, from facts
about each route rather than a list per route:

- every route with inputs may answer 400 (a malformed value or a service rule broken), and
  every route acting for the caller reads ``X-Mlsteward-User``, documented as a header;
- a route with path parameters may answer 404 (the thing named does not exist);
- a route with a request body may answer 413 (over the server's size limit);
- a route acting for the caller authenticates it, which may refuse a credential (401) or
  too many failed sign-ins (429), passes the policy, which may refuse (403), and reads the
  store, which may be unreachable (503), and a write
  (POST, PUT, PATCH, DELETE) may contradict recorded state (409) or meet a full disk (507).

Acting routes also name the credentials they take (``security``: a Bearer token, Basic with
a token as the password, or the session cookie, or none at all for what anonymous callers
may do). Statuses a route declares itself (403 from a gate, 409 on a read) are kept as
declared. Every error uses the ``ErrorResponse`` schema unless the route declared another
one. Bounds set by :class:`Limits` are those of the app's service context, the limits its
services enforce.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from mlsteward.interfaces.rest.dependencies import (
    MAX_HEADER_LENGTH,
    MAX_USER_LENGTH,
    service_context,
)
from mlsteward.services.api.documented_types import with_limits
from mlsteward.services.api.schemas import ErrorBody, ErrorResponse
from mlsteward.services.api.wire import USER_HEADER, USER_HEADER_UTF8
from mlsteward.services.context import ServiceContext

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ERROR_REF = "#/components/schemas/ErrorResponse"
_CALLER_PARAMETER = "CallerHeader"
_CALLER_REF = f"#/components/parameters/{_CALLER_PARAMETER}"
#: The ways a caller proves who it is (see ``interfaces.rest.authentication``).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (mls_...), from `mlsteward login`, `mlsteward tokens "
        "create` or POST /api/v1/auth/login.",
    },
    "basicToken": {
        "type": "http",
        "scheme": "basic",
        "description": "User name and an API token as the password (MLflow-style clients).",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "mlsteward_session",
        "description": "A browser session from POST /api/v1/auth/session; requests that change "
        "state must also send X-CSRF-Token equal to the mlsteward_csrf cookie.",
    },
}
#: Any one scheme, or none (``{}``): an anonymous caller may call what the policy allows.
_SECURITY: list[dict[str, list[str]]] = [{name: []} for name in SECURITY_SCHEMES]
_SECURITY.append({})

#: What each derived status means, as the document's response description.
DESCRIPTIONS: dict[int, str] = {
    400: "INVALID_ARGUMENT: a malformed request or a value a rule refuses; the message says which",
    401: "UNAUTHENTICATED: no valid credential, and this needs one (sign in, send a token)",
    403: "PERMISSION_DENIED: the caller or this server's settings do not allow it",
    404: "NOT_FOUND: the thing named does not exist",
    409: "CONFLICT or ALREADY_EXISTS: the request contradicts recorded state",
    413: "PAYLOAD_TOO_LARGE: the body is over this server's limit",
    429: "TOO_MANY_ATTEMPTS: too many failed sign-ins; wait and try again",
    503: "UNAVAILABLE: the store cannot be reached",
    507: "INSUFFICIENT_STORAGE: the disk or object store is full; nothing was written",
}


def install_openapi_document(app: FastAPI) -> None:
    """Serve the described document at ``/openapi.json`` (built once, on first request).

    Built from ``app.state.ctx`` as it is then, so the bounds stated are the limits the
    services enforce, not the defaults the types were declared with.
    """
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            ctx: ServiceContext = app.state.ctx
            document = with_limits(generate(), ctx.limits)
            app.openapi_schema = describe_answers(document, app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe_answers(document: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """``document`` with every route's real error statuses and no 422 (changed in place)."""
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    acting_routes = False
    for route in iter_route_contexts(list(routes)):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        path_item = paths.get(route.path_format or "", {})
        acts = route.dependant is not None and _acts_for_caller(route.dependant)
        acting_routes = acting_routes or acts
        for method in sorted(route.methods or ()):
            operation = path_item.get(method.lower())
            if operation is None:
                continue
            statuses = _statuses(method, operation, acts)
            parameters = operation.setdefault("parameters", [])
            if acts and {"$ref": _CALLER_REF} not in parameters:
                parameters.append({"$ref": _CALLER_REF})
            if acts:
                operation.setdefault("security", _SECURITY)
            if not parameters:
                del operation["parameters"]
            _describe_operation(operation, statuses)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _add_error_schemas(schemas)
    if acting_routes:
        components.setdefault("parameters", {})[_CALLER_PARAMETER] = _caller_parameter()
        components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    return document


def _statuses(method: str, operation: dict[str, Any], acts: bool) -> set[int]:
    parameters = [p for p in operation.get("parameters", []) if "$ref" not in p]
    has_body = "requestBody" in operation
    statuses: set[int] = set()
    if acts or has_body or parameters:
        statuses.add(400)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if has_body:
        statuses.add(413)
    if acts:
        statuses |= {401, 403, 429, 503}
        if method in _WRITES:
            statuses |= {409, 507}
    return statuses


def _describe_operation(operation: dict[str, Any], statuses: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status in statuses:
        responses.setdefault(str(status), {})
    for code, response in responses.items():
        status = int(code) if code.isdigit() else 0
        if status < 400:
            continue
        if response.get("description", _phrase(status)) == _phrase(status):
            response["description"] = DESCRIPTIONS.get(status, _phrase(status))
        # Errors are JSON whatever the route answers on success (FastAPI files a declared
        # error model under the route's own media type, text/html for a report).
        declared = [media.get("schema") for media in response.get("content", {}).values()]
        schema = next((s for s in declared if s), {"$ref": _ERROR_REF})
        response["content"] = {"application/json": {"schema": schema}}
    operation["responses"] = dict(sorted(responses.items()))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _acts_for_caller(dependant: Dependant) -> bool:
    """Whether the route (through any dependency) runs the services as the caller."""
    return any(
        sub.call is service_context or _acts_for_caller(sub) for sub in dependant.dependencies
    )


def _caller_parameter() -> dict[str, Any]:
    return {
        "name": USER_HEADER,
        "in": "header",
        "required": False,
        "description": "On a server started with --no-auth only (ignored otherwise: the "
        "credential says who acts): who acts, as recorded in runs, approvals and histories, a "
        f"printable name of at most {MAX_USER_LENGTH} characters, 'anonymous' without it. A "
        f"name that is not plain ASCII travels as {USER_HEADER_UTF8} and its UTF-8 bytes "
        "percent-encoded.",
        "schema": {"type": "string", "maxLength": MAX_HEADER_LENGTH},
    }


def _add_error_schemas(schemas: dict[str, Any]) -> None:
    """``ErrorResponse`` and ``ErrorBody``, for documents whose routes never named them."""
    template = "#/components/schemas/{model}"
    for model in (ErrorBody, ErrorResponse):
        schema = model.model_json_schema(ref_template=template)
        schema.pop("$defs", None)
        schemas.setdefault(model.__name__, schema)

"""REST routes mounted from operation declarations: no route is written by hand twice.

For each JSON operation a FastAPI endpoint is built whose parameters are the request model's
fields (path fields in the path, ``body`` as the JSON body, the rest as query parameters), so
FastAPI validates and documents them as before; the endpoint rebuilds the request, runs it
through :func:`~mlsteward.services.operations.dispatch` and writes the result with the
operation's encoder.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Path, Query, Response

from mlsteward.interfaces.rest.dependencies import Ctx
from mlsteward.interfaces.rest.responses import json_response, no_content
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.context import ServiceContext
from mlsteward.services.operations import Operation, WireForm, dispatch

# Built at run time from a model's fields, which a type checker cannot follow.
_ANNOTATED = cast(Any, Annotated)


def mount_operations(router: APIRouter, operations: Iterable[Operation[Any, Any]]) -> None:
    """Add a route for every JSON operation (upload and download operations have routes
    written for their content, which call the same dispatcher)."""
    for operation in operations:
        if operation.wire is WireForm.JSON:
            router.add_api_route(
                operation.path,
                endpoint_for(operation),
                methods=[operation.method],
                status_code=operation.status,
                response_model=operation.response_model,
                name=operation.name,
                tags=[operation.tag] if operation.tag else None,
                description=operation.description or None,
                responses=documented_responses(operation),
            )


def documented_responses(operation: Operation[Any, Any]) -> dict[int | str, dict[str, Any]]:
    """The statuses the operation declares, each with the error schema unless it names one
    (the OpenAPI post-processing adds the ones every route derives)."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status, described in operation.responses.items():
        if described is None:
            documented[status] = {"model": ErrorResponse}
        elif isinstance(described, dict):
            documented[status] = described
        else:
            documented[status] = {"model": described}
    return documented


def endpoint_for(operation: Operation[Any, Any]) -> Callable[..., Response]:
    """A FastAPI endpoint taking the request's fields and answering the encoded result."""
    request_type = operation.request
    path_fields = set(operation.path_fields)
    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Ctx),
    ]
    for name, field in request_type.model_fields.items():
        documented = {"description": field.description, "examples": field.examples}
        if name in path_fields:
            marker: Any = Path(**documented)
        elif name == "body":
            marker = Body()
        else:
            marker = Query(**documented)
        annotation = _ANNOTATED[(field.annotation, *field.metadata, marker)]
        default = inspect.Parameter.empty if field.is_required() else field.default
        parameters.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
            )
        )
    encode = operation.encode
    status = operation.status

    def endpoint(ctx: ServiceContext, **fields: Any) -> Response:
        result = dispatch(ctx, operation, request_type.model_construct(**fields))
        if encode is None or result is None:
            return no_content()
        return json_response(encode(result), status)

    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__annotations__ = {p.name: p.annotation for p in parameters}
    endpoint.__name__ = operation.name.rsplit(".", 1)[-1]
    endpoint.__doc__ = operation.description
    return endpoint

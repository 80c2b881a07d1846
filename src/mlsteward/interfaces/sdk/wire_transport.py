"""An HTTP transport for requests whose JSON body is already in wire form.

A spooled change is kept on disk as the JSON it is sent as, and a log batch is packed in
columns once, when it is made: both are sent as they are, never walked again value by value
(a batch holds up to 100,000 points), with the retries and timeout their sender chooses.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.interfaces.sdk.transport import HttpTransport, query_parameters, request_path
from mlsteward.services.operations import Operation, OperationRequest

RequestT = TypeVar("RequestT", bound=OperationRequest)
ResultT = TypeVar("ResultT")
BodyT = TypeVar("BodyT", bound=BaseModel)


class WireHttpTransport(HttpTransport):
    """An HTTP transport for run changes: each request's JSON body is sent as it was built,
    already in wire form (a spooled change, a packed log batch), so a batch of 10,000 points
    is not walked again; ``attempts`` and ``timeout`` replace the client's defaults."""

    def __init__(
        self, api: ApiClient, *, attempts: int | None = None, timeout: httpx.Timeout | None = None
    ) -> None:
        super().__init__(api)
        self.attempts = attempts
        self.timeout = timeout

    def call(self, operation: Operation[RequestT, ResultT], request: RequestT) -> ResultT:
        body = getattr(request, "body", None)
        response = self.api.request(
            operation.method,
            request_path(operation, request),
            json=None if body is None else wire_form(body),
            params=query_parameters(operation, request),
            idempotent=bool(operation.idempotent),
            attempts=self.attempts,
            timeout=self.timeout,
        )
        if operation.decode is None:
            return None  # type: ignore[return-value]  # an operation without a result
        return operation.decode(response.json() if response.content else None)


def wire_form(body: Any) -> dict[str, Any]:
    """The fields a body was built with, as they are (in the model's order)."""
    given = body.model_fields_set
    return {name: getattr(body, name) for name in type(body).model_fields if name in given}


def wire_body(model: type[BodyT], body: dict[str, Any]) -> BodyT:
    """A request body holding ``body`` (already in wire form) as it is: every field is given,
    so pydantic runs no default factory (which costs more than a small batch's write), but
    only ``body``'s own keys count as set, and only they are sent."""
    values: dict[str, Any] = dict.fromkeys(model.model_fields)
    values.update(body)
    return model.model_construct(_fields_set=set(body), **values)

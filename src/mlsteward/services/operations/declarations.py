"""``Declarations``: a domain's operations, declared on their service adapters.

Each domain keeps one ``Declarations`` with what its operations share (the name prefix, the
kind of resource, the OpenAPI group) and decorates the function that runs each operation::

    declare = Declarations("tracking", ResourceKind.EXPERIMENT, tag="experiments")

    @declare.get("/experiments/{experiment_id}", returns=EXPERIMENT)
    def get_experiment(ctx: ServiceContext, r: ExperimentId) -> Experiment:
        return experiments.get_experiment(ctx, r.experiment_id)

The decorator returns the :class:`Operation` (named ``tracking.get_experiment``, its request
model read from the annotation of ``r``), and ``declare.operations`` lists them in order.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from mlsteward.services.operations.declaration import HttpMethod, Operation
from mlsteward.services.operations.kinds import Action, ResourceKind

ResultT = TypeVar("ResultT")

_DEFAULT_ACTIONS: dict[str, Action] = {
    "GET": Action.READ,
    "POST": Action.CREATE,
    "PUT": Action.UPDATE,
    "PATCH": Action.UPDATE,
    "DELETE": Action.DELETE,
}


@dataclass(frozen=True)
class Codec(Generic[ResultT]):
    """How a result travels: ``encode`` to JSON on the server (``None`` for a download, whose
    route writes the content itself), ``decode`` back on a client, and the pydantic model
    documenting the JSON."""

    encode: Callable[[ResultT], Any] | None
    decode: Callable[[Any], ResultT]
    model: type[BaseModel] | None = None


class Declarations:
    """The operations of one domain, in the order they are declared."""

    def __init__(
        self,
        domain: str,
        resource: ResourceKind,
        *,
        tag: str = "",
        responses: dict[int, Any] | None = None,
    ) -> None:
        self.domain = domain
        self.resource = resource
        self.tag = tag
        self.responses = dict(responses or {})
        self.operations: list[Operation[Any, Any]] = []

    def get(self, path: str, **options: Any) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        return self.declare("GET", path, **options)

    def post(
        self, path: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        return self.declare("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        return self.declare("PUT", path, **options)

    def patch(
        self, path: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        return self.declare("PATCH", path, **options)

    def delete(
        self, path: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        return self.declare("DELETE", path, **options)

    def declare(
        self,
        method: HttpMethod,
        path: str,
        *,
        returns: Codec[Any] | None = None,
        action: Action | None = None,
        resource: ResourceKind | None = None,
        responses: dict[int, Any] | None = None,
        tag: str | None = None,
        **options: Any,
    ) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        """Declare the decorated function as the operation ``method path``. ``options`` are
        the remaining :class:`Operation` fields (``status``, ``idempotent``, ``mutates``,
        ``wire``, ``timeout_s``, ``resource_name``)."""

        def register(run: Callable[..., Any]) -> Operation[Any, Any]:
            operation = Operation(
                name=f"{self.domain}.{run.__name__.lstrip('_')}",
                method=method,
                path=path,
                request=_request_type(run),
                run=run,
                action=action or _DEFAULT_ACTIONS[method],
                resource=resource or self.resource,
                encode=returns.encode if returns else None,
                decode=returns.decode if returns else None,
                response_model=returns.model if returns else None,
                tag=self.tag if tag is None else tag,
                responses={**self.responses, **(responses or {})},
                **options,
            )
            self.operations.append(operation)
            return operation

        return register


def _request_type(run: Callable[..., Any]) -> type[Any]:
    """The request model a run function takes as its second parameter."""
    hints = typing.get_type_hints(run)
    names = [name for name in hints if name != "return"]
    if len(names) != 2:
        raise TypeError(f"{run.__name__} must take (ctx, request) with annotations")
    return hints[names[1]]

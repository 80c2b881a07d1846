"""``Operation``: one client-callable operation, declared next to the service it runs."""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from mlsteward.domain.identity import Principal
from mlsteward.services.operations.kinds import Action, ResourceKind, WireForm

if TYPE_CHECKING:
    from mlsteward.services.context import ServiceContext

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
_PLACEHOLDER = re.compile(r"{(\w+)(?::path)?}")


class OperationRequest(BaseModel):
    """Base of every request model.

    Fields named like a placeholder of the operation's path travel in the path; a field named
    ``body`` is the JSON body (a model of its own, so its schema keeps its name); any other
    field is a query parameter.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


RequestT = TypeVar("RequestT", bound=OperationRequest)
ResultT = TypeVar("ResultT")


@dataclass(frozen=True, eq=False)
class Operation(Generic[RequestT, ResultT]):
    """One operation: what it is, for the policy and the audit; how it travels; what it runs.

    ``run`` calls the service with the context and the request's fields. ``encode`` turns its
    result into the JSON the server answers (``None``: no content, 204), ``decode`` turns that
    JSON back into an equal result on the client, so both transports return the same thing.
    """

    name: str
    method: HttpMethod
    path: str
    request: type[RequestT]
    run: Callable[[ServiceContext, RequestT], ResultT]
    action: Action
    resource: ResourceKind
    encode: Callable[[ResultT], Any] | None = None
    decode: Callable[[Any], ResultT] | None = None
    #: The documented response schema (pydantic) for a JSON result.
    response_model: type[BaseModel] | None = None
    status: int = 200
    #: Whether it changes recorded state (audited). Defaults to every method but GET.
    mutates: bool | None = None
    #: Safe to send again after a lost response. Defaults to GET, PUT and DELETE.
    idempotent: bool | None = None
    wire: WireForm = WireForm.JSON
    #: Seconds an HTTP client waits for the answer (``None``: the client's default); for
    #: operations that compute for long, such as an ONNX export.
    timeout_s: float | None = None
    #: OpenAPI group.
    tag: str = ""
    #: Statuses this operation documents beyond the ones every route derives.
    responses: Mapping[int, Any] = field(default_factory=dict)
    #: What the operation is about, for the policy: by default its path values joined by "/".
    resource_name: Callable[[RequestT], str | None] | None = None
    #: Callable without signing in (signing in itself): the server asks no credential and the
    #: policy admits anyone.
    public: bool = False
    #: For signing in: checks the request's credentials and returns who they prove, before
    #: any transaction opens (so a failed attempt is counted for good, not rolled back with
    #: it); the operation then runs, and is audited, as that principal.
    signs_in: Callable[[ServiceContext, RequestT], Principal] | None = None
    #: Other resources the operation reads (the source of a derived dataset, the run a
    #: version is registered from): the policy must allow reading each, so a grant on the
    #: output never reaches data the caller may not see.
    reads: Callable[[RequestT], Sequence[tuple[ResourceKind, str | None]]] | None = None
    #: A job that runs for minutes (batch scoring): it is not wrapped in one store
    #: transaction, which would hold the database's write lock for its whole run; its own
    #: writes commit as they go and its audit record is written when it ends.
    long_running: bool = False

    def __post_init__(self) -> None:
        if self.mutates is None:
            object.__setattr__(self, "mutates", self.method != "GET")
        if self.idempotent is None:
            object.__setattr__(self, "idempotent", self.method in ("GET", "PUT", "DELETE"))
        missing = set(self.path_fields) - set(self.request.model_fields)
        if missing:
            raise TypeError(f"{self.name}: path names {sorted(missing)} the request lacks")

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The request fields that travel in the path, in the path's order."""
        return tuple(_PLACEHOLDER.findall(self.path))

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.run.__doc__ or "")

    def resource_of(self, request: RequestT) -> str | None:
        """The name of the resource ``request`` acts on (``None``: the whole collection)."""
        if self.resource_name is not None:
            return self.resource_name(request)
        values = [str(getattr(request, name)) for name in self.path_fields]
        return "/".join(values) or None

    def make(self, **values: Any) -> RequestT:
        """The request with ``values``, unvalidated: the service validates what it is given,
        so the in-process door raises the service's own errors. Values that are not top-level
        fields go to the ``body`` model."""
        fields = self.request.model_fields
        top = {key: value for key, value in values.items() if key in fields}
        rest = {key: value for key, value in values.items() if key not in fields}
        if rest:
            body_type = body_model(fields["body"].annotation) if "body" in fields else None
            known = set(body_type.model_fields) if body_type is not None else set()
            if body_type is None or not set(rest) <= known:
                raise TypeError(f"{self.name} takes no {', '.join(sorted(set(rest) - known))}")
            top["body"] = body_type.model_construct(**rest)
        return self.request.model_construct(**top)


def body_model(annotation: object) -> type[BaseModel] | None:
    """The model a ``body`` field holds (its non-``None`` member when it is optional)."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None

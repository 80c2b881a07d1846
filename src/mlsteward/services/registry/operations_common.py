"""What every registry operation shares: the resource a policy sees, the errors documented,
the declarations, and the results several parts answer with.

A registry operation acts on one registered model, whatever part of it (a version, an alias,
a tag) its path names, so the policy is asked about the model: its name is the resource's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlsteward.services.api import wire_registry
from mlsteward.services.api.schemas import ErrorResponse
from mlsteward.services.api.schemas_registry_out import (
    GateErrorResponse,
    ModelVersionOut,
    RegisteredModelOut,
)
from mlsteward.services.operations.declaration import HttpMethod, Operation, ResourceKind
from mlsteward.services.operations.declarations import Codec, Declarations

MODELS_SCHEME = "models:/"

#: Documented on every registry operation (as the registry's routes always did).
COMMON: dict[int, Any] = {400: None, 404: None, 409: None}
#: Where a gate may refuse a move: a 403 listing every unmet condition.
GATED: dict[int, Any] = {
    403: {"model": GateErrorResponse, "description": "a gate refused the move"}
}
#: Where a change may weaken a model's gates: anonymous callers and the model's builders
#: are refused (see ``mlsteward.services.registry.governance``).
GOVERNED: dict[int, Any] = {
    403: {
        "model": ErrorResponse,
        "description": "a governance action by an anonymous caller or one of the model's builders",
    }
}


def model_named(request: Any) -> str | None:
    """The registered model a request names in its path."""
    name = getattr(request, "name", None)
    return None if name is None else str(name)


def model_in_uri(uri: object) -> str | None:
    """The model a ``models:/name@alias`` or ``models:/name/selector`` URI names, if any (the
    service refuses a malformed URI; the policy is asked first, about the whole registry)."""
    if not isinstance(uri, str) or not uri.startswith(MODELS_SCHEME):
        return None
    rest = uri[len(MODELS_SCHEME) :].strip("/")
    name = rest.partition("@")[0] if "@" in rest else rest.rpartition("/")[0]
    return name or None


class RegistryDeclarations(Declarations):
    """The operations of one part of the registry (``tag``): each called ``registry.<name>``,
    about the registered model its request names (unless ``resource_name`` says otherwise),
    documenting the registry's common errors."""

    def __init__(self, tag: str) -> None:
        super().__init__("registry", ResourceKind.REGISTERED_MODEL, tag=tag, responses=COMMON)

    def declare(
        self, method: HttpMethod, path: str, **options: Any
    ) -> Callable[[Callable[..., Any]], Operation[Any, Any]]:
        options.setdefault("resource_name", model_named)
        return super().declare(method, path, **options)


#: The results several parts of the registry answer with.
MODEL = Codec(wire_registry.encode_model, wire_registry.decode_model, RegisteredModelOut)
VERSION = Codec(wire_registry.encode_version, wire_registry.decode_version, ModelVersionOut)

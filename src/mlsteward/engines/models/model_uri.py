"""Model URIs: ``runs:/<run_id>/<path>`` built in, other schemes through resolver hooks.

The registry (``models:/name@alias``, ``models:/name/3``) plugs in later by registering a
resolver for the ``models`` scheme; until then such a URI fails with a message saying so.
A resolver turns the URI into the run and artifact path that hold the model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from mlsteward.domain.errors import InvalidArgumentError


@dataclass(frozen=True)
class ModelLocation:
    """Where a logged model lives: a run and the artifact path of its directory."""

    run_id: str
    artifact_path: str

    @property
    def uri(self) -> str:
        return f"runs:/{self.run_id}/{self.artifact_path}"


Resolver = Callable[[str], ModelLocation]

_lock = threading.Lock()
_resolvers: dict[str, Resolver] = {}


def register_model_uri_resolver(scheme: str, resolver: Resolver | None) -> None:
    """Route ``<scheme>:/...`` URIs to ``resolver`` (None removes it). ``runs`` is built in."""
    if scheme in ("runs", "file") or not scheme.isidentifier():
        raise InvalidArgumentError(f"Cannot register a resolver for scheme {scheme!r}")
    with _lock:
        if resolver is None:
            _resolvers.pop(scheme, None)
        else:
            _resolvers[scheme] = resolver


def parse_runs_uri(uri: str) -> ModelLocation:
    rest = uri[len("runs:") :].lstrip("/")
    run_id, _, path = rest.partition("/")
    path = path.strip("/")
    if not run_id or not path:
        raise InvalidArgumentError(
            f"Malformed model URI {uri!r}: expected runs:/<run_id>/<artifact path>"
        )
    if ".." in path.split("/"):
        raise InvalidArgumentError(f"Model URI {uri!r} must not contain '..'")
    return ModelLocation(run_id, path)


def resolve_model_uri(uri: str) -> ModelLocation:
    """The run and path behind a model URI (not for local directories)."""
    scheme, sep, _ = uri.partition(":")
    if not sep:
        raise InvalidArgumentError(
            f"{uri!r} is not a model URI (runs:/<run_id>/<path>) nor an existing directory"
        )
    if scheme == "runs":
        return parse_runs_uri(uri)
    resolver = _resolvers.get(scheme)
    if resolver is not None:
        return resolver(uri)
    if scheme == "models":
        raise InvalidArgumentError(
            f"Cannot resolve {uri!r}: models:/ URIs need the model registry, which is not "
            "available in this version of mlsteward yet. Load the model by run instead: "
            "runs:/<run_id>/<artifact path>."
        )
    raise InvalidArgumentError(
        f"Unknown model URI scheme {scheme!r} in {uri!r}; known: runs"
        + "".join(f", {s}" for s in sorted(_resolvers))
    )

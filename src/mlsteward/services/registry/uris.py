"""``models:/`` URIs: ``models:/name@alias``, ``models:/name/3``, ``models:/name/latest``,
``models:/name/Production``, resolved to the version they name."""

from __future__ import annotations

from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.domain.registry import ModelStage, ModelVersion
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.aliases import get_version_by_alias
from mlsteward.services.registry.validation import validate_model_name
from mlsteward.services.registry.versions import get_latest_versions

MODELS_SCHEME = "models:/"


def resolve_model_uri(ctx: ServiceContext, uri: str) -> ModelVersion:
    """The version a ``models:/`` URI names; NotFoundError saying what is missing."""
    if not isinstance(uri, str) or not uri.startswith(MODELS_SCHEME):
        raise InvalidArgumentError(f"Not a models:/ URI: {uri!r}")
    rest = uri[len(MODELS_SCHEME) :].strip("/")
    if "@" in rest:
        name, _, alias = rest.partition("@")
        return get_version_by_alias(ctx, validate_model_name(name, ctx.limits), alias)
    name, sep, selector = rest.rpartition("/")
    if not sep or not name or not selector:
        raise InvalidArgumentError(
            f"Invalid model URI {uri!r}: use models:/<name>@<alias>, models:/<name>/<version>,"
            " models:/<name>/latest or models:/<name>/<stage>"
        )
    clean_name = validate_model_name(name, ctx.limits)
    store = ctx.stores.registry
    if selector.isdigit():
        return store.get_model_version(clean_name, int(selector))
    if selector.lower() == "latest":
        latest = store.get_registered_model(clean_name).latest_version
        if latest == 0:
            raise NotFoundError(f"Registered model {clean_name!r} has no versions yet")
        return store.get_model_version(clean_name, latest)
    stage = ModelStage.parse(selector)
    found = get_latest_versions(ctx, clean_name, [stage.value])
    if not found:
        raise NotFoundError(f"Registered model {clean_name!r} has no version in {stage.value}")
    return found[-1]

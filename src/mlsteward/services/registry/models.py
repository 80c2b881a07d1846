"""Registered models: creation, search, descriptions, tags, thresholds, protection, card fields.

Loosening thresholds and lifting a protection are governance actions (see ``governance``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.registry import (
    AcceptanceThreshold,
    RegisteredModel,
    RegistryPage,
    ThresholdChange,
)
from mlsteward.domain.registry_filter import parse_registry_filter
from mlsteward.domain.threshold_bounds import loosened_thresholds
from mlsteward.services.context import ServiceContext
from mlsteward.services.registry.governance import authorize_governance
from mlsteward.services.registry.paging import decode_token, encode_token
from mlsteward.services.registry.validation import (
    validate_alias,
    validate_model_name,
    validate_text,
)
from mlsteward.services.tracking.validation import validate_key, validate_value

#: Model-card fields a person fills in (``update_model_card`` or ``card.<field>`` tags).
CARD_FIELDS: dict[str, str] = {
    "developers": "Person or organisation developing the model",
    "license": "License",
    "contact": "Where to send questions or comments",
    "citation": "How to cite the model",
    "primary_uses": "Primary intended uses",
    "primary_users": "Primary intended users",
    "out_of_scope_uses": "Out-of-scope uses",
    "relevant_factors": "Relevant factors (groups, instruments, environments)",
    "evaluation_factors": "Factors reported in the evaluation, and why",
    "metric_rationale": "Why these metrics and decision thresholds",
    "evaluation_data": "Evaluation datasets, motivation and preprocessing",
    "training_data": "Training data, its distribution and preprocessing",
    "ethical_considerations": "Ethical considerations",
    "caveats_and_recommendations": "Caveats and recommendations",
}


def clean_tags(ctx: ServiceContext, tags: Mapping[str, object] | None) -> dict[str, str]:
    return {
        validate_key("Tag", key, ctx.limits): validate_value(
            "Tag", key, value, ctx.limits.max_tag_value_length
        )
        for key, value in (tags or {}).items()
    }


def create_registered_model(
    ctx: ServiceContext,
    name: str,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> RegisteredModel:
    """Create a model with no versions; AlreadyExistsError when the name is taken."""
    clean_name = validate_model_name(name, ctx.limits)
    text = validate_text("description", description)
    return ctx.stores.registry.create_registered_model(
        clean_name, text, clean_tags(ctx, tags), ctx.actor, ctx.clock()
    )


def get_registered_model(ctx: ServiceContext, name: str) -> RegisteredModel:
    return ctx.stores.registry.get_registered_model(validate_model_name(name, ctx.limits))


def search_registered_models(
    ctx: ServiceContext,
    filter_string: str | None = None,
    max_results: int = 100,
    page_token: str | None = None,
) -> RegistryPage[RegisteredModel]:
    """Models matching the filter (see ``mlsteward.domain.registry_filter``), by name."""
    if not 1 <= max_results <= ctx.limits.max_search_results:
        raise InvalidArgumentError(
            f"max_results must be between 1 and {ctx.limits.max_search_results}"
        )
    conditions = parse_registry_filter(filter_string, "model", ctx.limits.filters)
    offset = decode_token("model", filter_string, page_token)
    items, more = ctx.stores.registry.search_registered_models(conditions, max_results, offset)
    token = encode_token("model", filter_string, offset + len(items)) if more else None
    return RegistryPage(items, token)


def update_registered_model(ctx: ServiceContext, name: str, description: str) -> RegisteredModel:
    text = validate_text("description", description) or ""
    return ctx.stores.registry.update_registered_model(
        validate_model_name(name, ctx.limits), ctx.clock(), description=text
    )


def set_registered_model_tag(ctx: ServiceContext, name: str, key: str, value: object) -> None:
    clean = clean_tags(ctx, {key: value})
    ctx.stores.registry.set_registered_model_tag(
        validate_model_name(name, ctx.limits), key, clean[key], ctx.clock()
    )


def delete_registered_model_tag(ctx: ServiceContext, name: str, key: str) -> None:
    ctx.stores.registry.delete_registered_model_tag(
        validate_model_name(name, ctx.limits), validate_key("Tag", key, ctx.limits), ctx.clock()
    )


def set_acceptance_thresholds(
    ctx: ServiceContext,
    name: str,
    thresholds: Sequence[str | AcceptanceThreshold],
    reason: str | None = None,
) -> RegisteredModel:
    """Replace the model's thresholds (``["roc_auc >= 0.85", "rmse <= 3.0"]``; [] clears).

    Protected aliases may then only point at versions whose evaluation meets every one.
    Adding or tightening is anyone's call; removing or loosening one is a governance action
    (a named user who registered no version of the model, with a reason). Every change is
    recorded in the threshold history; giving the current thresholds again records nothing.
    """
    if isinstance(thresholds, str) or not isinstance(thresholds, Sequence):
        raise InvalidArgumentError("Pass a list of thresholds, e.g. ['roc_auc >= 0.85']")
    parsed = [
        th if isinstance(th, AcceptanceThreshold) else AcceptanceThreshold.parse(str(th))
        for th in thresholds
    ]
    seen: set[tuple[str, str]] = set()
    for th in parsed:
        if (th.metric, th.op) in seen:
            raise InvalidArgumentError(f"Threshold '{th.metric} {th.op}' is given twice")
        seen.add((th.metric, th.op))
    clean_name = validate_model_name(name, ctx.limits)
    store = ctx.stores.registry
    before = store.get_registered_model(clean_name).acceptance_thresholds
    loosened = loosened_thresholds(before, parsed)
    text: str | None
    if loosened:
        action = f"loosen the acceptance thresholds of {clean_name!r} ({'; '.join(loosened)})"
        text = authorize_governance(ctx, clean_name, action, reason)
    else:
        text = validate_text("reason", reason)
    store.set_acceptance_thresholds(
        clean_name, parsed, expected=before, actor=ctx.actor, reason=text, now=ctx.clock()
    )
    return store.get_registered_model(clean_name)


def threshold_history(ctx: ServiceContext, name: str) -> list[ThresholdChange]:
    """Every change of the model's thresholds (who, when, why, before, after), oldest first."""
    return ctx.stores.registry.list_threshold_changes(validate_model_name(name, ctx.limits))


def protect_alias(
    ctx: ServiceContext, name: str, alias: str, protected: bool = True, reason: str | None = None
) -> RegisteredModel:
    """Mark an alias protected: moving it then needs an approval and met thresholds.

    Protecting ``production`` (or ``staging``) also gates the stage of the same name.
    Lifting a protection is a governance action (a named user who registered no version of
    the model, with a reason); lifting one that is not there changes and records nothing.
    Every change is recorded in the alias's history.
    """
    store = ctx.stores.registry
    clean_name = validate_model_name(name, ctx.limits)
    clean_alias = validate_alias(alias, ctx.limits)
    if not isinstance(protected, bool):
        raise InvalidArgumentError(f"protected must be true or false, got {protected!r}")
    model = store.get_registered_model(clean_name)
    text: str | None
    if protected:
        text = validate_text("reason", reason)
    elif clean_alias not in model.protected_aliases:
        return model
    else:
        action = f"lift the protection of {clean_name!r}@{clean_alias}"
        text = authorize_governance(ctx, clean_name, action, reason)
    store.set_alias_protection(clean_name, clean_alias, protected, ctx.actor, text, ctx.clock())
    return store.get_registered_model(clean_name)


def update_model_card(
    ctx: ServiceContext, name: str, fields: Mapping[str, str | None]
) -> RegisteredModel:
    """Fill (or with None, clear) model-card fields only a person can write; see CARD_FIELDS."""
    unknown = sorted(set(fields) - set(CARD_FIELDS))
    if unknown:
        raise InvalidArgumentError(
            f"Unknown model-card field(s) {', '.join(unknown)}; known: " + ", ".join(CARD_FIELDS)
        )
    store = ctx.stores.registry
    clean_name = validate_model_name(name, ctx.limits)
    card = dict(store.get_registered_model(clean_name).card)
    for key, value in fields.items():
        text = validate_text(key, value)
        if text is None or not text.strip():
            card.pop(key, None)
        else:
            card[key] = text
    return store.update_registered_model(clean_name, ctx.clock(), card=card)

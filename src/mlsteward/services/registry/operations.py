"""The registry operations a client can call (see ``mlsteward.services.operations``), declared
by part: registered models, versions, aliases, reviews and cards."""

from __future__ import annotations

from typing import Any

from mlsteward.services.operations.declaration import Operation
from mlsteward.services.registry import (
    operations_aliases,
    operations_models,
    operations_reviews,
    operations_versions,
)
from mlsteward.services.registry.operations_aliases import (
    delete_alias,
    get_alias_history,
    get_version_by_alias,
    protect_alias,
    rollback_alias,
    set_alias,
    unprotect_alias,
)
from mlsteward.services.registry.operations_models import (
    create_registered_model,
    delete_registered_model_tag,
    get_registered_model,
    get_threshold_history,
    search_registered_models,
    set_acceptance_thresholds,
    set_registered_model_tag,
    update_model_card,
    update_registered_model,
)
from mlsteward.services.registry.operations_reviews import (
    approve_model_version,
    list_approvals,
    reject_model_version,
    render_model_card,
)
from mlsteward.services.registry.operations_versions import (
    attach_evaluation,
    create_model_version,
    delete_model_version_tag,
    get_evaluation_history,
    get_latest_versions,
    get_model_version,
    get_stage_history,
    resolve_model_uri,
    search_model_versions,
    set_model_version_tag,
    transition_stage,
    update_model_version,
)

#: In mounting order: the ``/model-versions`` questions first, then each part.
OPERATIONS: tuple[Operation[Any, Any], ...] = (
    *operations_versions.LOOKUPS,
    *operations_models.OPERATIONS,
    *operations_versions.OPERATIONS,
    *operations_aliases.OPERATIONS,
    *operations_reviews.OPERATIONS,
)

__all__ = [
    "OPERATIONS",
    "approve_model_version",
    "attach_evaluation",
    "create_model_version",
    "create_registered_model",
    "delete_alias",
    "delete_model_version_tag",
    "delete_registered_model_tag",
    "get_alias_history",
    "get_evaluation_history",
    "get_latest_versions",
    "get_model_version",
    "get_registered_model",
    "get_stage_history",
    "get_threshold_history",
    "get_version_by_alias",
    "list_approvals",
    "protect_alias",
    "reject_model_version",
    "render_model_card",
    "resolve_model_uri",
    "rollback_alias",
    "search_model_versions",
    "search_registered_models",
    "set_acceptance_thresholds",
    "set_alias",
    "set_model_version_tag",
    "set_registered_model_tag",
    "transition_stage",
    "unprotect_alias",
    "update_model_card",
    "update_model_version",
    "update_registered_model",
]

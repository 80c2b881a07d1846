"""Every declared operation, gathered from the domains that declare them."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from mlsteward.services.operations.declaration import Operation

#: The modules declaring operations, each with an ``OPERATIONS`` tuple.
DECLARING_MODULES = (
    "mlsteward.services.tracking.operations",
    "mlsteward.services.registry.operations",
    "mlsteward.services.data.operations",
    "mlsteward.services.monitoring.operations",
    "mlsteward.services.models.operations",
    "mlsteward.services.identity.operations",
    "mlsteward.services.audit.operations",
    "mlsteward.services.predictions.operations",
    "mlsteward.services.deployment.operations",
    "mlsteward.services.deployment.operations_packaging",
    "mlsteward.services.batch_inference.operations",
    "mlsteward.services.batch_jobs.operations",
)


@cache
def declared_operations() -> tuple[Operation[Any, Any], ...]:
    """Every operation, in declaration order; names are unique."""
    found: list[Operation[Any, Any]] = []
    for module_name in DECLARING_MODULES:
        found.extend(importlib.import_module(module_name).OPERATIONS)
    names = [operation.name for operation in found]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise TypeError(f"Operations declared twice: {sorted(duplicated)}")
    return tuple(found)


def operation_named(name: str) -> Operation[Any, Any]:
    for operation in declared_operations():
        if operation.name == name:
            return operation
    raise KeyError(name)

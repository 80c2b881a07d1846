"""The data operations a client can call (see ``mlsteward.services.operations``): versions
and run inputs in ``operations_versions``, schemas, derived versions and lineage in
``operations_derive``, label queues in ``operations_labels``; ``OPERATIONS`` gathers them."""

from __future__ import annotations

from typing import Any

from mlsteward.services.data import operations_derive, operations_labels, operations_versions
from mlsteward.services.operations.declaration import Operation

OPERATIONS: tuple[Operation[Any, Any], ...] = (
    *operations_versions.OPERATIONS,
    *operations_derive.OPERATIONS,
    *operations_labels.OPERATIONS,
)

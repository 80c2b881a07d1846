"""The models operations a client can call (see ``mlsteward.services.operations``)."""

from __future__ import annotations

from typing import Any

from mlsteward.services.operations.declaration import Operation

OPERATIONS: tuple[Operation[Any, Any], ...] = ()

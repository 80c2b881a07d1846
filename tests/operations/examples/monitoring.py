"""Example requests for the monitoring operations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {}

"""Example requests for the audit operations (the log as a whole: nothing to prepare).

Pruning asks for the floor and more, so on a fresh store it checks the chain and removes
nothing; a checkpoint signs whatever the head is, the empty chain included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client

EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "audit.list_records": lambda c: {"actor": "tester", "after_seq": 0, "limit": 10},
    "audit.verify": lambda c: {},
    "audit.create_checkpoint": lambda c: {},
    "audit.list_checkpoints": lambda c: {},
    "audit.public_key": lambda c: {},
    "audit.prune": lambda c: {"older_than_days": 365},
    "audit.export": lambda c: {"after_seq": 0},
}

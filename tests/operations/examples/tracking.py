"""Example requests for the tracking operations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.interfaces.sdk.client import Client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _experiment(client: Client) -> str:
    return client.create_experiment(unique("exp"))


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "tracking.create_experiment": lambda c: {"name": unique("exp"), "tags": {"a": "b"}},
    "tracking.list_experiments": lambda c: {"include_deleted": True},
    "tracking.get_experiment_by_name": lambda c: {"name": c.get_experiment(_experiment(c)).name},
    "tracking.get_or_create_experiment": lambda c: {"name": unique("exp")},
    "tracking.get_experiment": lambda c: {"experiment_id": _experiment(c)},
    "tracking.delete_experiment": lambda c: {"experiment_id": _experiment(c)},
    "tracking.restore_experiment": lambda c: {"experiment_id": _experiment(c)},
    "tracking.set_experiment_tag": lambda c: {
        "experiment_id": _experiment(c),
        "key": "k",
        "value": "v",
    },
}

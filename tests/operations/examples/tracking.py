"""Example requests for the tracking operations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from mlsteward.domain.entities import Metric, Param, RunTag
from mlsteward.interfaces.sdk.client import Client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _experiment(client: Client) -> str:
    return client.create_experiment(unique("exp"))


def _run(client: Client) -> str:
    return client.create_run(_experiment(client)).info.run_id


def _run_with_history(client: Client) -> str:
    run_id = _run(client)
    client.log_batch(run_id, metrics=[Metric("loss", 0.5, 1, 0), Metric("loss", 0.25, 2, 1)])
    return run_id


def _run_with_artifact(client: Client) -> str:
    run_id = _run(client)
    client.log_text(run_id, "hello", "notes/readme.txt")
    return run_id


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
    # runs
    "tracking.create_run": lambda c: {"experiment_id": _experiment(c), "run_name": unique("r")},
    "tracking.search_runs": lambda c: {
        "experiment_ids": [_experiment(c)],
        "filter": "metrics.loss < 1",
    },
    "tracking.get_run": lambda c: {"run_id": _run(c)},
    "tracking.update_run": lambda c: {"run_id": _run(c), "status": "FINISHED"},
    "tracking.delete_run": lambda c: {"run_id": _run(c)},
    "tracking.restore_run": lambda c: {"run_id": _run(c)},
    "tracking.delete_tag": lambda c: _tagged(c),
    "tracking.log_batch": lambda c: {
        "run_id": _run(c),
        "metrics": [Metric("loss", 0.5, 1, 0)],
        "params": [Param("lr", "0.1")],
        "tags": [RunTag("phase", "fit")],
    },
    "tracking.list_metric_keys": lambda c: {"run_id": _run_with_history(c)},
    "tracking.get_metric_history": lambda c: {"run_id": _run_with_history(c), "key": "loss"},
    # artifacts
    "tracking.list_artifacts": lambda c: {"run_id": _run_with_artifact(c), "path": "notes"},
    "tracking.upload_artifact": lambda c: {
        "run_id": _run(c),
        "path": "notes/new.txt",
        "content": b"new",
    },
    "tracking.download_artifact": lambda c: {
        "run_id": _run_with_artifact(c),
        "path": "notes/readme.txt",
    },
}


def _tagged(client: Client) -> dict[str, Any]:
    run_id = _run(client)
    client.set_tag(run_id, "phase", "fit")
    return {"run_id": run_id, "key": "phase"}

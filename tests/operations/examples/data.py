"""Example requests for the data operations.

Datasets are registered through the client's own door as in-memory tables (their rebuild
reads the stored copy, so no source needs to be reachable).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlsteward.interfaces.sdk.client import Client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _table() -> pa.Table:
    return pa.table({"x": [float(i + 1) for i in range(10)], "y": ["a", "b"] * 5})


def _parquet() -> bytes:
    out = io.BytesIO()
    pq.write_table(_table(), out)
    return out.getvalue()


def _ref(client: Client) -> str:
    """``name@1`` of a new dataset."""
    name = unique("ds")
    client.datasets().register_dataset_table(name, _table())
    return f"{name}@1"


def _with_alias(client: Client) -> dict[str, Any]:
    ref = _ref(client)
    client.datasets().set_dataset_alias(ref, "gold")
    return {"name": ref.split("@")[0], "alias": "gold"}


def _run(client: Client) -> str:
    return client.create_run(client.create_experiment(unique("exp"))).info.run_id


def _input(client: Client) -> dict[str, Any]:
    run_id = _run(client)
    client.datasets().log_dataset_input(run_id, _ref(client), "training")
    return {"run_id": run_id}


def _validation(client: Client) -> dict[str, Any]:
    ref = _ref(client)
    schema = client.datasets().infer_dataset_schema(ref)
    return {"ref": ref, "schema_yaml": schema.to_yaml()}


def _queue(client: Client) -> str:
    """A queue over a new dataset, its first item labelled."""
    name = unique("q")
    calls = client.datasets()
    calls.create_label_queue(name, _ref(client), "label", ["a", "b"], 0)
    calls.add_label(name, 0, "a")
    return name


EXAMPLES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "data.upload_version": lambda c: {"name": unique("ds"), "content": _parquet()},
    "data.list_datasets": lambda c: {},
    "data.list_versions": lambda c: {"name": _ref(c).split("@")[0]},
    "data.set_alias": lambda c: {"name": _ref(c).split("@")[0], "alias": "gold", "version": 1},
    "data.delete_alias": _with_alias,
    "data.get_version": lambda c: {"ref": _ref(c)},
    "data.download_version": lambda c: {"ref": _ref(c)},
    "data.version_profile": lambda c: {"ref": _ref(c)},
    "data.version_report": lambda c: {"ref": _ref(c)},
    "data.log_input": lambda c: {"run_id": _run(c), "ref": _ref(c), "context": "training"},
    "data.list_inputs": _input,
    "data.infer_schema": lambda c: {"ref": _ref(c)},
    "data.validate_version": _validation,
    "data.transform_version": lambda c: {
        "ref": _ref(c),
        "steps": [{"name": "log_transform", "params": {"columns": ["x"]}}],
        "output_name": unique("feat"),
    },
    "data.split_version": lambda c: {
        "ref": _ref(c),
        "method": "holdout",
        "output_prefix": unique("parts"),
        "options": {"seed": 0},
    },
    "data.rebuild_version": lambda c: {"ref": _ref(c)},
    "data.version_lineage": lambda c: {"ref": _ref(c)},
    "data.create_label_queue": lambda c: {"name": unique("q"), "ref": _ref(c), "choices": ["a"]},
    "data.add_label": lambda c: {"name": _queue(c), "item": 1, "value": "b"},
    "data.label_queue_status": lambda c: {"name": _queue(c)},
    "data.label_agreement": lambda c: {"name": _queue(c)},
    "data.export_label_queue": lambda c: {"name": _queue(c), "output_name": unique("out")},
}

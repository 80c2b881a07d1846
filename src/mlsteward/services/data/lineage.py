"""The lineage graph of a version: upstream to its sources, downstream to runs and models.

Returned as plain nested dicts (JSON-ready for REST, easy to draw as a tree in the CLI):
``upstream`` is the version with its parents recursively (each with how it was made);
``downstream`` the versions derived from it, recursively, each with the runs that logged it
as an input and the model versions that used it (through those runs or by listing it).
"""

from __future__ import annotations

from typing import Any

from mlsteward.domain.datasets import DatasetVersion
from mlsteward.services.context import ServiceContext
from mlsteward.services.data.versions import get_version
from mlsteward.storage.datasets_base import DatasetStore

#: Deepest graph walked either way (lineage is a DAG; this only bounds pathological chains).
MAX_DEPTH = 50


def describe_step(version: DatasetVersion) -> str:
    """One line saying how a version was made."""
    lineage = version.lineage
    if version.kind == "ingest":
        source = lineage.get("source") or {}
        where = source.get("query") or source.get("uri") or "memory"
        return f"ingested from {source.get('kind')}: {where}"
    if version.kind == "transform":
        names = [item["name"] for item in lineage.get("steps", [])]
        return "steps: " + " -> ".join(names)
    if version.kind == "split":
        spec = lineage.get("split", {})
        return f"split {spec.get('method')} part {spec.get('part')} (seed {spec.get('seed', 0)})"
    if version.kind == "labels":
        return f"labels from queue {lineage.get('queue')}"
    return version.kind


def _node(version: DatasetVersion) -> dict[str, Any]:
    return {
        "ref": version.ref,
        "id": version.dataset_version_id,
        "kind": version.kind,
        "how": describe_step(version),
        "rows": version.num_rows,
        "content_hash": version.content_hash,
    }


def _upstream(store: DatasetStore, version: DatasetVersion, depth: int) -> dict[str, Any]:
    node = _node(version)
    node["parents"] = (
        [_upstream(store, store.get_dataset_version_by_id(p), depth + 1) for p in version.parents]
        if depth < MAX_DEPTH
        else []
    )
    return node


def _downstream(store: DatasetStore, version: DatasetVersion, depth: int) -> dict[str, Any]:
    node = _node(version)
    inputs = store.list_dataset_version_inputs(version.dataset_version_id)
    node["runs"] = [{"run_id": i.run_id, "context": i.context} for i in inputs]
    models = store.list_models_using(version.dataset_version_id, [i.run_id for i in inputs])
    node["models"] = [{"name": name, "version": number} for name, number in models]
    children = store.list_dataset_children(version.dataset_version_id)
    node["children"] = (
        [_downstream(store, child, depth + 1) for child in children] if depth < MAX_DEPTH else []
    )
    return node


def lineage(ctx: ServiceContext, ref: str) -> dict[str, Any]:
    """``{"upstream": ..., "downstream": ...}`` for the version ``ref`` names."""
    store = ctx.stores.datasets
    version = get_version(ctx, ref)
    return {"upstream": _upstream(store, version, 0), "downstream": _downstream(store, version, 0)}

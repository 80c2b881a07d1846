"""The data half of ``HttpBackend``: ``DataBackend`` over the REST API.

Ingestion reads the source here, on the client (which is where the files and databases
named are reachable), stages it as canonical Parquet with the engine — all or nothing, so a
failing source sends nothing — and uploads it with the source's description; the server
registers it through the same service a local ingest uses.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mlsteward.domain.datasets import (
    DatasetInput,
    DatasetVersion,
    Label,
    LabelQueue,
    validate_alias,
    validate_dataset_name,
)
from mlsteward.interfaces.sdk.http_client import ApiClient
from mlsteward.services.api import wire_data as w

if TYPE_CHECKING:
    import pyarrow as pa

    from mlsteward.engines.data import (
        BadRow,
        BatchSource,
        DataSchema,
        ProgressCallback,
        ValidationReport,
    )
    from mlsteward.services.data.register import Registered


def _name(name: str) -> str:
    return quote(validate_dataset_name(name), safe="")


def _registered(raw: dict[str, Any]) -> Registered:
    from mlsteward.engines.data import BadRow
    from mlsteward.services.data.register import Registered

    return Registered(
        w.decode_version(raw["version"]),
        bool(raw["created"]),
        [BadRow(**row) for row in raw.get("bad_rows", [])],
    )


class HttpDataBackendMixin:
    """Implements ``DataBackend`` over HTTP; the host class provides ``_api``."""

    _api: ApiClient

    def _upload(
        self,
        name: str,
        batches: Any,
        meta: dict[str, Any],
        bad_rows: Sequence[BadRow] = (),
    ) -> Registered:
        from mlsteward.engines.data import stage_to_parquet

        with tempfile.TemporaryDirectory(prefix="mlsteward-upload-") as directory:
            staged = stage_to_parquet(batches, directory)
            skipped = [*bad_rows, *staged.bad_rows]
            meta = {**meta, "bad_rows": [row.to_dict() for row in skipped]}
            path = staged.path
            raw = self._api.json(
                "POST",
                f"{w.DATASETS_PREFIX}/{_name(name)}/versions",
                content=lambda: open(path, "rb"),  # noqa: SIM115 - the client closes it
                headers={
                    "Content-Type": "application/vnd.apache.parquet",
                    w.UPLOAD_META_HEADER: json.dumps(meta, default=str),
                },
            )
        return _registered(raw)

    def ingest_dataset(
        self,
        name: str,
        source: BatchSource | str | os.PathLike[str],
        *,
        query: str | None = None,
        schema: DataSchema | None = None,
        strict: bool = False,
        description: str | None = None,
        progress: ProgressCallback | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> Registered:
        from mlsteward.services.data.sources import open_source

        validate_dataset_name(name)
        opened = open_source(source, query=query, progress=progress, **dict(options or {}))
        meta = {
            "source": opened.describe(),
            "schema": schema.to_yaml() if schema is not None else None,
            "strict": strict,
            "description": description,
        }
        return self._upload(name, opened, meta)

    def register_dataset_table(
        self,
        name: str,
        table: pa.Table,
        *,
        schema: DataSchema | None = None,
        strict: bool = False,
        description: str | None = None,
    ) -> Registered:
        meta = {
            "source": {"kind": "memory", "uri": None},
            "schema": schema.to_yaml() if schema is not None else None,
            "strict": strict,
            "description": description,
        }
        return self._upload(name, table.to_batches() or [table.schema.empty_table()], meta)

    def get_dataset_version(self, ref: str) -> DatasetVersion:
        return w.decode_version(self._api.json("GET", w.VERSIONS_PREFIX, params={"ref": ref}))

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        raw = self._api.json("GET", f"{w.DATASETS_PREFIX}/{_name(name)}/versions")
        return [w.decode_version(v) for v in raw["versions"]]

    def list_datasets(self) -> list[str]:
        return list(self._api.json("GET", w.DATASETS_PREFIX)["datasets"])

    def load_dataset_table(self, ref: str, columns: list[str] | None = None) -> pa.Table:
        import pyarrow.parquet as pq

        response = self._api.request("GET", f"{w.VERSIONS_PREFIX}/content", params={"ref": ref})
        return pq.read_table(io.BytesIO(response.content), columns=columns)

    def set_dataset_alias(self, ref: str, alias: str) -> DatasetVersion:
        version = self.get_dataset_version(ref)
        path = f"{w.DATASETS_PREFIX}/{_name(version.name)}/aliases/{validate_alias(alias)}"
        return w.decode_version(self._api.json("PUT", path, json={"version": version.version}))

    def delete_dataset_alias(self, name: str, alias: str) -> None:
        path = f"{w.DATASETS_PREFIX}/{_name(name)}/aliases/{validate_alias(alias)}"
        self._api.request("DELETE", path)

    def log_dataset_input(self, run_id: str, ref: str, context: str) -> DatasetInput:
        body = {"run_id": run_id, "ref": ref, "context": context}
        return w.decode_input(self._api.json("POST", w.INPUTS_PREFIX, json=body))

    def list_run_inputs(self, run_id: str) -> list[DatasetInput]:
        raw = self._api.json("GET", w.INPUTS_PREFIX, params={"run_id": run_id})
        return [w.decode_input(item) for item in raw["inputs"]]

    def get_dataset_profile(self, ref: str) -> dict[str, Any]:
        response = self._api.request("GET", f"{w.VERSIONS_PREFIX}/profile", params={"ref": ref})
        loaded: dict[str, Any] = json.loads(response.content)
        return loaded

    def get_dataset_report(self, ref: str) -> str:
        params = {"ref": ref}
        return self._api.request("GET", f"{w.VERSIONS_PREFIX}/report", params=params).text

    def infer_dataset_schema(self, ref: str) -> DataSchema:
        from mlsteward.engines.data import DataSchema

        raw = self._api.json("GET", f"{w.VERSIONS_PREFIX}/schema", params={"ref": ref})
        return DataSchema.from_yaml(raw["schema_yaml"])

    def validate_dataset(self, ref: str, schema: DataSchema) -> ValidationReport:
        body = {"ref": ref, "schema_yaml": schema.to_yaml()}
        return w.decode_report(self._api.json("POST", f"{w.VERSIONS_PREFIX}/validate", json=body))

    def transform_dataset(
        self, ref: str, steps: Sequence[Mapping[str, Any]], output_name: str
    ) -> Registered:
        body = {"ref": ref, "steps": [dict(s) for s in steps], "output_name": output_name}
        raw = self._api.json("POST", f"{w.VERSIONS_PREFIX}/transform", json=body)
        return _registered(raw)

    def split_dataset(
        self, ref: str, method: str, output_prefix: str | None, options: Mapping[str, Any]
    ) -> dict[str, DatasetVersion]:
        body: dict[str, Any] = {"ref": ref, "method": method, "output_prefix": output_prefix}
        body["options"] = dict(options)
        raw = self._api.json("POST", f"{w.VERSIONS_PREFIX}/split", json=body, idempotent=False)
        return {part: w.decode_version(v) for part, v in raw.items()}

    def rebuild_dataset(
        self, ref: str, overrides: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body = {"ref": ref, "overrides": dict(overrides) if overrides else None}
        return list(self._api.json("POST", f"{w.VERSIONS_PREFIX}/rebuild", json=body)["checks"])

    def dataset_lineage(self, ref: str) -> dict[str, Any]:
        loaded: dict[str, Any] = self._api.json(
            "GET", f"{w.VERSIONS_PREFIX}/lineage", params={"ref": ref}
        )
        return loaded

    def create_label_queue(
        self, name: str, ref: str, label_column: str, choices: Sequence[str], reviews: int
    ) -> LabelQueue:
        body = {
            "name": name,
            "ref": ref,
            "label_column": label_column,
            "choices": list(choices),
            "reviews": reviews,
        }
        return w.decode_queue(self._api.json("POST", w.QUEUES_PREFIX, json=body, idempotent=False))

    def add_label(self, queue: str, item: int, value: str, role: str = "primary") -> Label:
        body = {"item": item, "value": value, "role": role}
        path = f"{w.QUEUES_PREFIX}/{_name(queue)}/labels"
        return w.decode_label(self._api.json("POST", path, json=body, idempotent=False))

    def label_queue_status(self, queue: str) -> dict[str, Any]:
        loaded: dict[str, Any] = self._api.json("GET", f"{w.QUEUES_PREFIX}/{_name(queue)}/status")
        return loaded

    def label_agreement(self, queue: str) -> dict[str, Any]:
        loaded: dict[str, Any] = self._api.json(
            "GET", f"{w.QUEUES_PREFIX}/{_name(queue)}/agreement"
        )
        return loaded

    def export_label_queue(self, queue: str, output_name: str) -> Registered:
        path = f"{w.QUEUES_PREFIX}/{_name(queue)}/export"
        return _registered(self._api.json("POST", path, json={"output_name": output_name}))

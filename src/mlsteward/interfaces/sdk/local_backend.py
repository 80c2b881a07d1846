"""The in-process backend: SDK calls go straight to the services on a local or SQL store."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mlsteward.domain.entities import (
    ArtifactEntry,
    Metric,
    Param,
    Run,
    RunInfo,
    RunPage,
    RunTag,
)
from mlsteward.interfaces.sdk.data_local_backend import LocalDataBackendMixin
from mlsteward.interfaces.sdk.local_registry_backend import LocalRegistryBackendMixin
from mlsteward.interfaces.sdk.models_backend import LocalModelsBackendMixin
from mlsteward.interfaces.sdk.monitoring_local_backend import LocalMonitoringBackendMixin
from mlsteward.interfaces.sdk.transport import InProcessTransport
from mlsteward.services.composition import close_context, open_context
from mlsteward.services.context import local_actor
from mlsteward.services.outbound_access import OutboundAccess
from mlsteward.services.tracking import (
    artifacts,
    logging,
    metric_history,
    runs,
    search,
)


class LocalBackend(
    LocalRegistryBackendMixin,
    LocalModelsBackendMixin,
    LocalDataBackendMixin,
    LocalMonitoringBackendMixin,
):
    """Services over a store opened from ``store_uri`` and blobs under ``artifacts_uri``."""

    def __init__(self, store_uri: str, artifacts_uri: str, actor: str | None = None) -> None:
        self.uri = store_uri
        self.ctx = open_context(
            store_uri,
            artifacts_uri,
            actor=actor or local_actor(),
            outbound=OutboundAccess.unrestricted(),  # the user's own files, hosts, databases
        )
        self.transport = InProcessTransport(self.ctx)

    # runs
    def create_run(
        self,
        experiment_id: str,
        run_name: str | None = None,
        tags: dict[str, str] | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
    ) -> Run:
        return runs.create_run(
            self.ctx,
            experiment_id,
            run_name=run_name,
            tags=tags,
            parent_run_id=parent_run_id,
            start_time=start_time,
        )

    def get_run(self, run_id: str) -> Run:
        return runs.get_run(self.ctx, run_id)

    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        return runs.update_run(
            self.ctx, run_id, status=status, end_time=end_time, run_name=run_name
        )

    def delete_run(self, run_id: str) -> None:
        runs.delete_run(self.ctx, run_id)

    def restore_run(self, run_id: str) -> None:
        runs.restore_run(self.ctx, run_id)

    def delete_tag(self, run_id: str, key: str) -> None:
        runs.delete_tag(self.ctx, run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        idempotency_key: str | None = None,
    ) -> None:
        logging.log_batch(self.ctx, run_id, metrics, params, tags, idempotency_key)

    def get_metric_history(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> list[Metric]:
        return metric_history.get_metric_history(self.ctx, run_id, key, max_points)

    def list_metric_keys(self, run_id: str) -> list[str]:
        return metric_history.list_metric_keys(self.ctx, run_id)

    def search_runs(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        order_by: Sequence[str] | None,
        run_view_type: str,
        max_results: int,
        page_token: str | None,
    ) -> RunPage:
        return search.search_runs(
            self.ctx,
            experiment_ids,
            filter_string,
            order_by,
            run_view_type,
            max_results,
            page_token,
        )

    # artifacts
    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[str]:
        return artifacts.log_artifact(self.ctx, run_id, local_path, artifact_path)

    def log_artifact_bytes(self, run_id: str, artifact_path: str, data: bytes) -> str:
        return artifacts.log_artifact_bytes(self.ctx, run_id, artifact_path, data)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[ArtifactEntry]:
        return artifacts.list_artifacts(self.ctx, run_id, path)

    def download_artifacts(
        self, run_id: str, path: str | None, destination: str | os.PathLike[str]
    ) -> Path:
        return artifacts.download_artifacts(self.ctx, run_id, path, destination)

    def close(self) -> None:
        close_context(self.ctx)

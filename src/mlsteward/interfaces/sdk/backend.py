"""The seam between the SDK and where data lives: in-process services or a server over HTTP."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mlsteward.domain.entities import (
    ArtifactEntry,
    Metric,
    Param,
    Run,
    RunInfo,
    RunPage,
    RunTag,
)

if TYPE_CHECKING:
    from mlsteward.interfaces.sdk.transport import Transport


class TrackingBackend(Protocol):
    """What the SDK needs; LocalBackend and HttpBackend implement it with one behaviour."""

    uri: str

    @property
    def transport(self) -> Transport:
        """Runs the declared operations; the methods below are the ones not yet declared."""
        ...

    def create_run(
        self,
        experiment_id: str,
        run_name: str | None = None,
        tags: dict[str, str] | None = None,
        parent_run_id: str | None = None,
        start_time: int | None = None,
    ) -> Run: ...
    def get_run(self, run_id: str) -> Run: ...
    def update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...
    def delete_run(self, run_id: str) -> None: ...
    def restore_run(self, run_id: str) -> None: ...
    def delete_tag(self, run_id: str, key: str) -> None: ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        idempotency_key: str | None = None,
    ) -> None: ...
    def get_metric_history(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> list[Metric]: ...
    def list_metric_keys(self, run_id: str) -> list[str]: ...
    def search_runs(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        order_by: Sequence[str] | None,
        run_view_type: str,
        max_results: int,
        page_token: str | None,
    ) -> RunPage: ...

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[str]: ...
    def log_artifact_bytes(self, run_id: str, artifact_path: str, data: bytes) -> str: ...
    def list_artifacts(self, run_id: str, path: str | None = None) -> list[ArtifactEntry]: ...
    def download_artifacts(
        self, run_id: str, path: str | None, destination: str | os.PathLike[str]
    ) -> Path: ...

    def close(self) -> None: ...

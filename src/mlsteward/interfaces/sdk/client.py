"""``Client``: explicit, id-based access to experiments and runs (MLflow's MlflowClient habits)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from mlsteward.domain.entities import (
    ArtifactEntry,
    Experiment,
    Metric,
    Param,
    Run,
    RunInfo,
    RunPage,
    RunTag,
)
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.interfaces.sdk import artifact_transfer
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.data_client import DataClientMixin
from mlsteward.interfaces.sdk.identity_client import IdentityClientMixin
from mlsteward.interfaces.sdk.monitoring_client import MonitoringClientMixin
from mlsteward.interfaces.sdk.registry_client import RegistryClientMixin
from mlsteward.interfaces.sdk.tracking_uri import backend_for
from mlsteward.interfaces.sdk.transport import OperationCaller
from mlsteward.services.context import now_ms
from mlsteward.services.tracking import operations as ops
from mlsteward.services.tracking import operations_runs as run_ops

if TYPE_CHECKING:
    import pandas as pd

    from mlsteward.interfaces.sdk.batch_calls import BatchReport
    from mlsteward.interfaces.sdk.batch_job_calls import BatchJobCalls
    from mlsteward.interfaces.sdk.deployment_calls import DeploymentCalls
    from mlsteward.interfaces.sdk.prediction_calls import PredictionCalls
    from mlsteward.interfaces.sdk.stream_calls import StreamCalls


class PagedList(list[Run]):
    """A page of runs; ``token`` fetches the next page (None at the end)."""

    def __init__(self, items: Sequence[Run], token: str | None) -> None:
        super().__init__(items)
        self.token = token


class Client(
    RegistryClientMixin,
    DataClientMixin,
    MonitoringClientMixin,
    IdentityClientMixin,
    OperationCaller,
):
    """Talks to one tracking URI; every method is synchronous and returns plain entities."""

    def __init__(
        self,
        tracking_uri: str | os.PathLike[str] | None = None,
        *,
        token: str | None = None,
        user: str | None = None,
    ) -> None:
        """``token`` signs in (else ``MLSTEWARD_TRACKING_TOKEN``, else the token
        ``mlsteward login`` stored for the URI): sent to a server as ``Authorization:
        Bearer``, and on a local store it makes calls act as the token's owner under the
        role policy. ``user`` names who acts where nobody signs in (a server without sign-in,
        a local store without a token) instead of ``MLSTEWARD_USER``/the OS user."""
        self._backend: TrackingBackend = backend_for(
            os.fspath(tracking_uri) if tracking_uri else None, user, token
        )
        self.tracking_uri = self._backend.uri

    @property
    def deployments(self) -> DeploymentCalls:
        """Deployment records: ``create``, ``list``, ``get``, ``update``, ``delete``,
        ``history`` and ``plan`` (what a data plane serves now)."""
        from mlsteward.interfaces.sdk.deployment_calls import DeploymentCalls

        return DeploymentCalls(self._backend)

    @property
    def batch_jobs(self) -> BatchJobCalls:
        """Scheduled batch scoring jobs: ``create``, ``list``, ``get``, ``update``, ``pause``,
        ``resume``, ``delete``, ``run`` (now) and ``runs``."""
        from mlsteward.interfaces.sdk.batch_job_calls import BatchJobCalls

        return BatchJobCalls(self._backend)

    @property
    def predictions(self) -> PredictionCalls:
        """The prediction log: ``get`` by ID, ``query`` a time range (a DataFrame) and
        ``feedback`` (labels by prediction ID)."""
        from mlsteward.interfaces.sdk.prediction_calls import PredictionCalls

        return PredictionCalls(self._backend)

    @property
    def streams(self) -> StreamCalls:
        """Stream consumers in this process: ``consume`` scores a NATS JetStream subject or
        a Redis stream with a deployment (``mlsteward stream`` in a function)."""
        from mlsteward.interfaces.sdk.stream_calls import StreamCalls

        return StreamCalls(self)

    def predict_batch(
        self,
        model_uri: str,
        input: Any,
        output: str | os.PathLike[str],
        **options: Any,
    ) -> BatchReport:
        """Score ``input`` (paths, globs, ``s3://`` URLs or ``dataset:NAME@VERSION``) with the
        registered model ``model_uri`` into ``output`` (a folder of Parquet parts, a ``.csv``
        file or ``dataset:NAME``), chunk by chunk; the same call again resumes an interrupted
        job. ``options``: see :meth:`BatchCalls.predict_batch`."""
        from mlsteward.interfaces.sdk.batch_calls import BatchCalls

        return BatchCalls(self._backend).predict_batch(model_uri, input, output, **options)

    # experiments --------------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None) -> str:
        return self._call(ops.create_experiment, name=name, tags=tags).experiment_id

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._call(ops.get_experiment, experiment_id=experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            return self._call(ops.get_experiment_by_name, name=name)
        except NotFoundError:
            return None

    def search_experiments(self, include_deleted: bool = False) -> list[Experiment]:
        return self._call(ops.list_experiments, include_deleted=include_deleted)

    def delete_experiment(self, experiment_id: str) -> None:
        self._call(ops.delete_experiment, experiment_id=experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._call(ops.restore_experiment, experiment_id=experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._call(ops.set_experiment_tag, experiment_id=experiment_id, key=key, value=str(value))

    # runs -----------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        run_name: str | None = None,
        tags: dict[str, str] | None = None,
        start_time: int | None = None,
        parent_run_id: str | None = None,
    ) -> Run:
        return self._call(
            run_ops.create_run,
            experiment_id=experiment_id,
            run_name=run_name,
            tags=tags,
            parent_run_id=parent_run_id,
            start_time=start_time,
        )

    def get_run(self, run_id: str) -> Run:
        return self._call(run_ops.get_run, run_id=run_id)

    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> RunInfo:
        return self._update_run(run_id, status=status, end_time=end_time)

    def update_run(
        self, run_id: str, status: str | None = None, name: str | None = None
    ) -> RunInfo:
        return self._update_run(run_id, status=status, run_name=name)

    def _update_run(
        self,
        run_id: str,
        status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        return self._call(
            run_ops.update_run, run_id=run_id, status=status, end_time=end_time, run_name=run_name
        )

    def delete_run(self, run_id: str) -> None:
        self._call(run_ops.delete_run, run_id=run_id)

    def restore_run(self, run_id: str) -> None:
        self._call(run_ops.restore_run, run_id=run_id)

    # logging ----------------------------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Write metrics, params and tags at once, synchronously and atomically."""
        self._call(
            run_ops.log_batch,
            run_id=run_id,
            metrics=metrics,
            params=params,
            tags=tags,
            idempotency_key=None,
        )

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
    ) -> None:
        point = Metric(key, value, timestamp if timestamp is not None else now_ms(), step or 0)
        self.log_batch(run_id, metrics=[point])

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.log_batch(run_id, params=[Param(key, str(value))])

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self.log_batch(run_id, tags=[RunTag(key, str(value))])

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call(run_ops.delete_tag, run_id=run_id, key=key)

    def get_metric_history(
        self, run_id: str, key: str, max_points: int | None = None
    ) -> list[Metric]:
        """Every point of ``key`` in step order; ``max_points`` keeps each bucket's min/max."""
        history = self._call(
            run_ops.get_metric_history,
            run_id=run_id,
            key=key,
            max_points=max_points,
            encoding=run_ops.PACKED,
        )
        return history.to_metrics()

    def list_metric_keys(self, run_id: str) -> list[str]:
        return self._call(run_ops.list_metric_keys, run_id=run_id)

    # search -----------------------------------------------------------------------------------
    @overload
    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = ...,
        filter_string: str | None = ...,
        run_view_type: str = ...,
        max_results: int = ...,
        order_by: Sequence[str] | None = ...,
        page_token: str | None = ...,
        output_format: Literal["list"] = ...,
    ) -> PagedList: ...

    @overload
    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = ...,
        filter_string: str | None = ...,
        run_view_type: str = ...,
        max_results: int = ...,
        order_by: Sequence[str] | None = ...,
        page_token: str | None = ...,
        output_format: Literal["pandas"] = ...,
    ) -> pd.DataFrame: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = None,
        filter_string: str | None = None,
        run_view_type: str = "active_only",
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        output_format: Literal["list", "pandas"] = "list",
    ) -> PagedList | pd.DataFrame:
        """Runs matching ``filter_string`` (e.g. ``"metrics.acc > 0.9 AND params.lr = '0.1'"``).

        ``output_format="pandas"`` gives one row per run with ``params.*``, ``metrics.*``
        and ``tags.*`` columns, following every page.
        """
        ids = [experiment_ids] if isinstance(experiment_ids, str) else experiment_ids
        if output_format == "pandas":
            from mlsteward.interfaces.sdk.run_frame import runs_to_frame

            collected: list[Run] = []
            token = page_token
            while True:
                page = self._search_page(
                    ids, filter_string, order_by, run_view_type, max_results, token
                )
                collected.extend(page.runs)
                token = page.next_page_token
                if token is None:
                    return runs_to_frame(collected)
        page = self._search_page(
            ids, filter_string, order_by, run_view_type, max_results, page_token
        )
        return PagedList(page.runs, page.next_page_token)

    def _search_page(
        self,
        experiment_ids: Sequence[str] | None,
        filter_string: str | None,
        order_by: Sequence[str] | None,
        run_view_type: str,
        max_results: int,
        page_token: str | None,
    ) -> RunPage:
        return self._call(
            run_ops.search_runs,
            experiment_ids=None if experiment_ids is None else list(experiment_ids),
            filter=filter_string,
            order_by=None if order_by is None else list(order_by),
            run_view_type=run_view_type,
            max_results=max_results,
            page_token=page_token,
        )

    # artifacts --------------------------------------------------------------------------------
    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        artifact_transfer.log_artifact(self._backend.transport, run_id, local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        if not Path(local_dir).is_dir():
            raise InvalidArgumentError(f"Not a directory: {local_dir}")
        artifact_transfer.log_artifact(self._backend.transport, run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        artifact_transfer.log_artifact_bytes(
            self._backend.transport, run_id, artifact_file, text.encode("utf-8")
        )

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[ArtifactEntry]:
        return artifact_transfer.list_artifacts(self._backend.transport, run_id, path)

    def download_artifacts(
        self, run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Copy a file or directory of the run locally; returns the local path."""
        destination = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="mlsteward-"))
        return str(
            artifact_transfer.download_artifacts(
                self._backend.transport, run_id, path or None, destination
            )
        )

    def get_run_or_none(self, run_id: str) -> Run | None:
        try:
            return self.get_run(run_id)
        except NotFoundError:
            return None

"""``mlsteward.monitoring``'s functions: drift reports now, stored profiles, monitors, alerts.

Reports are computed in-process (pure computation over the engine); profiles, monitors,
alerts and events are operations sent through the transport of the current tracking URI's
backend, so the same calls work against a local store or a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlsteward.domain.errors import InvalidArgumentError
from mlsteward.domain.monitoring import Alert, Monitor, MonitoringEvent, MonitorRun, ProfileRecord
from mlsteward.interfaces.sdk import fluent
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.tracking_uri import backend_for

if TYPE_CHECKING:
    from mlsteward.engines.drift import CBPEReport, PerformanceReport, ReferenceProfile
    from mlsteward.interfaces.sdk.monitoring_calls import MonitoringCalls
    from mlsteward.services.monitoring import MonitoringReport
    from mlsteward.services.monitoring.reports import ChunkBy


def monitoring_calls(backend: TrackingBackend | None = None) -> MonitoringCalls:
    """The monitoring operations of ``backend`` (by default the current tracking URI's)."""
    from mlsteward.interfaces.sdk.monitoring_calls import MonitoringCalls

    return MonitoringCalls(backend or backend_for())


def _is_table(data: object) -> bool:
    return (
        hasattr(data, "iloc")
        or hasattr(data, "num_rows")
        or isinstance(data, Mapping)
        or hasattr(data, "to_dict")
    )


def build_reference_profile(
    data: object,
    name: str | None = None,
    *,
    run_id: str | None = None,
    model_name: str | None = None,
    model_version: int | None = None,
    dataset: str | None = None,
    dataset_version: int | None = None,
    chunk_size: int | None = None,
    sample_size: int | None = None,
) -> ReferenceProfile:
    """Summarize a reference table (or an iterable of chunks, streamed with flat memory).

    A seeded reservoir sample of ``sample_size`` reference rows (default 5000; 0 keeps none)
    is kept in the profile, so monitors can run multivariate checks against it.

    With ``name``, ``run_id``, a model version or a dataset version (``dataset=``,
    ``dataset_version=``: the data it describes) the profile is stored so later reports and
    monitors compare production data against it without the training data. ``data`` may
    also be a stored dataset version, ``"dataset:customers@3"``: it is profiled where the
    data is (the server, for a remote tracking URI) and always stored, tied to that version
    (default name ``dataset-customers-v3``).
    """
    from mlsteward.engines.drift import ProfileBuilder
    from mlsteward.engines.drift.profile import DEFAULT_SAMPLE_SIZE
    from mlsteward.interfaces.sdk.monitoring_files import DATASET_PREFIX, profile_table
    from mlsteward.services.monitoring.profiles import validate_sample_size

    size = validate_sample_size(DEFAULT_SAMPLE_SIZE if sample_size is None else sample_size)

    if isinstance(data, str):
        if not data.startswith(DATASET_PREFIX):
            raise InvalidArgumentError(
                f"Cannot profile the text {data!r}: give a table, chunks or 'dataset:NAME@VERSION'"
            )
        if dataset is not None or dataset_version is not None:
            raise InvalidArgumentError("A profile built from a dataset is tied to that dataset")
        calls = monitoring_calls()
        record = calls.profile_dataset(
            data,
            name,
            chunk_size=chunk_size,
            sample_size=size,
            run_id=run_id,
            model_name=model_name,
            model_version=model_version,
        )
        return calls.load_profile(record.name)
    if _is_table(data):
        profile = profile_table(data, chunk_size, size)
    elif isinstance(data, Iterable):
        builder = ProfileBuilder(keep_chunks=True, sample_size=size)
        for chunk in data:
            builder.update(chunk)
        profile = builder.build()
    else:
        raise InvalidArgumentError(f"Cannot profile a {type(data).__name__}")
    if any(x is not None for x in (name, run_id, model_name, dataset, dataset_version)):
        monitoring_calls().save_profile(
            profile,
            name,
            run_id=run_id,
            model_name=model_name,
            model_version=model_version,
            dataset_name=dataset,
            dataset_version=dataset_version,
        )
    return profile


def get_reference_profile(name: str) -> ReferenceProfile:
    """A stored reference profile, by name."""
    return monitoring_calls().load_profile(name)


def list_reference_profiles() -> list[ProfileRecord]:
    return monitoring_calls().list_profiles()


def drift_report(
    reference: object,
    current: object,
    *,
    chunk_by: ChunkBy = None,
    timestamp_column: str | None = None,
    columns: Sequence[str] | None = None,
    tests: Mapping[str, str | Sequence[str]] | None = None,
    thresholds: Mapping[str, float] | None = None,
    learn_thresholds: bool = False,
    drift_share: float = 0.5,
    performance: CBPEReport | PerformanceReport | None = None,
    multivariate: Sequence[str] = (),
    title: str = "Drift report",
    identifier_columns: Sequence[str] = (),
    prediction_columns: Sequence[str] = (),
) -> MonitoringReport:
    """Drift of ``current`` against ``reference``: a table, a profile, or a stored profile's
    name. The result has ``to_dict()``, ``to_json()``, ``to_html()`` and ``save_html()``.
    ``multivariate`` adds ``"pca_reconstruction"`` and/or ``"domain_classifier"`` (these
    need reference rows: the table, or a profile's sample of them).
    ``timestamp_column`` and ``identifier_columns`` are never tested;
    ``prediction_columns`` are tested and marked as the model's predictions."""
    from mlsteward.services.monitoring import drift_report as build

    if isinstance(reference, str):
        reference = get_reference_profile(reference)
    return build(
        reference,
        current,
        chunk_by=chunk_by,
        timestamp_column=timestamp_column,
        columns=columns,
        tests=tests,
        thresholds=thresholds,
        learn_thresholds=learn_thresholds,
        drift_share=drift_share,
        performance=performance,
        multivariate=multivariate,
        title=title,
        identifier_columns=identifier_columns,
        prediction_columns=prediction_columns,
    )


def log_report(
    report: MonitoringReport, name: str = "drift_report", run_id: str | None = None
) -> list[str]:
    """Store the report as ``monitoring/<name>.html`` and ``.json`` artifacts of the run
    (the active one by default); the server shows it at
    ``/api/v1/monitoring/runs/<run_id>/reports/<name>``."""
    from mlsteward.interfaces.sdk.artifact_transfer import log_artifact_bytes
    from mlsteward.services.monitoring.logged_reports import report_paths

    rid, backend, _ = fluent._resolve_run(run_id)
    html_path, json_path = report_paths(name)
    return [
        log_artifact_bytes(backend.transport, rid, html_path, report.to_html().encode("utf-8")),
        log_artifact_bytes(backend.transport, rid, json_path, report.to_json().encode("utf-8")),
    ]


def create_monitor(name: str, target: str, profile: str, **options: Any) -> Monitor:
    """A monitor of ``target`` (file, glob or ``dataset:REF``) against a stored profile.

    Options: ``checks`` (default ``column_drift``, ``dataset_drift``, ``column_missing``),
    ``columns``, ``tests``, ``thresholds``, ``drift_share``,
    ``chunking`` (``{"size": N}`` or ``{"period": "day", "timestamp_column": "ts"}``),
    ``learn_thresholds`` (learn each test's threshold from the profile's per-chunk
    summaries: needs ``chunking`` and a profile built with ``chunk_size``),
    ``interval_s`` (0: manual runs only), ``webhooks``, ``enabled``, and ``performance``:
    the performance check with late labels joined by id, e.g.
    ``{"task": "binary", "id_column": "request_id", "prediction": "pred",
    "scores": "p_churn", "labels": "dataset:churn-labels", "bounds": {"accuracy": 0.8}}``
    (see ``docs/monitoring.md`` for every setting). ``multivariate``: methods
    (``pca_reconstruction``, ``domain_classifier``) run against the profile's row sample,
    raising ``multivariate_drift`` alerts; ``identifier_columns`` (never tested) and
    ``prediction_columns`` (tested as the model's outputs); ``lookback_s``: seconds a
    prediction file of a glob stays in the performance check after its first read (default
    30 days, None for no limit).

    A ``deployment:NAME`` target reads the deployment's prediction log since the last run
    (inputs and outputs as columns; stable and canary routes); its ``performance`` labels
    default to the deployment's feedback, joined by prediction ID, and ``operational`` bounds
    (``{"p99_latency_ms": 50, "error_rate": 0.01, "min_throughput_rps": 5}``, any of them,
    plus ``p50_latency_ms``) add the ``operational`` check.
    """
    return monitoring_calls().create_monitor(name, target, profile, options)


def get_monitor(name: str) -> Monitor:
    return monitoring_calls().get_monitor(name)


def list_monitors() -> list[Monitor]:
    return monitoring_calls().list_monitors()


def delete_monitor(name: str) -> None:
    monitoring_calls().delete_monitor(name)


def run_monitor(name: str) -> dict[str, Any]:
    """Run a monitor now: ``{"run", "opened", "resolved", "deliveries"}``."""
    return monitoring_calls().run_monitor(name)


def list_monitor_runs(name: str, limit: int = 20) -> list[MonitorRun]:
    return monitoring_calls().list_monitor_runs(name, limit)


def list_alerts(monitor: str | None = None, status: str | None = None) -> list[Alert]:
    return monitoring_calls().list_alerts(monitor, status)


def list_events(
    since: int = 0, limit: int = 100, event_types: Sequence[str] | None = None
) -> list[MonitoringEvent]:
    """Events after sequence number ``since`` (poll with the last ``seq`` you saw)."""
    return monitoring_calls().list_events(since, limit, event_types)

"""The fluent API: ``with mlsteward.start_run(): mlsteward.log_metric(...)``.

Runs started here form a stack (nested runs push onto it). ``log_metric`` validates cheaply,
timestamps the point and hands it to a background buffer, so training loops never wait on
storage. Ending a run flushes its points first, so a finished run is complete.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mlsteward.domain.entities import Experiment, Metric, Param, Run, RunData, RunInfo, RunTag
from mlsteward.domain.errors import InvalidArgumentError, NotFoundError
from mlsteward.interfaces.sdk import artifact_transfer, seeds
from mlsteward.interfaces.sdk.backend import TrackingBackend
from mlsteward.interfaces.sdk.environment import (
    ENVIRONMENT_ARTIFACT,
    capture_environment,
    environment_tags,
)
from mlsteward.interfaces.sdk.metric_buffer import MetricBuffer, PointsNotPersistedError
from mlsteward.interfaces.sdk.tracking_uri import (
    backend_for,
    close_backends,
    on_close_backends,
    set_tracking_uri,
)
from mlsteward.interfaces.sdk.transport import invoke
from mlsteward.services.limits import Limits
from mlsteward.services.tracking import operations as ops
from mlsteward.services.tracking import operations_runs as run_ops
from mlsteward.services.tracking.validation import validate_key, validate_metric_value

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_EXPERIMENT = "Default"
NOTE_TAG = "mlsteward.note"

_lock = threading.RLock()
_limits = Limits()
_valid_metric_keys: set[str] = set()
# Keyed by the backend object itself: an id() could be reused by a later backend.
_buffers: dict[TrackingBackend, MetricBuffer] = {}
_experiment_by_backend: dict[TrackingBackend, str] = {}
_last_run_id: str | None = None
_exit_status = "FINISHED"


class ActiveRun:
    """A started run; a context manager that ends it FINISHED, FAILED or KILLED.

    ``info`` follows the run's end: after the ``with`` block (or ``end_run``) it holds the
    final status and end time.
    """

    def __init__(self, run: Run, backend: TrackingBackend, buffer: MetricBuffer) -> None:
        self._run = run
        self.backend = backend
        self.buffer = buffer

    @property
    def info(self) -> RunInfo:
        return self._run.info

    @property
    def data(self) -> RunData:
        """Fresh from the store (pending metric points are flushed first)."""
        self.buffer.flush()
        return _get_run(self.backend, self._run.info.run_id).data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        _end_run_by_id(self.info.run_id, status)

    def __repr__(self) -> str:
        return f"<ActiveRun run_id={self.info.run_id!r} name={self.info.run_name!r}>"


_stack: list[ActiveRun] = []


def _buffer_for(backend: TrackingBackend) -> MetricBuffer:
    key = backend
    buffer = _buffers.get(key)
    if buffer is None:
        with _lock:
            buffer = _buffers.get(key)
            if buffer is None:

                def sink(run_id: str, points: Any, key: str) -> None:
                    _log_batch(backend, run_id, metrics=points, idempotency_key=key)

                buffer = MetricBuffer(sink)
                _buffers[key] = buffer
    return buffer


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make runs start in this experiment (created by name when it does not exist)."""
    backend = backend_for()
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgumentError("Give exactly one of experiment_name or experiment_id")
    if experiment_name is not None:
        experiment = invoke(backend.transport, ops.get_or_create_experiment, name=experiment_name)
    else:
        experiment = invoke(backend.transport, ops.get_experiment, experiment_id=str(experiment_id))
    _experiment_by_backend[backend] = experiment.experiment_id
    return experiment


def _experiment_for_new_run(backend: TrackingBackend, experiment_id: str | None) -> str:
    if experiment_id:
        return str(experiment_id)
    return _chosen_experiment_id(backend) or (
        invoke(
            backend.transport, ops.get_or_create_experiment, name=_default_experiment_name()
        ).experiment_id
    )


def _chosen_experiment_id(backend: TrackingBackend) -> str | None:
    """The experiment ``set_experiment`` chose, else ``MLSTEWARD_EXPERIMENT_ID``."""
    return _experiment_by_backend.get(backend) or os.environ.get("MLSTEWARD_EXPERIMENT_ID")


def _default_experiment_name() -> str:
    return os.environ.get("MLSTEWARD_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_environment: bool = True,
) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active; use it as a context manager."""
    global _last_run_id
    backend = backend_for()
    with _lock:
        if _stack and not nested:
            raise InvalidArgumentError(
                f"Run {_stack[-1].info.run_id} is already active; end it first or pass "
                "nested=True to start a child run"
            )
        parent = _stack[-1].info.run_id if _stack and nested else None
        if run_id:
            _get_run(backend, run_id)
            _update_run(backend, run_id, "RUNNING")
            run = _get_run(backend, run_id)
        else:
            clean_tags = {str(k): str(v) for k, v in (tags or {}).items()}
            if description:
                clean_tags[NOTE_TAG] = description
            run = invoke(
                backend.transport,
                run_ops.create_run,
                experiment_id=_experiment_for_new_run(backend, experiment_id),
                run_name=run_name,
                tags=clean_tags,
                parent_run_id=parent,
            )
            if log_environment:
                _record_environment(backend, run.info.run_id)
        active = ActiveRun(run, backend, _buffer_for(backend))
        _stack.append(active)
        _last_run_id = run.info.run_id
        return active


def _record_environment(backend: TrackingBackend, run_id: str) -> None:
    env = capture_environment(seeds.current_seeds())
    _log_batch(backend, run_id, tags=[RunTag(k, v) for k, v in environment_tags(env).items()])
    artifact_transfer.log_artifact_bytes(
        backend.transport,
        run_id,
        ENVIRONMENT_ARTIFACT,
        json.dumps(env, indent=2, default=str).encode(),
    )


def _get_run(backend: TrackingBackend, run_id: str) -> Run:
    return invoke(backend.transport, run_ops.get_run, run_id=run_id)


def _update_run(backend: TrackingBackend, run_id: str, status: str) -> RunInfo:
    return invoke(backend.transport, run_ops.update_run, run_id=run_id, status=status)


def _log_batch(
    backend: TrackingBackend,
    run_id: str,
    metrics: Sequence[Metric] = (),
    params: Sequence[Param] = (),
    tags: Sequence[RunTag] = (),
    idempotency_key: str | None = None,
) -> None:
    """Write metrics, params and tags to the run at once (every field given: a default the
    request model would fill costs more than a small batch)."""
    invoke(
        backend.transport,
        run_ops.log_batch,
        run_id=run_id,
        metrics=metrics,
        params=params,
        tags=tags,
        idempotency_key=idempotency_key,
    )


def active_run() -> ActiveRun | None:
    return _stack[-1] if _stack else None


def last_active_run() -> Run | None:
    """The run most recently started here, even if it has ended."""
    if _last_run_id is None:
        return None
    return _get_run(backend_for(), _last_run_id)


def _active() -> ActiveRun:
    if not _stack:
        start_run()
    return _stack[-1]


def _end_run_by_id(run_id: str, status: str) -> None:
    """End a run and its children (children first), each after its points are written.

    A run whose points cannot be stored yet is not ended: it would claim to be complete.
    Against an unreachable server the end is spooled behind the points and delivered later,
    with the time the run ended at.
    """
    with _lock:
        index = next((i for i, r in enumerate(_stack) if r.info.run_id == run_id), None)
        if index is None:
            return
        ending = _stack[index:]
        del _stack[index:]
    error: BaseException | None = None
    for run in reversed(ending):  # children first
        try:
            run.buffer.flush()
        except PointsNotPersistedError as exc:
            error = error or exc
            continue
        except BaseException as exc:
            error = error or exc
        try:
            info = _update_run(run.backend, run.info.run_id, status)
        except BaseException as exc:
            error = error or exc
        else:
            run._run = dataclasses.replace(run._run, info=info)
    if error is not None:
        raise error


def end_run(status: str = "FINISHED") -> None:
    """End the active run (flushing its metric points first)."""
    if _stack:
        _end_run_by_id(_stack[-1].info.run_id, status)


def _resolve_run(run_id: str | None) -> tuple[str, TrackingBackend, MetricBuffer]:
    if run_id is None:
        run = _active()
        return run.info.run_id, run.backend, run.buffer
    backend = backend_for()
    return run_id, backend, _buffer_for(backend)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    """Record one point; returns at once (written in the background, flushed at run end)."""
    if run_id is None and _stack:
        top = _stack[-1]
        rid, buffer = top.info.run_id, top.buffer
    else:
        rid, _, buffer = _resolve_run(run_id)
    if key not in _valid_metric_keys:
        validate_key("Metric", key, _limits)
        _valid_metric_keys.add(key)
    if type(value) is not float:
        value = validate_metric_value(key, value)
    if step is None:
        step = 0
    elif type(step) is not int:
        raise InvalidArgumentError(f"Metric {key!r} step must be an integer, got {step!r}")
    if timestamp is None:
        timestamp = time.time_ns() // 1_000_000
    buffer.add(rid, Metric(key, value, timestamp, step))


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
) -> None:
    for key, value in metrics.items():
        log_metric(key, value, step=step, timestamp=timestamp, run_id=run_id)


def log_param(key: str, value: Any, run_id: str | None = None) -> Any:
    """Record a param (written at once; logging it again with another value is an error)."""
    rid, backend, _ = _resolve_run(run_id)
    _log_batch(backend, rid, params=[Param(key, str(value))])
    return value


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    rid, backend, _ = _resolve_run(run_id)
    _log_batch(backend, rid, params=[Param(str(k), str(v)) for k, v in params.items()])


def set_tag(key: str, value: Any, run_id: str | None = None) -> None:
    rid, backend, _ = _resolve_run(run_id)
    _log_batch(backend, rid, tags=[RunTag(key, str(value))])


def set_tags(tags: Mapping[str, Any], run_id: str | None = None) -> None:
    rid, backend, _ = _resolve_run(run_id)
    _log_batch(backend, rid, tags=[RunTag(str(k), str(v)) for k, v in tags.items()])


def log_artifact(
    local_path: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    rid, backend, _ = _resolve_run(run_id)
    artifact_transfer.log_artifact(backend.transport, rid, local_path, artifact_path)


def log_artifacts(
    local_dir: str | os.PathLike[str], artifact_path: str | None = None, run_id: str | None = None
) -> None:
    if not Path(local_dir).is_dir():
        raise InvalidArgumentError(f"Not a directory: {local_dir}")
    rid, backend, _ = _resolve_run(run_id)
    artifact_transfer.log_artifact(backend.transport, rid, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    rid, backend, _ = _resolve_run(run_id)
    artifact_transfer.log_artifact_bytes(
        backend.transport, rid, artifact_file, text.encode("utf-8")
    )


def log_dict(dictionary: Mapping[str, Any], artifact_file: str, run_id: str | None = None) -> None:
    """Save a dict as JSON, or YAML when ``artifact_file`` ends in .yaml/.yml."""
    if artifact_file.endswith((".yaml", ".yml")):
        import yaml

        text = yaml.safe_dump(dict(dictionary), sort_keys=False)
    else:
        text = json.dumps(dictionary, indent=2, default=str)
    log_text(text, artifact_file, run_id)


def log_figure(figure: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Save a matplotlib figure (PNG, SVG, PDF...) or a plotly figure (HTML or image)."""
    rid, backend, _ = _resolve_run(run_id)
    with tempfile.TemporaryDirectory(prefix="mlsteward-figure-") as tmp:
        target = Path(tmp) / Path(artifact_file).name
        if hasattr(figure, "savefig"):
            figure.savefig(target)
        elif hasattr(figure, "write_html") and target.suffix == ".html":
            figure.write_html(str(target), include_plotlyjs=True)
        elif hasattr(figure, "write_image"):
            figure.write_image(str(target))
        else:
            raise InvalidArgumentError(
                f"log_figure takes a matplotlib or plotly figure, got {type(figure).__name__}"
            )
        parent = str(Path(artifact_file).parent)
        artifact_transfer.log_artifact(
            backend.transport, rid, target, None if parent == "." else parent
        )


def flush() -> None:
    """Block until every metric point logged so far is stored (or, against an unreachable
    server, spooled to disk). Raises ``PointsNotPersistedError`` when they cannot be written
    anywhere for a while; they stay queued and retried."""
    for buffer in list(_buffers.values()):
        buffer.flush()


def get_run(run_id: str) -> Run:
    return _get_run(backend_for(), run_id)


def search_runs(
    experiment_ids: list[str] | None = None,
    filter_string: str | None = None,
    order_by: list[str] | None = None,
    run_view_type: str = "active_only",
    max_results: int = 1000,
) -> pd.DataFrame:
    """Matching runs as a DataFrame (all pages). Without ``experiment_ids``, the runs of the
    active experiment: the one ``set_experiment`` chose, else ``MLSTEWARD_EXPERIMENT_ID`` or
    ``MLSTEWARD_EXPERIMENT_NAME``, else ``Default`` (the experiment ``start_run`` would use)."""
    from mlsteward.interfaces.sdk.client import Client

    if experiment_ids is None:
        active = _active_experiment_id(backend_for())
        if active is None:  # nothing was ever logged to it: no runs to find
            from mlsteward.interfaces.sdk.run_frame import runs_to_frame

            return runs_to_frame([])
        experiment_ids = [active]
    return Client().search_runs(
        experiment_ids,
        filter_string,
        run_view_type=run_view_type,
        max_results=max_results,
        order_by=order_by,
        output_format="pandas",
    )


def _active_experiment_id(backend: TrackingBackend) -> str | None:
    """The experiment a new run would start in, without creating it (``None``: it does not
    exist yet)."""
    chosen = _chosen_experiment_id(backend)
    if chosen:
        return chosen
    try:
        experiment = invoke(
            backend.transport, ops.get_experiment_by_name, name=_default_experiment_name()
        )
    except NotFoundError:
        return None
    return experiment.experiment_id


def _record_unhandled(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    global _exit_status
    _exit_status = "KILLED" if issubclass(exc_type, KeyboardInterrupt) else "FAILED"
    _previous_hook(exc_type, exc, tb)


def seed_everything(seed: int) -> dict[str, int]:
    """Seed Python, NumPy and (once imported) PyTorch; the active run records it too."""
    seeded = seeds.seed_everything(seed)
    if _stack:
        set_tags({f"mlsteward.seed.{name}": value for name, value in seeded.items()})
    return seeded


def reset() -> None:
    """End open runs (KILLED), write pending points and forget every backend.

    For test suites and notebooks that need a fresh SDK in the same process.
    """
    global _last_run_id, _exit_status
    while _stack:
        try:
            end_run("KILLED")
        except Exception:
            _stack.clear()
    close_backends()
    _last_run_id = None
    _exit_status = "FINISHED"
    seeds.forget_seeds()
    set_tracking_uri(None)


def _close_buffers() -> None:
    """Write out and stop every metric buffer (their backends are about to close)."""
    for buffer in list(_buffers.values()):
        try:
            buffer.close()
        except Exception as error:
            print(f"mlsteward: ERROR: metric points not written: {error}", file=sys.stderr)
    _buffers.clear()
    _experiment_by_backend.clear()


def _at_exit() -> None:
    """End runs left open (FAILED if the program died of an exception) and flush everything."""
    while _stack:
        try:
            _end_run_by_id(_stack[0].info.run_id, _exit_status)
        except Exception as error:  # at exit there is nobody left to raise to
            print(f"mlsteward: ERROR: could not end run cleanly: {error}", file=sys.stderr)
    close_backends()  # runs _close_buffers first, through the hook


_previous_hook = sys.excepthook
sys.excepthook = _record_unhandled
on_close_backends(_close_buffers)
atexit.register(_at_exit)
